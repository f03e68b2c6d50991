package httpapi

import (
	"maps"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
)

// documentHeaders states in the document the headers every operation shares, which the
// middleware and the one error path (errors.go) send rather than any handler: the request
// id, the challenge of a 401, how long to wait after a 429 or a 503, and the If-Match every
// change requires (versions.go answers 428 without it).
func documentHeaders(api huma.API) {
	requestID := sharedHeader(api, "RequestID", &huma.Header{Required: true,
		Description: "The server's id of the request, which its logs and the audit trail keep",
		Schema:      &huma.Schema{Type: huma.TypeString, Pattern: "^[0-9a-f]{24}$"}})
	retryAfter := sharedHeader(api, "RetryAfter", &huma.Header{Required: true, Description: "Seconds to wait before asking again",
		Schema: &huma.Schema{Type: huma.TypeInteger, Minimum: ptr(1.0)}})
	challenge := sharedHeader(api, "WWWAuthenticate", &huma.Header{Required: true, Description: "The bearer challenge (RFC 6750)",
		Schema: &huma.Schema{Type: huma.TypeString, Examples: []any{`Bearer realm="naptracker", error="invalid_token"`}}})
	api.OpenAPI().Components.Parameters = map[string]*huma.Param{
		"ClientRequestID": {Name: "X-Request-ID", In: "header",
			Description: "The client's own label of the request: when it is 1 to 64 letters, digits or ._:- the server " +
				"keeps it beside its own id, in its logs and in the audit trail as client_request_id; otherwise it is ignored.",
			Schema: &huma.Schema{Type: huma.TypeString}},
	}
	perStatus := map[int]map[string]*huma.Header{
		http.StatusUnauthorized:       {"WWW-Authenticate": challenge},
		http.StatusTooManyRequests:    {"Retry-After": retryAfter},
		http.StatusServiceUnavailable: {"Retry-After": retryAfter},
	}
	for _, item := range api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			for _, p := range op.Parameters {
				if p.In == "header" && p.Name == "If-Match" {
					p.Required = true
				}
			}
			op.Parameters = append(op.Parameters, &huma.Param{Ref: "#/components/parameters/ClientRequestID"})
			for code, r := range op.Responses {
				if r.Headers == nil {
					r.Headers = map[string]*huma.Header{}
				}
				r.Headers["X-Request-ID"] = requestID
				status, _ := strconv.Atoi(code)
				for name, h := range perStatus[status] {
					r.Headers[name] = h
				}
			}
		}
	}
}

// sharedHeader puts h in the document's components under name and returns a reference to it,
// for a header that several responses send.
func sharedHeader(api huma.API, name string, h *huma.Header) *huma.Header {
	c := api.OpenAPI().Components
	if c.Headers == nil {
		c.Headers = map[string]*huma.Header{}
	}
	c.Headers[name] = h
	return &huma.Header{Ref: "#/components/headers/" + name}
}

// with is headers with more added.
func with(headers, more map[string]*huma.Header) map[string]*huma.Header {
	maps.Copy(headers, more)
	return headers
}
