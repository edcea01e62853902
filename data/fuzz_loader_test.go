package data

import (
	"encoding/json"
	"testing"
)

// Any JSON as a saved loader position (a checkpoint's metadata): Restore
// never panics, and a position it accepts yields batches.
func FuzzLoaderRestore(f *testing.F) {
	ids := make([]int32, 500)
	for i := range ids {
		ids[i] = int32(i % 50)
	}
	src := Slice{Label: "fuzz", IDs: ids}
	l, err := NewLoader(src, 2, 8, 7, false)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(l.State())
	f.Add(good)
	f.Add([]byte(`{"epoch":3,"index":27,"rng":1,"seed":7,"batch":2,"context":8,"windows":55}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		var s LoaderState
		if json.Unmarshal(js, &s) != nil {
			return
		}
		l, _ := NewLoader(src, 2, 8, 7, false)
		if l.Restore(s) != nil {
			return
		}
		x, y := make([]int32, 16), make([]int32, 16)
		for range 40 {
			if err := l.Next(x, y); err != nil {
				t.Fatalf("after Restore(%+v): %v", s, err)
			}
		}
	})
}
