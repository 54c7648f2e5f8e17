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

	"github.com/trailhq/trail/app/trailtest"
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

// waitJS waits until a JavaScript expression is truthy; on failure it
// shows the page's main element.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	_, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(actionTimeout)))
	if err != nil {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		page, derr := chromedp.Run(dctx, chromedp.Evaluate[string](`(document.querySelector("main") || document.body || {outerHTML: ""}).outerHTML`))
		if derr != nil {
			page = "(unreadable: " + derr.Error() + ")"
		}
		if infos, err := chromedp.Targets(ctx); err == nil {
			for _, in := range infos {
				page += "\ntarget " + in.Type + " " + in.URL
			}
		}
		loc, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`location.href + " " + document.readyState + " " + document.documentElement.outerHTML.slice(0, 300)`))
		page += "\nframe " + loc
		if i := strings.Index(page, `id="sync-progress"`); i > 0 {
			page = page[i:] // the part that moves
		}
		if len(page) > 4000 {
			page = page[:4000] + "…"
		}
		t.Fatalf("waiting for %s: %v; the page:\n%s", what, err, page)
	}
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
	trailtest.Eventually(t, "Trail's iframe target", func() bool {
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

// click clicks an element from the page's script. Trail's pages live in
// frames sized to their content inside a portal page, so a button can be
// outside the window, where a synthetic mouse event would miss it.
func click(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	do(t, ctx, "click "+css, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+strconv.Quote(css)+`).click()`))
}

// frameText is the text of the first element matching css in the frame.
func frameText(t *testing.T, fctx context.Context, css string) string {
	t.Helper()
	return get(t, fctx, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

// waitText waits until the element's text contains want.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	waitJS(t, ctx, strconv.Quote(want)+" in "+css,
		`(function(){ var e = document.querySelector(`+strconv.Quote(css)+`); return !!e && e.textContent.indexOf(`+strconv.Quote(want)+`) >= 0; })()`)
}

// waitFits waits until the iframe is as tall as its content: the page
// asked the portal to resize it, so there is neither an inner scrollbar nor
// empty space under the content. The content's height is where its lowest
// element ends, so a page stretched to the frame's height (100vh) does not
// pass for fitted.
func waitFits(t *testing.T, fctx context.Context) {
	t.Helper()
	waitJS(t, fctx, "the iframe fits its content", `(function(){
		var bottom = 0, all = document.querySelectorAll("main *");
		for (var i = 0; i < all.length; i++) {
			bottom = Math.max(bottom, all[i].getBoundingClientRect().bottom + window.scrollY);
		}
		var doc = document.documentElement;
		return bottom > 100 && doc.scrollHeight <= window.innerHeight && window.innerHeight - bottom <= 48;
	})()`)
}

// screenshot saves a full-page picture of the tab (the portal page with
// Trail's iframe in it) to testdata/screenshots/ at the module root, to
// look at after the run.
func screenshot(t *testing.T, tab, frame context.Context, name string) {
	t.Helper()
	// The frame paints in a process of its own: let both documents render
	// their latest state before the picture is taken.
	const painted = `new Promise(function(r){ requestAnimationFrame(function(){ requestAnimationFrame(function(){ r(true); }); }); })`
	// and a window as tall as the page: Chrome paints a cross-site frame
	// only where the window shows it.
	height := get(t, tab, "page height", chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	do(t, tab, "tall window", chromedp.EmulateViewport(1280, max(height, 900)))
	defer do(t, tab, "window back", chromedp.EmulateViewport(1280, 900))
	get(t, frame, "frame painted", chromedp.Evaluate[bool](painted, chromedp.EvalAwaitPromise))
	get(t, tab, "page painted", chromedp.Evaluate[bool](painted, chromedp.EvalAwaitPromise))
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
