package authz

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/pgnotify"
)

// Channel is the PostgreSQL notification channel on which a change of memberships, of users'
// activity or of tokens' revocation is announced (by triggers, whoever makes the change).
const Channel = "naptracker_access"

// Hooks are told of changes of access as Watch learns of them.
type Hooks struct {
	// Heard is called at each notification, before the reload: for those who keep what a
	// change of access makes stale.
	Heard func()
	// Reloaded is called after each reload that succeeds: decisions follow the change from
	// then on.
	Reloaded func()
}

// Watch keeps the enforcer current until ctx ends: it reloads on every notification on
// Channel, when a membership starts or ends by the clock, and after each reconnection (a
// notification may have been missed meanwhile), and tells hooks. dsn is the database's
// connection string. It returns once it and the listener it starts have stopped.
func (e *Enforcer) Watch(ctx context.Context, dsn string, hooks Hooks) {
	changed := make(chan struct{}, 1)
	var listening sync.WaitGroup
	defer listening.Wait()
	// One pending signal covers any number of changes.
	listening.Go(func() {
		pgnotify.Listen(ctx, dsn, Channel, func() {
			if hooks.Heard != nil {
				hooks.Heard()
			}
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	})

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	retry := time.Duration(0) // after a failed reload: how long until the next try
	for {
		wait := min(e.UntilNextChange(), time.Hour)
		if retry > 0 {
			wait = retry
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-timer.C:
		}
		if err := e.Reload(ctx); err != nil {
			// The previous policy stays in force, and is stale: try again soon, then less often.
			retry = min(max(2*retry, 500*time.Millisecond), 30*time.Second)
			slog.Error("access policy reload failed; keeping the previous one and retrying", "error", err, "retry_in", retry.String())
			continue
		}
		retry = 0
		if hooks.Reloaded != nil {
			hooks.Reloaded()
		}
	}
}
