package httpapi_test

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/web"
)

// TestPagesServeEveryEmbeddedFile fetches each file web embeds at its address: each answers
// with its type, an ETag that a second request turns into 304, and a policy that lets the
// page load nothing from elsewhere; the pages refer only to this server.
func TestPagesServeEveryEmbeddedFile(t *testing.T) {
	f := newFixture(t, today)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/docs" {
		t.Fatalf("GET /: %d to %q, want 302 to /docs", res.StatusCode, res.Header.Get("Location"))
	}

	addresses := map[string]string{"docs/index.html": "/docs", "dashboard/index.html": "/dashboard"}
	files := 0
	err = fs.WalkDir(web.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		addr := addresses[name]
		if addr == "" {
			addr = "/" + name
		}
		res, body := f.get(addr)
		etag := res.Header.Get("ETag")
		if res.StatusCode != http.StatusOK || etag == "" || len(body) == 0 ||
			!strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "default-src 'self';") {
			t.Errorf("GET %s: %d, ETag %q, %d bytes, policy %q", addr, res.StatusCode, etag, len(body), res.Header.Get("Content-Security-Policy"))
			return nil
		}
		if again, _ := f.get(addr, "If-None-Match", etag); again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d", addr, again.StatusCode)
		}
		if strings.HasSuffix(name, ".html") {
			ct := res.Header.Get("Content-Type")
			for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
				local := strings.HasPrefix(ref[1], "/") && !strings.HasPrefix(ref[1], "//")
				if !local && !strings.HasPrefix(ref[1], "#") && ref[1] != "data:," {
					t.Errorf("%s (%s) refers to %s, not to this server", addr, ct, ref[1])
				}
			}
		}
		return nil
	})
	if err != nil || files < 8 {
		t.Fatalf("walked %d embedded files: %v", files, err)
	}

	for path, want := range map[string]int{"/docs/assets/missing.js": http.StatusNotFound, "/dashboard/src/main.ts": http.StatusNotFound} {
		if res, _ := f.get(path); res.StatusCode != want || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: %d %s, want %d problem", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
	if res, _ := f.do(http.MethodPost, "/dashboard"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /dashboard: %d", res.StatusCode)
	}
}
