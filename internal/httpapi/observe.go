package httpapi

import "github.com/danielgtaylor/huma/v2"

// Observer is told what the API serves, for an operator's metrics.
type Observer interface {
	// Begin is called as an operation starts; what it returns, as the operation ends, with the
	// status answered (0 when the operation failed before answering).
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
		defer func() { end(ctx.Status()) }()
		next(ctx)
	}
}
