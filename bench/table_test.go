package bench

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	var b strings.Builder
	tab := NewTable(&b, []string{"baby", "tiny"}, true, true)
	if err := tab.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	rows := []Result{
		{Test: "pp16", Mean: 7361.544, GFLOPS: 17.64, MFU: 0.176},
		{Test: "tg8", Mean: 950.74, Stddev: 1.5, GFLOPS: 13.8, MFU: 0.138, GBPerSec: 27.6, ReadGBs: 17.0, BWFrac: 1.62},
	}
	for _, r := range rows {
		rep := &Report{Model: "baby", Params: 7234432, DType: "q8_0", WeightBytes: 7688000, Threads: 1}
		if err := tab.WriteRow(rep, r); err != nil {
			t.Fatal(err)
		}
	}
	want := `| model |  params | dtype |      size | threads | test          |              t/s |  GFLOP/s |    MFU |   GB/s | read GB/s | of bound |
| ----- | ------: | ----- | --------: | ------: | ------------- | ---------------: | -------: | -----: | -----: | --------: | -------: |
| baby  |    7.2M | q8_0  |    7.7 MB |       1 | pp16          |   7361.54 ± 0.00 |     17.6 |  17.6% |        |           |          |
| baby  |    7.2M | q8_0  |    7.7 MB |       1 | tg8           |    950.74 ± 1.50 |     13.8 |  13.8% |   27.6 |      17.0 |     162% |
`
	if b.String() != want {
		t.Fatalf("table\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	tab = NewTable(&b, []string{"a-long-checkpoint-name"}, false, false)
	if err := tab.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "|"); got != 2*9 || !strings.HasPrefix(b.String(), "| model                  | ") {
		t.Fatalf("header without MFU and bandwidth: %q", b.String())
	}
}

func TestHumanCount(t *testing.T) {
	for n, want := range map[int]string{999: "999", 1500: "1.5K", 7234432: "7.2M", 124439808: "124.4M", 1557611200: "1.56B"} {
		if got := HumanCount(n); got != want {
			t.Errorf("HumanCount(%d) = %q, want %q", n, got, want)
		}
	}
}
