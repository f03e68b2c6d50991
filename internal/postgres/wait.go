package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Wait calls connect until it succeeds, fails for a reason other than an unreachable database
// (a wrong password or a missing database fails at once), or within has passed; it logs each
// failed try and waits longer after each, up to 5 s. A database that starts after its server
// (docker compose up, a host rebooting) is waited for rather than given up on.
func Wait(ctx context.Context, within time.Duration, connect func(context.Context) error) error {
	deadline := time.Now().Add(within)
	pause := 250 * time.Millisecond
	for try := 1; ; try++ {
		err := connect(ctx)
		if err == nil || !unreachable(err) {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("the database did not answer within %s: %w", within, err)
		}
		pause = min(pause, left)
		slog.Warn("the database does not answer yet; retrying", "try", try, "error", err, "retry_in", pause.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}
