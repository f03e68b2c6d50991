package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/naptracker/naptracker/web"
)

// Pages are served with a policy that lets them load nothing from anywhere but this server.
// Swagger UI sets inline styles; the dashboard needs none.
const (
	docsPolicy      = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	dashboardPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

// registerPages serves the API reference at /docs and the partner dashboard at /dashboard,
// from files embedded in the binary, and sends / to the reference. huma's own /docs, which
// loads its script from a CDN, is off (config sets DocsPath to "").
func registerPages(mux *http.ServeMux) {
	mux.Handle("GET /{$}", http.RedirectHandler("/docs", http.StatusFound))
	mux.Handle("GET /docs", servePage("docs/index.html", docsPolicy))
	mux.Handle("GET /docs/{file...}", serveFolder("docs", docsPolicy))
	mux.Handle("GET /dashboard", servePage("dashboard/index.html", dashboardPolicy))
	mux.Handle("GET /dashboard/{file...}", serveFolder("dashboard", dashboardPolicy))
}

func servePage(name, policy string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, name, policy) })
}

func serveFolder(dir, policy string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, path.Join(dir, r.PathValue("file")), policy)
	})
}

// asset is an embedded file ready to serve: its bytes, type and an ETag of its content.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes are the types of the embedded files, named here rather than looked up in the
// machine's MIME database, which differs between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// assets reads the embedded files once, on first use.
var assets = sync.OnceValue(func() map[string]asset {
	all := map[string]asset{}
	err := fs.WalkDir(web.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(web.Files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		contentType, ok := contentTypes[path.Ext(name)]
		if !ok {
			contentType = "text/plain; charset=utf-8" // LICENSE, NOTICE
		}
		all[name] = asset{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		panic("httpapi: the embedded pages cannot be read: " + err.Error())
	}
	return all
})

// serveAsset answers with an embedded file; a browser revalidates it with its ETag (304 when
// unchanged), so a new binary's pages show at once.
func serveAsset(w http.ResponseWriter, r *http.Request, name, policy string) {
	a, ok := assets()[name]
	if !ok {
		writeProblem(w, problem(http.StatusNotFound, "no such route"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
