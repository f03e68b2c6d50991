package httpapi

import (
	"maps"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// The hottest reads answer with JSON the database rendered in the documented shape (package
// postgres, rendered.go): the bytes are sent as they are, never decoded and encoded again.

// RenderedOutput is a body the storage layer rendered as JSON.
type RenderedOutput struct {
	Body func(huma.Context)
}

// renders documents op's answer as a T in JSON, which its handler sends as rendered bytes.
func renders[T any](api huma.API, op huma.Operation) huma.Operation {
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, op.OperationID+"Response")
	op.Responses = maps.Clone(op.Responses)
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	op.Responses["200"] = &huma.Response{Description: http.StatusText(http.StatusOK),
		Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
	return op
}

// sendJSON sends JSON bytes as a 200.
func sendJSON(body []byte) func(huma.Context) {
	return func(ctx huma.Context) {
		ctx.SetHeader("Content-Type", "application/json")
		ctx.SetStatus(http.StatusOK)
		_, _ = ctx.BodyWriter().Write(body)
	}
}

// renderedPage is a Page whose items the database rendered.
func renderedPage(p nap.JSONPage) *RenderedOutput {
	body := make([]byte, 0, len(p.Items)+len(p.Next)+40)
	body = append(body, `{"items":`...)
	body = append(body, p.Items...)
	if p.Next != "" { // a cursor is URL-safe base64: nothing in it needs escaping
		body = append(body, `,"next_cursor":"`...)
		body = append(body, p.Next...)
		body = append(body, '"')
	}
	return &RenderedOutput{Body: sendJSON(append(body, '}'))}
}
