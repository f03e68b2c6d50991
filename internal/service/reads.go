package service

import (
	"context"
	"sync"
)

// A step on an update is authorized in the update's organization, and a new update in its
// measure's organizations, so the access check reads its target before the use case runs.
// The use case then starts from that read rather than making it again. It is as current as a
// read of its own: both are made before the use case's transaction, which checks the version
// it started from.
//
// Reads are remembered only in a request whose context RememberReads prepared (the HTTP
// layer does, for operations whose access depends on their target), and each is taken once.

type readsKey struct{}

type reads struct {
	mu   sync.Mutex
	byID map[string]any
}

// RememberReads returns ctx with room for the reads of one request.
func RememberReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, readsKey{}, &reads{byID: map[string]any{}})
}

// remember keeps v, read as key, for the rest of ctx's request, where there is room.
func remember(ctx context.Context, key string, v any) {
	if r, ok := ctx.Value(readsKey{}).(*reads); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.byID[key] = v
	}
}

// recall returns, and forgets, what remember kept as key; else read's result.
func recall[T any](ctx context.Context, key string, read func() (T, error)) (T, error) {
	if r, ok := ctx.Value(readsKey{}).(*reads); ok {
		r.mu.Lock()
		v, found := r.byID[key].(T)
		delete(r.byID, key)
		r.mu.Unlock()
		if found {
			return v, nil
		}
	}
	return read()
}
