// Package pgnotify listens to a PostgreSQL notification channel, reconnecting when the
// connection fails, and fans what it hears out to whoever waits.
package pgnotify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// retryAfter is how long Listen waits before listening again after the connection failed.
const retryAfter = time.Second

// Listen calls heard when listening starts (a notification may have been missed before) and
// on every notification on channel, until ctx ends. dsn is the database's connection string.
func Listen(ctx context.Context, dsn, channel string, heard func()) {
	for ctx.Err() == nil {
		if err := listenOnce(ctx, dsn, channel, heard); err != nil && ctx.Err() == nil {
			slog.Warn("listening failed; retrying", "channel", channel, "error", err, "retry_in", retryAfter.String())
			select {
			case <-time.After(retryAfter):
			case <-ctx.Done():
			}
		}
	}
}

func listenOnce(ctx context.Context, dsn, channel string, heard func()) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the connection is done with either way
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	for {
		heard()
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
	}
}

// Broadcaster wakes every waiter when its channel speaks.
type Broadcaster struct {
	mu   sync.Mutex
	wake chan struct{} // closed and replaced on each notification
}

// NewBroadcaster returns a Broadcaster; feed it with Listen(ctx, dsn, channel, b.Notify).
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{wake: make(chan struct{})}
}

// Notify wakes everyone waiting now.
func (b *Broadcaster) Notify() {
	b.mu.Lock()
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// Wait returns a channel closed at the next notification.
func (b *Broadcaster) Wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wake
}
