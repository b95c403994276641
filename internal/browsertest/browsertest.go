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

	"buergerbuero/internal/skipnote"
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
		skipnote.Skip(t, "chromium", "apt-get install chromium", "BUERGERBUERO_REQUIRE_CHROMIUM")
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

// Violation is one WCAG rule axe-core found broken on a page.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS selectors of the elements
}

// axeSource finds axe-core (npm): $BUERGERBUERO_AXE, or node_modules in
// the module's root. Without it the check is skipped, unless
// BUERGERBUERO_REQUIRE_AXE is set (as in CI), where that is a failure.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BUERGERBUERO_AXE")
	if path == "" {
		dir, _ := os.Getwd()
		for dir != "/" && dir != "." {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			dir = filepath.Dir(dir)
		}
		path = filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		skipnote.Skip(t, "axe-core", "npm install --no-save axe-core@4 in the module's root", "BUERGERBUERO_REQUIRE_AXE")
	}
	return string(src)
}

// Axe runs axe-core's WCAG 2.1 A and AA rules on the page as it stands
// and returns what it finds broken.
func Axe(t *testing.T, page context.Context) []Violation {
	t.Helper()
	if _, err := chromedp.Run(page, chromedp.Evaluate[chromedp.Void](axeSource(t))); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	found, err := chromedp.Run(page, chromedp.Evaluate[[]Violation](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return found
}

// NoViolations fails the test for every WCAG violation axe-core finds on
// the page; what names the page in the message.
func NoViolations(t *testing.T, page context.Context, what string) {
	t.Helper()
	for _, v := range Axe(t, page) {
		t.Errorf("%s: WCAG %s (%s): %s, at %v", what, v.ID, v.Impact, v.Help, v.Nodes)
	}
}
