package serve

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser returns the path of a Chromium or Chrome, or skips the test.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: install it (Debian: apt-get install chromium) to run the browser test")
	return ""
}

// The web page for real, in headless Chromium: type a prompt, press
// Generate, and the streamed tokens appear, coloured by probability with
// their alternatives for the tooltip, spelling the model's greedy text.
func TestWebPage(t *testing.T) {
	exe := browser(t)
	m := testModel(t)
	_, url := testServer(t, m, Options{})
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1000, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()

	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#prompt")),
		void(chromedp.Poll[bool](`document.getElementById("model").textContent.startsWith("model: ")`)),
		chromedp.Clear(chromedp.CSS("#prompt")),
		chromedp.SendKeys(chromedp.CSS("#prompt"), "Hello"),
		chromedp.SetValue(chromedp.CSS("#temperature"), "0"),
		chromedp.SetValue(chromedp.CSS("#max_tokens"), "20"),
		chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS("#out .tok")),
		void(chromedp.Poll[bool](`document.getElementById("status").textContent.includes("finish:")`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(js string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	model := eval(`document.getElementById("model").textContent`)
	tokens := eval(`String(document.querySelectorAll("#out .tok").length)`)
	text := eval(`Array.from(document.querySelectorAll("#out .tok")).map(e => e.textContent).join("")`)
	colour := eval(`document.querySelector("#out .tok").style.background`)
	tip := eval(`document.querySelector("#out .tok").dataset.tip`)
	status := eval(`document.getElementById("status").textContent`)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes); status: %s", shot, len(png), status)
	if model != "model: gptgo" {
		t.Errorf("model line %q", model)
	}
	want := generate(t, m, "Hello", greedy(20))
	if tokens == "0" || text != want {
		t.Fatalf("the page shows %s tokens spelling %q; the model's greedy text is %q", tokens, text, want)
	}
	if !strings.HasPrefix(colour, "rgb(") || !strings.Contains(tip, "p=") || strings.Count(tip, "\n") < 2 {
		t.Fatalf("first token: background %q, tooltip %q (want a colour and the alternatives)", colour, tip)
	}
	if len(png) < 1000 {
		t.Fatalf("screenshot of %d bytes", len(png))
	}

	// The inside view: a button per layer and head, the chosen head's
	// map with the forward pass's probabilities, a lens row per depth.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#look")),
		chromedp.WaitVisible(chromedp.CSS("#inside table.att td")),
		chromedp.Click(chromedp.CSS(`#heads button[data-l="1"][data-h="1"]`)),
		void(chromedp.Poll[bool](`document.getElementById("maptitle").textContent.startsWith("layer 1 head 1")`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := eval(`String(document.querySelectorAll("#heads button").length)`); n != "4" {
		t.Fatalf("%s head buttons, want 2 layers x 2 heads", n)
	}
	if n := eval(`String(document.querySelectorAll("#inside table.lens tr").length)`); n != "3" {
		t.Fatalf("%s lens rows, want 3 (the embedding and 2 blocks)", n)
	}
	cells := eval(`Array.from(document.querySelectorAll("#inside table.att td")).map(td => td.dataset.p).join(" ")`)
	ids := []int32{'H', 'e', 'l', 'l', 'o'}
	if _, err := m.Forward(ids, nil, 1, len(ids)); err != nil {
		t.Fatal(err)
	}
	att, _ := m.AttentionProbs(1)
	T := len(ids)
	got := strings.Fields(cells)
	if len(got) != T*T {
		t.Fatalf("%d cells in the map, want %d", len(got), T*T)
	}
	for k, g := range got {
		var p float64
		fmt.Sscan(g, &p)
		if want := float64(att[T*T+k]); math.Abs(p-want) > 1e-6 {
			t.Fatalf("cell %d shows %g, the forward pass's probability is %g", k, p, want)
		}
	}
	t.Logf("inside view: %s", eval(`document.getElementById("status").textContent`))
}

// void drops an action's value, for chromedp.Do.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
