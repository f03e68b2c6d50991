// Package changefeed follows the change feed for the whole server and fans what each scope
// may see out to the streams that follow it: one query per scope and batch of changes,
// however many streams share the scope.
package changefeed

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Lister reads, oldest first, at most limit changes after the change after that scope may see.
type Lister func(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error)

// Waker wakes whoever waits on it when something happens.
type Waker interface {
	Wait() <-chan struct{}
}

const (
	// pageSize is how many changes one query reads.
	pageSize = 100
	// buffered is how many batches a follower may hold unread before it is dropped.
	buffered = 64
	// recheck is how long the reader waits without a notification before it reads again, for
	// changes held back by a transaction that was still running when the last one came.
	recheck = 5 * time.Second
)

// Hub is the one reader of the change feed.
type Hub struct {
	list    Lister
	changes Waker
	recheck time.Duration // how long it waits unannounced before it reads anyway

	mu        sync.Mutex
	followers map[*Follower]bool // true: joined since the last round, not yet read for
	joined    chan struct{}      // signalled when a follower joins
}

// New returns a Hub that reads with list whenever changes wakes it; Run makes it work.
func New(list Lister, changes Waker) *Hub {
	return &Hub{list: list, changes: changes, recheck: recheck, followers: map[*Follower]bool{}, joined: make(chan struct{}, 1)}
}

// Follower receives the changes of one scope after its cursor, in batches, in feed order.
type Follower struct {
	scope nap.Scope
	key   string
	// C carries the batches; it is closed when the follower falls buffered batches behind,
	// after the last batch it holds: the follower reads on from its cursor by itself.
	C      <-chan []nap.Change
	c      chan []nap.Change
	cursor int64 // where the next batch starts; the reader's
	hub    *Hub
}

// Follow returns a follower of what scope may see after the change after; Close it when done.
func (h *Hub) Follow(scope nap.Scope, after int64) *Follower {
	c := make(chan []nap.Change, buffered)
	f := &Follower{scope: scope, key: scope.Key(), C: c, c: c, cursor: after, hub: h}
	h.mu.Lock()
	h.followers[f] = true
	h.mu.Unlock()
	select {
	case h.joined <- struct{}{}:
	default:
	}
	return f
}

// Close stops the follower's deliveries.
func (f *Follower) Close() {
	f.hub.mu.Lock()
	delete(f.hub.followers, f)
	f.hub.mu.Unlock()
}

// Run reads the feed as changes commit, and for followers as they join, until ctx ends. With
// no follower it reads nothing.
func (h *Hub) Run(ctx context.Context) {
	timer := time.NewTimer(h.recheck)
	defer timer.Stop()
	// Waited on before each round for everyone, so that no wake-up falls in between.
	changed := h.changes.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-timer.C:
		case <-h.joined:
			h.round(ctx, false)
			continue
		}
		changed = h.changes.Wait()
		h.round(ctx, true)
		timer.Reset(h.recheck)
	}
}

// round reads for every follower (all), or for those that joined since the last round: one
// query per scope, and per cursor of that scope not found among the changes read for another.
func (h *Hub) round(ctx context.Context, all bool) {
	h.mu.Lock()
	scopes := map[string][]*Follower{}
	for f, fresh := range h.followers {
		if all || fresh {
			scopes[f.key] = append(scopes[f.key], f)
			h.followers[f] = false
		}
	}
	h.mu.Unlock()
	for _, fs := range scopes {
		h.serve(ctx, fs)
	}
}

// serve delivers to followers of one scope what is new after their cursors. A query from one
// cursor serves every follower whose cursor is that one or among the changes it returns, so
// followers of a scope share one cursor after their first change in common. It reads from the
// earliest cursor first, whose changes may hold the others'.
func (h *Hub) serve(ctx context.Context, pending []*Follower) {
	for len(pending) > 0 {
		slices.SortFunc(pending, func(a, b *Follower) int { return cmp.Compare(a.cursor, b.cursor) })
		from := pending[0].cursor
		p, err := h.list(ctx, pending[0].scope, from, pageSize)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("reading the change feed failed; retrying with the next change", "error", err)
			}
			return
		}
		at := make(map[int64]int, len(p.Items))
		for i, c := range p.Items {
			at[c.ID] = i
		}
		var more, rest []*Follower
		for _, f := range pending {
			start, ok := 0, f.cursor == from
			if i, found := at[f.cursor]; !ok && found {
				start, ok = i+1, true
			}
			switch {
			case !ok:
				rest = append(rest, f)
			case h.deliver(f, p.Items[start:], p.Next) && p.More:
				more = append(more, f)
			}
		}
		pending = append(more, rest...)
	}
}

// deliver queues batch for f, whose cursor becomes next; a follower whose buffer is full is
// dropped, and false returned.
func (h *Hub) deliver(f *Follower, batch []nap.Change, next int64) bool {
	if len(batch) == 0 {
		f.cursor = next
		return true
	}
	select {
	case f.c <- batch:
		f.cursor = next
		return true
	default:
		h.mu.Lock()
		if _, open := h.followers[f]; open {
			delete(h.followers, f)
			close(f.c)
		}
		h.mu.Unlock()
		return false
	}
}
