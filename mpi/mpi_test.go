package mpi

import "testing"

// One process is rank 0 of 1 (the stand-in, or MPI started as a
// singleton with -tags mpi), and every collective over one rank leaves
// its data as it is; sizes that do not fit are errors.
func TestOneRank(t *testing.T) {
	if err := Init(); err != nil {
		t.Fatal(err)
	}
	defer Finalize()
	if Rank() != 0 || Size() != 1 {
		t.Fatalf("rank %d of %d, want 0 of 1", Rank(), Size())
	}
	buf := []float32{1, -2, 3.5}
	if err := AllReduceSum(buf); err != nil || buf[0] != 1 || buf[1] != -2 || buf[2] != 3.5 {
		t.Fatalf("all-reduce over one rank: %v %v", buf, err)
	}
	d := []float64{0.25}
	if err := AllReduceSum64(d); err != nil || d[0] != 0.25 {
		t.Fatalf("all-reduce64: %v %v", d, err)
	}
	if err := Broadcast(buf, 0); err != nil || buf[2] != 3.5 {
		t.Fatalf("broadcast: %v %v", buf, err)
	}
	out := make([]float32, 3)
	if err := ReduceScatterSumV(out, buf, []int{3}); err != nil || out[2] != 3.5 {
		t.Fatalf("reduce-scatter-v: %v %v", out, err)
	}
	if err := AllGatherV(buf, []int{3}); err != nil || buf[1] != -2 {
		t.Fatalf("all-gather-v: %v %v", buf, err)
	}
	if err := ReduceScatterSumV(out[:2], buf, []int{3}); err == nil {
		t.Fatal("reduce-scatter of 3 values into a block of 2 for 1 rank succeeded")
	}
	if err := AllGatherV(buf, []int{2}); err == nil {
		t.Fatal("all-gather-v of blocks [2] into 3 values succeeded")
	}
	if err := Barrier(); err != nil {
		t.Fatal(err)
	}
	if Library() == "" {
		t.Fatal("no library name")
	}
}
