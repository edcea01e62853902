// Command asmgen writes kernels/sgemm_amd64.s. Run it from kernels/ with
// go generate (see sgemm.go).
package main

import (
	"flag"
	"log"
	"os"

	"github.com/gptgo/gptgo/kernels/internal/asmgen"
)

func main() {
	out := flag.String("o", "sgemm_amd64.s", "output file")
	flag.Parse()
	if err := os.WriteFile(*out, []byte(asmgen.Generate()), 0o644); err != nil {
		log.Fatal(err)
	}
}
