package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Observer is told what the API serves, for an operator's metrics.
type Observer interface {
	// Begin is called as an operation starts; what it returns, as the operation ends, with the
	// status the client was sent (500 when the operation failed, or was cut off, after it).
	Begin(operation string) (end func(status int))
	// StreamsOpen is told how many change streams are open whenever that changes.
	StreamsOpen(n int)
}

// observe tells o of every operation, from before authentication to the last byte.
func observe(o Observer) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if o == nil {
			next(ctx)
			return
		}
		end := o.Begin(ctx.Operation().OperationID)
		defer func() {
			if p := recover(); p != nil {
				end(http.StatusInternalServerError)
				panic(p)
			}
			end(sentStatus(ctx))
		}()
		next(ctx)
	}
}

// sentStatus is the status the client was sent. Streamed responses (exports, evidence files)
// write to the connection without telling huma their status, so it is read from the request
// log's recorder (New serves every operation through it); net/http sends 200 when nothing was
// written.
func sentStatus(ctx huma.Context) int {
	if _, w := humago.Unwrap(ctx); w != nil {
		if rec, ok := w.(*statusRecorder); ok {
			return rec.status
		}
	}
	return ctx.Status()
}
