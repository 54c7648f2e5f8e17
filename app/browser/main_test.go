// Package browser holds Trail's tests in a real browser: Debian's chromium
// drives the emulated portal's pages, which frame Trail exactly as
// Bitrix24 does. The package has no code of its own.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// browserCtx is the one browser of this test binary; each test opens its
// own tab in it (newTab).
var browserCtx context.Context

// errNoBrowser is why the tests skip; with BROWSER_TESTS=required (the
// test task sets it) they fail instead.
var errNoBrowser error

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	path, err := findChromium()
	if err != nil {
		errNoBrowser = err
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "trail-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // Debian's chromium refuses to start as root otherwise
		chromedp.DisableGPU,
		// The machines that run the tests may have no internet: nothing
		// may phone home or wait for it.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("hide-scrollbars", false), // a scrollbar inside the tab is a bug we want to see
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(dir),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // starts the browser once
		fmt.Fprintln(os.Stderr, "browser tests: start chromium:", err)
		return 1
	}
	browserCtx = bctx
	return m.Run()
}

func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH (go tool task chromium installs it)")
}

// needBrowser skips (or, when the browser is required, fails) a test when
// there is no browser.
func needBrowser(t *testing.T) {
	t.Helper()
	if errNoBrowser == nil {
		return
	}
	if os.Getenv("BROWSER_TESTS") == "required" {
		t.Fatal(errNoBrowser)
	}
	t.Skip(errNoBrowser)
}
