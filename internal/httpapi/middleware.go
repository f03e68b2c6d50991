package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestLog gives every request an id of the server's own, which the audit trail
// records and the response returns in X-Request-ID; a client's X-Request-ID, when it is sane,
// is kept beside it (in logs and the trail as client_request_id), never in its place. It puts
// both in the context for every log line, logs the request when it ends, and turns a panic
// into a logged 500.
func withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		ctx := nap.NewContextWithRequestID(r.Context(), id)
		if client := r.Header.Get("X-Request-ID"); clientRequestID.MatchString(client) {
			ctx = nap.NewContextWithClientRequestID(ctx, client)
		}
		w.Header().Set("X-Request-ID", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				slog.ErrorContext(ctx, "panic", "method", r.Method, "path", r.URL.Path, "panic", p)
				if !rec.wrote {
					writeProblem(rec, problem(http.StatusInternalServerError, "internal error"))
				}
			}
			slog.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// withProblemFallback answers requests that match no route (404) or no method of a route
// (405) with a problem body instead of the mux's plain text.
func withProblemFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerProbe{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(probe, r)
		if probe.status != http.StatusNotFound && probe.status != http.StatusMethodNotAllowed {
			mux.ServeHTTP(w, r) // a redirect to the clean path
			return
		}
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		detail := "no such route"
		if probe.status == http.StatusMethodNotAllowed {
			detail = "method not allowed on this route"
		}
		writeProblem(w, problem(probe.status, detail))
	})
}

// headerProbe captures what the mux would answer, without writing it.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }

func writeProblem(w http.ResponseWriter, p interface{ GetStatus() int }) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.GetStatus())
	_ = json.NewEncoder(w).Encode(p)
}

// strictBooleans refuses a boolean query parameter that is neither true nor false, as the
// document's boolean means; huma alone would take 1, t or TRUE.
func strictBooleans(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		for _, p := range ctx.Operation().Parameters {
			if p.In != "query" || p.Schema == nil || p.Schema.Type != huma.TypeBoolean {
				continue
			}
			if v := ctx.Query(p.Name); v != "" && v != "true" && v != "false" {
				err := nap.Errorf(nap.EINVALID, "query parameter %s is true or false, not %q", p.Name, v)
				err.Fields = []nap.FieldError{{Location: "query." + p.Name, Message: "expected true or false"}}
				writeError(api, ctx, err)
				return
			}
		}
		next(ctx)
	}
}

// rejectRepeatedQuery refuses a query parameter given more than once. Lists go in one
// parameter, comma-separated (the documents say explode: false); a repeated one would
// otherwise narrow a filter to its first value without a word.
func rejectRepeatedQuery(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		u := ctx.URL()
		for name, values := range u.Query() {
			if len(values) > 1 {
				writeError(api, ctx, nap.Errorf(nap.EINVALID, "query parameter %s is given %d times; give it once, with its values separated by commas", name, len(values)))
				return
			}
		}
		next(ctx)
	}
}

// withStorableText refuses, with 422, text PostgreSQL cannot store, which would otherwise reach
// it and fail there: a NUL character, or bytes that are not UTF-8, in the path, a query
// parameter or a JSON body, named by where it is (query.q, body.narrative.en). A JSON body is
// read up to limit bytes to look; a larger one is left for the operation to refuse.
func withStorableText(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		where := ""
		if !storable(r.URL.Path) {
			where = "path"
		}
		for name, values := range r.URL.Query() {
			for _, v := range values {
				if where == "" && (!storable(name) || !storable(v)) {
					where = "query." + nap.Cut(name)
				}
			}
		}
		if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); where == "" && r.Body != nil &&
			(mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")) {
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
			if err == nil && int64(len(body)) <= limit {
				where = unstorableInJSON(body)
			}
		}
		if where != "" {
			p := problem(http.StatusUnprocessableEntity, "the request holds text that cannot be stored: a NUL character or bytes that are not UTF-8")
			p.Errors = []*huma.ErrorDetail{{Location: where, Message: "holds a NUL character or bytes that are not UTF-8"}}
			writeProblem(w, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// unstorableInJSON returns where in a JSON document a string or key holds a NUL character
// ("body.narrative.en"), or "" when none does or it is not JSON (the operation then says so).
func unstorableInJSON(doc []byte) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type level struct {
		object bool
		key    string
		index  int
		atKey  bool // in an object, the next string is a key
	}
	var path []level
	where := func() string {
		parts := []string{"body"}
		for _, l := range path {
			if l.object {
				parts = append(parts, nap.Cut(l.key))
			} else {
				parts = append(parts, strconv.Itoa(l.index))
			}
		}
		return strings.Join(parts, ".")
	}
	// value records that a value ended at the current level.
	value := func() {
		if n := len(path); n > 0 {
			if path[n-1].object {
				path[n-1].atKey = true
			} else {
				path[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				path = append(path, level{object: true, atKey: true})
			case '[':
				path = append(path, level{})
			default:
				path = path[:len(path)-1]
				value()
			}
		case string:
			if n := len(path); n > 0 && path[n-1].object && path[n-1].atKey {
				path[n-1].key, path[n-1].atKey = t, false
				if strings.ContainsRune(t, 0) {
					return where()
				}
				continue
			}
			if strings.ContainsRune(t, 0) {
				return where()
			}
			value()
		default:
			value()
		}
	}
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}
