package report

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// A map's cells are painted with heat of their probability, the image has
// the grid's size, and the file is a PNG.
func TestAttentionPNG(t *testing.T) {
	const T = 5
	p := make([]float32, T*T)
	for i := range T {
		for j := 0; j <= i; j++ {
			p[i*T+j] = float32(j+1) / float32((i+1)*(i+2)/2)
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		maps, cols int
		labels     []string
	}{{1, 1, []string{"a", "b", "c", "d", "e"}}, {6, 4, nil}} {
		maps := make([]AttentionMap, c.maps)
		for k := range maps {
			maps[k] = AttentionMap{Title: "m", P: p}
		}
		path := filepath.Join(dir, "a.png")
		if err := AttentionPNG(path, maps, c.cols, T, c.labels); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		side, left, top := max(T, mapSide/T*T), 8, mapGap
		if c.maps == 1 {
			side, left, top = max(T, bigSide/T*T), labelRoom, labelRoom
		}
		rows := (c.maps + c.cols - 1) / c.cols
		if b := img.Bounds(); b.Dx() != left+c.cols*(side+mapGap) || b.Dy() != top+rows*(side+mapGap) {
			t.Fatalf("%d maps: image %v", c.maps, b)
		}
		cell := side / T
		for k := range c.maps {
			x0, y0 := left+(k%c.cols)*(side+mapGap), top+(k/c.cols)*(side+mapGap)
			for i := range T {
				for j := range T {
					r, g, b, _ := img.At(x0+j*cell+cell/2, y0+i*cell+cell/2).RGBA()
					want := heat(p[i*T+j])
					if uint8(r>>8) != want.R || uint8(g>>8) != want.G || uint8(b>>8) != want.B {
						t.Fatalf("map %d cell (%d,%d): colour %d,%d,%d, want %v for p=%g", k, i, j, r>>8, g>>8, b>>8, want, p[i*T+j])
					}
				}
			}
		}
	}
}
