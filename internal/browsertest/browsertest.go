// Package browsertest runs a headless Chromium for tests that drive the
// debug page in a real browser, through chromedp.
//
// A test calls Start: without a browser installed it skips, saying how to
// get one, unless KAMAELIA_REQUIRE_BROWSER is set (CI sets it), when it
// fails instead. KAMAELIA_CHROMIUM names the browser's executable if it
// is not found on PATH as chromium, chromium-browser or google-chrome.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Deadline bounds a browser test, so that a broken one fails instead of
// hanging.
const Deadline = 3 * time.Minute

// Browser is a headless Chromium with one tab.
type Browser struct {
	Ctx context.Context // the tab's chromedp context

	mu     sync.Mutex
	errors []string // exceptions and console errors of the page
}

// executable finds the browser, or returns "".
func executable() string {
	if p := os.Getenv("KAMAELIA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start launches a headless browser with a fresh profile, closed when
// the test ends. With -short it skips the test: starting a browser takes
// seconds, so the quick suite leaves the browser tests to the full one.
func Start(t testing.TB) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a browser; skipped with -short (the full suite runs it)")
	}
	path := executable()
	if path == "" {
		if os.Getenv("KAMAELIA_REQUIRE_BROWSER") != "" {
			t.Fatal("KAMAELIA_REQUIRE_BROWSER is set but no browser was found: install chromium (apt-get install chromium) or set KAMAELIA_CHROMIUM")
		}
		t.Skip("no browser found: install chromium (apt-get install chromium) to run the browser tests; KAMAELIA_REQUIRE_BROWSER=1 makes this a failure")
	}
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 900),
	)
	tctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before the profile is removed
		cancel()
	})
	b := &Browser{Ctx: tctx}
	if err := chromedp.Do(tctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	if err := chromedp.Listen(tctx, b.listen); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *Browser) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// CheckErrors fails the test if the page threw or logged an error.
func (b *Browser) CheckErrors(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("the page: %s", e)
	}
}

// Screenshot saves a PNG of the whole page as screenshots/name.png in the
// test's package folder (ignored by git) and returns its path.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := "screenshots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("screenshot: %s", abs)
	return path
}
