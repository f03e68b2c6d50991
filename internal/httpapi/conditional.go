package httpapi

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Every JSON read answers If-None-Match: a dashboard that polls a list, a summary or an
// object gets an empty 304 while what it would read is unchanged. An object's ETag is its
// version (versions.go); anything else gets a weak ETag of its representation, so a read
// changes its ETag exactly when its body would change, for each audience alike.

// revalidate holds an operation's answer back until it is complete; a 200 in JSON gets an
// ETag when the handler gave it none, and becomes a 304 with only that ETag when If-None-Match
// names it.
func revalidate(ctx huma.Context, next func(huma.Context)) {
	held := &heldResponse{humaContext: ctx, status: http.StatusOK}
	next(held)
	_, w := humago.Unwrap(ctx)
	h := w.Header()
	if held.status == http.StatusOK && isJSON(h.Get("Content-Type")) {
		tag := h.Get("ETag")
		if tag == "" {
			// A weak tag only has to change when the body does; it is no digest a client
			// checks content with, so a fast 64-bit hash serves.
			tag = `W/"` + strconv.FormatUint(xxhash.Sum64(held.body.Bytes()), 16) + `"`
			h.Set("ETag", tag)
		}
		if matchesAny(ctx.Header("If-None-Match"), tag) {
			held.status = http.StatusNotModified
		}
	}
	if held.status == http.StatusNotModified {
		// A 304 says only that the client's copy is current (RFC 9110, 15.4.5).
		h.Del("Content-Type")
		h.Del("Content-Length")
		ctx.SetStatus(http.StatusNotModified)
		return
	}
	// The whole body is here: its length spares the client chunked encoding, and the server
	// writes it at once.
	h.Set("Content-Length", strconv.Itoa(held.body.Len()))
	ctx.SetStatus(held.status)
	_, _ = held.body.WriteTo(ctx.BodyWriter())
}

// heldResponse keeps the status and body an operation writes until revalidate sends them.
type heldResponse struct {
	humaContext
	status int
	body   bytes.Buffer
}

func (r *heldResponse) SetStatus(code int)    { r.status = code }
func (r *heldResponse) Status() int           { return r.status }
func (r *heldResponse) BodyWriter() io.Writer { return &r.body }
func (r *heldResponse) Unwrap() huma.Context  { return r.humaContext }

// humaContext names the embedded context apart from its method Context.
type humaContext = huma.Context

func isJSON(contentType string) bool {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// matchesAny reports whether an If-None-Match header names etag or is "*". It compares
// weakly, as RFC 9110 asks for If-None-Match: W/"x" matches "x".
func matchesAny(ifNoneMatch, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(ifNoneMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// documentRevalidation states in op's document what revalidate does: the If-None-Match it
// reads, the ETag of every 200, and the 304.
func documentRevalidation(op *huma.Operation) {
	if !hasParam(op, "header", "If-None-Match") {
		op.Parameters = append(op.Parameters, &huma.Param{Name: "If-None-Match", In: "header",
			Description: "ETags of copies the client holds: 304 without a body when one of them is current.",
			Schema:      &huma.Schema{Type: huma.TypeString, MaxLength: ptr(4096)}})
	}
	ok := op.Responses["200"]
	if ok.Headers == nil {
		ok.Headers = map[string]*huma.Param{}
	}
	tag := ok.Headers["ETag"]
	if tag == nil || tag.Schema == nil {
		tag = &huma.Param{Schema: &huma.Schema{Type: huma.TypeString}}
	}
	tag.Required = true
	if tag.Description == "" {
		tag.Description = "Changes whenever the representation does; send it as If-None-Match to revalidate."
	}
	ok.Headers["ETag"] = tag
	op.Responses["304"] = &huma.Response{
		Description: "Not modified: the copy whose ETag If-None-Match names is current. No body.",
		Headers:     map[string]*huma.Param{"ETag": tag},
	}
}

func hasParam(op *huma.Operation, in, name string) bool {
	for _, p := range op.Parameters {
		if p.In == in && strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}
