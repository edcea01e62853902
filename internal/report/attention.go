package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// AttentionMap is one head's attention probabilities over T positions,
// [T, T] row by row (query i down, key j across), with its title.
type AttentionMap struct {
	Title string
	P     []float32
}

// Cell sizes and margins of AttentionPNG, in pixels.
const (
	mapSide   = 160 // a grid cell's map, for many maps
	bigSide   = 560 // one map alone
	mapGap    = 24  // between maps, room for the title
	labelRoom = 90  // left and top, for token labels on one map
)

// AttentionPNG draws maps as heatmaps in a grid of cols columns (white 0
// to dark blue 1) and writes them to path as a PNG, through a temporary
// file renamed into place. With one map and labels (the T tokens), the
// axes carry the tokens when each gets at least 8 pixels.
func AttentionPNG(path string, maps []AttentionMap, cols, T int, labels []string) error {
	if len(maps) == 0 || T == 0 || cols < 1 {
		return fmt.Errorf("report: nothing to draw")
	}
	side := mapSide
	left, top := 8, mapGap
	withLabels := len(maps) == 1 && len(labels) == T && bigSide/T >= 8
	if len(maps) == 1 {
		side = bigSide
	}
	if withLabels {
		left, top = labelRoom, labelRoom
	}
	side = max(T, side/T*T) // a whole number of pixels per cell
	rows := (len(maps) + cols - 1) / cols
	w := left + cols*(side+mapGap)
	h := top + rows*(side+mapGap)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for k, m := range maps {
		x0 := left + (k%cols)*(side+mapGap)
		y0 := top + (k/cols)*(side+mapGap)
		drawMap(img, m.P, T, x0, y0, side)
		if withLabels {
			text(img, 4, 14, m.Title) // the corner: the labels take the top
		} else {
			text(img, x0, y0-6, m.Title)
		}
	}
	if withLabels {
		cell := side / T
		for i, l := range labels {
			text(img, 4, top+i*cell+cell/2+4, clip(l, 12))                     // query tokens down the left
			textUp(img, left+i*cell+cell/2-4, top-4, clip(l, 12), labelRoom-8) // key tokens across the top
		}
	}
	return writePNG(path, img)
}

// drawMap paints p [T, T] into the side x side square at (x0, y0).
func drawMap(img *image.RGBA, p []float32, T, x0, y0, side int) {
	cell := side / T
	for i := range T {
		for j := range T {
			c := heat(p[i*T+j])
			r := image.Rect(x0+j*cell, y0+i*cell, x0+(j+1)*cell, y0+(i+1)*cell)
			draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
		}
	}
	border := color.RGBA{160, 160, 160, 255}
	for d := 0; d <= side; d++ {
		img.Set(x0+d, y0, border)
		img.Set(x0+d, y0+side, border)
		img.Set(x0, y0+d, border)
		img.Set(x0+side, y0+d, border)
	}
}

// heat maps a probability to white (0) through blue to dark blue (1).
func heat(p float32) color.RGBA {
	p = min(max(p, 0), 1)
	return color.RGBA{uint8(255 * (1 - p)), uint8(255 * (1 - 0.8*p)), uint8(255 - 100*p), 255}
}

// text draws s with its baseline at (x, y).
func text(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// textUp draws s rotated a quarter turn, reading upwards, ending at
// (x, y): the labels of the key axis.
func textUp(img *image.RGBA, x, y int, s string, room int) {
	wd := min(len(s)*7+2, room)
	tmp := image.NewRGBA(image.Rect(0, 0, wd, 14))
	draw.Draw(tmp, tmp.Bounds(), image.White, image.Point{}, draw.Src)
	text(tmp, 1, 11, s)
	for tx := range wd {
		for ty := range 14 {
			if c := tmp.RGBAAt(tx, ty); c.R < 128 {
				img.Set(x+ty-7, y-tx, c)
			}
		}
	}
}

// clip shortens s to n characters, showing newlines and spaces.
func clip(s string, n int) string {
	r := []rune(fmt.Sprintf("%q", s))
	r = r[1 : len(r)-1]
	if len(r) > n {
		r = append(r[:n-1], '~')
	}
	return string(r)
}

// writePNG encodes img to path through a temporary file.
func writePNG(path string, img image.Image) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
