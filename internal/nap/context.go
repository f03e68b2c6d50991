package nap

import "context"

type requestIDKey struct{}

// NewContextWithRequestID returns ctx carrying the id that names one request in logs and
// records.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request id in ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type clientRequestIDKey struct{}

// NewContextWithClientRequestID returns ctx carrying the id a client gave its request: kept
// beside the server's own, never in its place.
func NewContextWithClientRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientRequestIDKey{}, id)
}

// ClientRequestIDFromContext returns the id the client gave its request, or "".
func ClientRequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(clientRequestIDKey{}).(string)
	return id
}
