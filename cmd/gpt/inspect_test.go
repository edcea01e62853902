package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// gpt inspect prints the shapes, a logit lens whose last row is the
// model's next-token distribution, and with --target a derivative whose
// central differences at h = 1e-2 and 1e-3 agree with the chain rule's
// value to the tolerance of the gradient tests (1e-3 + 2e-2·|g|).
func TestInspectCommand(t *testing.T) {
	dir := t.TempDir()
	_, models := fineTuneBase(t, dir)
	ck := models[0]
	code, stdout, stderr := runCmd(t, "", "inspect", "--checkpoint", ck, "--prompt", "to be", "--target", ", or")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"prompt: 5 tokens", "qkv = ln_1(x) @ c_attn.weight (C, 3C) + bias             (T, 3C) = (5, 96)",
		"scores q_i k_iᵀ / √hs, causal mask, softmax              (heads, T, T) = (2, 5, 5)", "after the embedding", "after block 0",
		"--target \", or\": 4 tokens", "h.0.attn.c_attn.weight     [32 96]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, stdout)
		}
	}
	// The lens after the last block is the final distribution.
	lines := strings.Split(stdout, "\n")
	var lastLens, final string
	for i, l := range lines {
		if strings.HasPrefix(l, "  after block 0") {
			lastLens = strings.Fields(l)[3] // the top token after block 0, the last
		}
		if strings.HasPrefix(l, "next token") {
			final = strings.Fields(lines[i+1])[0]
		}
	}
	if lastLens == "" || lastLens != final {
		t.Errorf("lens after the last block says %s, the final distribution %s", lastLens, final)
	}
	var analytic float64
	checked := 0
	for _, l := range lines {
		if i := strings.Index(l, "from the chain rule: "); i >= 0 {
			fmt.Sscanf(l[i+len("from the chain rule: "):], "%g", &analytic)
		}
		var h, num float64
		if n, _ := fmt.Sscanf(strings.TrimSpace(l), "h = %g %g", &h, &num); n == 2 && (h == 1e-2 || h == 1e-3) {
			if math.Abs(num-analytic) > 1e-3+2e-2*math.Abs(analytic) {
				t.Errorf("h = %g: central difference %g, chain rule %g", h, num, analytic)
			}
			checked++
		}
	}
	if checked != 2 || analytic == 0 {
		t.Fatalf("checked %d central differences against %g:\n%s", checked, analytic, stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--prompt", strings.Repeat("y", 17)}, "--prompt: 17 tokens, and the model's context is 16"},
		{[]string{"--prompt", strings.Repeat("y", 10), "--target", strings.Repeat("z", 10)}, "--target: 10 tokens after a 10-token prompt"},
		{[]string{"--prompt", ""}, "--checkpoint and --prompt are required"},
	} {
		code, _, stderr := runCmd(t, "", append([]string{"inspect", "--checkpoint", ck}, c.args...)...)
		wantFail(t, code, stderr, c.want)
	}
}
