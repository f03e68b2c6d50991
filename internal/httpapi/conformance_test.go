package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The tests' HTTP clients check every response of an operation against the committed
// OpenAPI document, as a partner's generated client or a validating proxy would read it: its
// status is declared, its headers are the declared ones with their declared values, and a
// JSON body matches its schema; a body of another type is checked by its media type only
// (streams and files). A response that does not conform fails the request, so the test that
// made it fails with the reason.

// serve serves h for the test with a client that checks every response against the document.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	srv.Client().Transport = conforming{srv.Client().Transport}
	return srv
}

// conforming is a transport that refuses responses the document does not allow.
type conforming struct{ next http.RoundTripper }

func (c conforming) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	if err := conforms(req, res); err != nil {
		_ = res.Body.Close()
		return nil, fmt.Errorf("%s %s answered %d against the OpenAPI document: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return res, nil
}

// contract is the committed OpenAPI 3.0 document and a router over its operations.
var contract = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../openapi/openapi-3.0.yaml")
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the document is not valid OpenAPI 3.0: %w", err)
	}
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	openapi3.DefineStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	}))
	// Paths are matched whatever the test server's address.
	doc.Servers = nil
	return legacy.NewRouter(doc)
})

// transportHeaders are headers of HTTP itself, which no operation documents.
var transportHeaders = []string{"Content-Type", "Content-Length", "Date", "Transfer-Encoding", "Connection", "Vary"}

// conforms checks res, the answer to req, against the document. Requests outside its
// operations (pages, unknown routes and methods) are not its business.
func conforms(req *http.Request, res *http.Response) error {
	router, err := contract()
	if err != nil {
		return err
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return nil
	}
	op := route.Operation
	declared := op.Responses.Status(res.StatusCode)
	if declared == nil {
		return fmt.Errorf("status %d is not declared", res.StatusCode)
	}
	for name := range res.Header {
		if !slices.Contains(transportHeaders, name) && !slices.ContainsFunc(slices.Collect(maps.Keys(declared.Value.Headers)),
			func(d string) bool { return http.CanonicalHeaderKey(d) == name }) {
			return fmt.Errorf("header %s is not declared", name)
		}
	}
	mediaType, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	json := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
	if !json && len(declared.Value.Content) > 0 && declared.Value.Content.Get(res.Header.Get("Content-Type")) == nil {
		return fmt.Errorf("Content-Type %q is not declared", res.Header.Get("Content-Type"))
	}
	if res.StatusCode == http.StatusNotModified || res.StatusCode == http.StatusNoContent {
		// No body; kin-openapi does not look at a 304 at all.
		if b, err := io.ReadAll(res.Body); err != nil || len(b) > 0 {
			return fmt.Errorf("a %d has a body (%d bytes, %v)", res.StatusCode, len(b), err)
		}
		res.Body = io.NopCloser(bytes.NewReader(nil))
		return requiredHeaders(declared.Value, res.Header)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: !json},
	}
	if json {
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			return err
		}
		input.SetBodyBytes(body)
	}
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Err != nil {
			return fmt.Errorf("%s: %w", re.Reason, re.Err)
		}
		return err
	}
	return nil
}

// requiredHeaders checks that the headers a response requires are there.
func requiredHeaders(r *openapi3.Response, h http.Header) error {
	for name, header := range r.Headers {
		if header.Value.Required && h.Get(name) == "" {
			return fmt.Errorf("required header %s is missing", name)
		}
	}
	return nil
}

// TestConformanceCatchesWrongResponses: the validating client refuses what the document does
// not allow, and passes what it does.
func TestConformanceCatchesWrongResponses(t *testing.T) {
	const id = "0196f5a2-5c1e-7a10-9b1e-4c6d8e2f3a10"
	requestID := func(h http.Header) { h.Set("X-Request-ID", "0123456789abcdef01234567") }
	for _, c := range []struct {
		name, path string
		answer     func(w http.ResponseWriter)
		wrong      string // what the client must say; "" when the answer conforms
	}{
		{"a conforming list", "/v1/plans", func(w http.ResponseWriter) {
			requestID(w.Header())
			w.Header().Set("ETag", `W/"1"`)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items": []}`)
		}, ""},
		{"an undeclared status", "/v1/plans", func(w http.ResponseWriter) {
			requestID(w.Header())
			w.WriteHeader(http.StatusTeapot)
		}, "status 418 is not declared"},
		{"a body its schema refuses", "/v1/plans", func(w http.ResponseWriter) {
			requestID(w.Header())
			w.Header().Set("ETag", `W/"1"`)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items": "none"}`)
		}, "doesn't match schema"},
		{"an undeclared header", "/v1/plans", func(w http.ResponseWriter) {
			requestID(w.Header())
			w.Header().Set("ETag", `W/"1"`)
			w.Header().Set("X-Debug", "on")
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items": []}`)
		}, "header X-Debug is not declared"},
		{"a required header missing", "/v1/plans", func(w http.ResponseWriter) {
			w.Header().Set("ETag", `W/"1"`)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items": []}`)
		}, "X-Request-ID"},
		{"an error that is not a problem", "/v1/plans/" + id, func(w http.ResponseWriter) {
			requestID(w.Header())
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "not found")
		}, "text/plain"},
		{"an undeclared file type", "/v1/evidence/" + id + "/content", func(w http.ResponseWriter) {
			requestID(w.Header())
			w.Header().Set("Content-Type", "application/x-msdownload")
			_, _ = io.WriteString(w, "MZ")
		}, "application/x-msdownload"},
		{"a conforming 304", "/v1/plans/" + id, func(w http.ResponseWriter) {
			requestID(w.Header())
			w.Header().Set("ETag", `"1"`)
			w.WriteHeader(http.StatusNotModified)
		}, ""},
		{"a 304 without its ETag", "/v1/plans/" + id, func(w http.ResponseWriter) {
			requestID(w.Header())
			w.WriteHeader(http.StatusNotModified)
		}, "required header ETag is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { c.answer(w) }))
			res, err := srv.Client().Get(srv.URL + c.path)
			switch {
			case c.wrong == "" && err != nil:
				t.Fatalf("a conforming answer is refused: %v", err)
			case c.wrong == "":
				_ = res.Body.Close()
			case err == nil:
				_ = res.Body.Close()
				t.Fatalf("%d passes; want it refused for %q", res.StatusCode, c.wrong)
			case !strings.Contains(err.Error(), c.wrong):
				t.Fatalf("refused, but not for %q: %v", c.wrong, err)
			}
		})
	}
}
