// Package browsertest opens pages in Debian's headless Chromium for tests
// (through chromedp) and keeps their screenshots as test artefacts.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Page starts Chromium and returns a tab's context, valid for timeout.
// Without Chromium the test is skipped, unless BUERGERBUERO_REQUIRE_CHROMIUM
// is set (as in CI), where that is a failure.
func Page(t *testing.T, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	exe := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			exe = path
			break
		}
	}
	if exe == "" {
		if os.Getenv("BUERGERBUERO_REQUIRE_CHROMIUM") != "" {
			t.Fatal("this test needs chromium (apt-get install chromium)")
		}
		t.Skip("chromium not installed: apt-get install chromium (.ci/run does)")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(width, height), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	browser, cancelBrowser := chromedp.NewContext(alloc)
	page, cancelPage := context.WithTimeout(browser, timeout)
	t.Cleanup(func() { cancelPage(); cancelBrowser(); cancelAlloc() })
	return page
}

// Keep writes a screenshot to $BUERGERBUERO_ARTIFACTS (or a folder in the
// temp dir) and logs where.
func Keep(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("BUERGERBUERO_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "buergerbuero-artifacts")
	}
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
