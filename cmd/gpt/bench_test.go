package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/bench"
)

func TestBenchCommand(t *testing.T) {
	// The baby preset with a GPT-2 vocabulary is the fastest with random
	// weights; JSON output carries every sample.
	code, out, stderr := runCmd(t, "", "bench", "--preset", "baby", "-p", "16,100", "-n", "8", "--train-batch", "1",
		"--train-context", "16", "-r", "2", "-o", "json", "--bandwidth=false", "--threads", "1")
	if code != 0 {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
	var got []bench.Report
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if len(got) != 1 || got[0].Model != "baby" || got[0].Threads != 1 || len(got[0].Results) != 3 {
		t.Fatalf("json %+v", got)
	}
	for i, want := range []string{"pp16", "tg8", "train B1 T16"} {
		r := got[0].Results[i]
		if r.Test != want || len(r.Samples) != 2 || r.Mean <= 0 {
			t.Fatalf("result %d: %+v, want test %s", i, r, want)
		}
	}
	if !strings.Contains(stderr, "skipping pp100") {
		t.Fatalf("pp100 beyond the context of 64 not reported: %q", stderr)
	}

	// Several dtypes: a report each, training skipped with quantized weights.
	code, out, stderr = runCmd(t, "", "bench", "--preset", "baby", "--dtype", "f32,q4_0", "-p", "16", "-n", "8",
		"--train-batch", "1", "--train-context", "16", "-r", "1", "-o", "json", "--bandwidth=false")
	got = nil
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("--dtype: code %d, %v, stderr %q", code, err, stderr)
	}
	if len(got) != 2 || got[0].DType != "f32" || got[1].DType != "q4_0" || len(got[0].Results) != 3 || len(got[1].Results) != 2 ||
		got[0].WeightBytes != 4*got[0].Params || got[1].WeightBytes*5 > got[0].WeightBytes {
		t.Fatalf("--dtype f32,q4_0: %+v", got)
	}
	if !strings.Contains(stderr, "q4_0: skipping train") {
		t.Fatalf("skipped training not reported: %q", stderr)
	}

	// A checkpoint, as a table.
	dir := testCheckpoint(t)
	code, out, stderr = runCmd(t, "", "bench", "--checkpoint", dir, "-p", "8", "-n", "4", "-b", "1,3", "--tests", "pp,tg", "-r", "1", "--peak-gflops", "100")
	if code != 0 || !strings.Contains(out, "| pp8 ") || !strings.Contains(out, "| tg4 ") || !strings.Contains(out, "| tg4 x3 ") || !strings.Contains(out, "MFU") ||
		!strings.Contains(out, "of bound") || !strings.Contains(out, "read GB/s") {
		t.Fatalf("table: code %d stdout %q stderr %q", code, out, stderr)
	}
}

func TestBenchErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--preset", "huge"}, "unknown preset"},
		{[]string{"-p", "12,x"}, "-p"},
		{[]string{"-r", "0"}, "-r"},
		{[]string{"-b", "0"}, "-b"},
		{[]string{"-o", "csv"}, "-o"},
		{[]string{"--tests", "pp,foo"}, "unknown test"},
		{[]string{"--checkpoint", "/nonexistent/x.ckpt"}, "no model at"},
		{[]string{"--dtype", "f16"}, "--dtype: "},
	} {
		code, _, stderr := runCmd(t, "", append([]string{"bench"}, tc.args...)...)
		wantFail(t, code, stderr, tc.want)
	}
}
