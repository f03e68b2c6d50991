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
