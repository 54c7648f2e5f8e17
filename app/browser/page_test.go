package browser

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// actionTimeout bounds one step in the browser; generous, for a loaded
// two-core machine.
const actionTimeout = 45 * time.Second

// newTab opens a tab of the shared browser for one test.
func newTab(t *testing.T) context.Context {
	t.Helper()
	needBrowser(t)
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	attach(t, ctx)
	return ctx
}

// attach makes the context's first run, which ties the tab (or frame) to
// the context itself: the target lives as long as the context of its first
// run, and the steps below run with shorter-lived timeouts.
func attach(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("attach to the browser: %v", err)
	}
}

// do runs steps with a timeout and fails the test on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	get(t, ctx, what, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(actionTimeout)))
}

// openFrame navigates the tab to a portal page that frames Trail and
// returns a context attached to Trail's iframe. Trail is on another site
// than the portal, so Chrome runs the iframe as a target of its own, which
// appears once the portal's form POST has landed in it.
func openFrame(t *testing.T, tab context.Context, pageURL string) context.Context {
	t.Helper()
	do(t, tab, "open "+pageURL, chromedp.Navigate(pageURL), chromedp.WaitReady(chromedp.CSS(".app-frame iframe")))
	action := get(t, tab, "frame form", chromedp.Evaluate[string](`document.querySelector("form.frame-post").action`))
	var id target.ID
	eventually(t, "Trail's iframe target", func() bool {
		infos, err := chromedp.Targets(tab)
		if err != nil {
			return false
		}
		for _, in := range infos {
			if in.Type == "iframe" && in.URL == action {
				id = in.TargetID
				return true
			}
		}
		return false
	})
	fctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	t.Cleanup(cancel)
	attach(t, fctx)
	waitJS(t, fctx, "Trail's page in the iframe", `document.readyState === "complete" && document.querySelector("main") !== null`)
	return fctx
}

// frameText is the text of the first element matching css in the frame.
func frameText(t *testing.T, fctx context.Context, css string) string {
	t.Helper()
	return get(t, fctx, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

// waitText waits until the element's text contains want; on failure it
// shows what the page says instead.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	expr := `(function(){ var e = document.querySelector(` + strconv.Quote(css) + `); return !!e && e.textContent.indexOf(` + strconv.Quote(want) + `) >= 0; })()`
	sctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	_, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(actionTimeout)))
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("waiting for %q in %s: %v; the page says:\n%s", want, css, err, body)
	}
}

// waitFits waits until the iframe is as tall as its content: the page
// asked the portal to resize it, so there is neither an inner scrollbar
// nor empty space under the content.
func waitFits(t *testing.T, fctx context.Context) {
	t.Helper()
	waitJS(t, fctx, "the iframe fits its content", `(function(){
		var content = document.documentElement.getBoundingClientRect().height;
		return content > 100 && Math.abs(window.innerHeight - content) <= 2 &&
			document.documentElement.scrollHeight <= window.innerHeight;
	})()`)
}

// screenshot saves a full-page picture of the tab (the portal page with
// Trail's iframe in it) to testdata/screenshots/ at the module root, to
// look at after the run.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	png := get(t, tab, "screenshot", chromedp.FullScreenshot(100))
	dir := filepath.Join(moduleRoot(t), "testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("no go.mod above " + dir)
	return ""
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
