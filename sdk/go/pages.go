package napclient

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
)

// Pager is the response of a list operation: a page of items and the cursor of the next
// page. The response of every list operation is one (pages.gen.go).
type Pager[T any] interface {
	Page() (items []T, next *string, err error)
}

// All yields every item of a list operation once, page by page, following next_cursor until
// the last page. fetch reads one page: it gets nil for the first, then each next_cursor.
//
//	params := &napclient.ListMeasuresParams{Lead: &lead}
//	for m, err := range napclient.All(ctx, func(ctx context.Context, cursor *string) (*napclient.ListMeasuresResponse, error) {
//		params.Cursor = cursor
//		return c.ListMeasuresWithResponse(ctx, planID, params)
//	}) {
//		if err != nil { ... }
//		fmt.Println(m.Code)
//	}
//
// A failed page yields its error and ends the sequence, as does a cancelled ctx.
func All[R Pager[T], T any](ctx context.Context, fetch func(ctx context.Context, cursor *string) (R, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var cursor *string
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			res, err := fetch(ctx, cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			items, next, err := res.Page()
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == nil || *next == "" {
				return
			}
			cursor = next
		}
	}
}

// ResponseError is a response that did not bring what was asked for: its status and, when
// the API explained it, the problem details (RFC 9457).
type ResponseError struct {
	StatusCode int
	Problem    *ErrorModel
}

func (e *ResponseError) Error() string {
	if e.Problem != nil && e.Problem.Detail != nil {
		return fmt.Sprintf("naptracker: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), *e.Problem.Detail)
	}
	return fmt.Sprintf("naptracker: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// responseError describes a response without the expected body.
func responseError(res *http.Response, body []byte) error {
	e := &ResponseError{}
	if res != nil {
		e.StatusCode = res.StatusCode
	}
	var p ErrorModel
	if json.Unmarshal(body, &p) == nil && (p.Detail != nil || p.Title != nil) {
		e.Problem = &p
	}
	return e
}
