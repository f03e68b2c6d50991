package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// linkBatch is how many staged events one statement of a linking pass links at most, so that
// a long backlog (after an outage of every server, say) is linked in bounded transactions.
const linkBatch = 10000

// linkTimeout bounds a linking pass, which runs on behalf of everyone waiting for it.
const linkTimeout = 30 * time.Second

// LinkAudit links the audit events staged by committed transactions into the chain (migration
// 00018) and returns how many it linked. It runs on the primary, in transactions of its own;
// one linker at a time, whoever calls it.
func (db *DB) LinkAudit(ctx context.Context) (int64, error) {
	var total int64
	for {
		var n int64
		if err := db.gorm.WithContext(ctx).Raw(`SELECT audit_link(?)`, linkBatch).Row().Scan(&n); err != nil {
			return total, err
		}
		total += n
		if n < linkBatch {
			return total, nil
		}
	}
}

// LinkCommitted returns once the audit events of every transaction committed before the call
// are in the chain: it waits for a linking pass that begins after it, shared with everyone of
// this process who waits meanwhile (linker).
func (db *DB) LinkCommitted(ctx context.Context) error {
	return db.links.await(ctx, func(ctx context.Context) error {
		_, err := db.LinkAudit(ctx)
		return err
	})
}

// linkAfterCommit starts, after a commit of InTx, the pass that links its events, and returns
// without waiting for it: the change is answered at once, and whoever reads the trail waits
// for a pass first (LinkCommitted), so the change's events are there to read. The change is
// made either way, so a pass that fails is only logged; the next pass, of anyone's, links what
// it left. Close waits for the passes begun and drops the one waiting to begin.
func (db *DB) linkAfterCommit(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	db.linking.start(func() {
		if err := db.LinkCommitted(ctx); err != nil {
			slog.Warn("linking the audit trail failed; the next pass links what is staged", "error", err)
		}
	})
}

// passes are the linking passes started after commits. One pass links what every commit made
// before it began, so while one is due to begin a commit starts none; and none begins sooner
// than passSpacing after the last began, so that a steady stream of commits is linked in a few
// passes a second, not one every few commits: each pass is a transaction of its own, with its
// lock, its flush of the log and its announcement to the change streams. Once Close has begun,
// none starts, and one still waiting to begin does not: a commit that comes as the server stops
// leaves its events staged for the next pass, of this server when it starts again or of
// another, as a pass that fails does.
type passes struct {
	spacing time.Duration // the least time between the beginnings of two passes
	drop    chan struct{} // closed by stop: the pass waiting to begin does not
	mu      sync.Mutex
	stopped bool
	due     bool      // a pass has started and not yet begun linking
	last    time.Time // when the last pass began
	started sync.WaitGroup
}

func newPasses(spacing time.Duration) *passes {
	return &passes{spacing: spacing, drop: make(chan struct{})}
}

// passSpacing is the least time between the beginnings of two passes started after commits:
// what a change's stream announcement may wait at most, beyond the pass itself, when commits
// come faster than passes end.
const passSpacing = 25 * time.Millisecond

// start runs pass in a goroutine of its own, at once or spacing after the last one began,
// unless one is due already (it begins later, so it covers the caller's commit) or the passes
// are stopped.
func (p *passes) start(pass func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.due {
		return
	}
	p.due = true
	wait := time.Until(p.last.Add(p.spacing))
	p.started.Go(func() {
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-p.drop:
				return
			}
		}
		p.mu.Lock()
		p.due, p.last = false, time.Now()
		p.mu.Unlock()
		pass()
	})
}

// stop starts no pass from now on, drops the one waiting for its time to begin, and returns
// once the others started have ended.
func (p *passes) stop() {
	p.mu.Lock()
	if !p.stopped {
		close(p.drop)
	}
	p.stopped = true
	p.mu.Unlock()
	p.started.Wait()
}

// linker shares linking passes among the commits and the readers of the trail of this
// process, as PostgreSQL's group commit shares a flush of its log: each waits for a pass that
// starts after it came, and all that come while a pass runs share the next one. So a burst of
// writes takes a few passes, not one each.
type linker struct {
	mu      sync.Mutex
	running bool      // a pass is running
	next    *linkPass // the pass that starts when it ends, with everyone waiting for it
}

type linkPass struct {
	start chan struct{} // closed when the pass before it has ended
	done  chan struct{} // closed when it has ended, with err
	err   error
}

// await returns once a pass of link that began after the call has ended, with its error. The
// first caller to need a pass runs it, even if its own ctx ends meanwhile: the others wait
// for it.
func (l *linker) await(ctx context.Context, link func(context.Context) error) error {
	l.mu.Lock()
	p, runs := l.next, false
	switch {
	case !l.running:
		l.running, runs = true, true
		p = &linkPass{done: make(chan struct{})}
	case p == nil:
		p = &linkPass{start: make(chan struct{}), done: make(chan struct{})}
		l.next, runs = p, true
	}
	l.mu.Unlock()
	if !runs {
		select {
		case <-p.done:
			return p.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if p.start != nil {
		<-p.start
	}
	passCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), linkTimeout)
	p.err = link(passCtx)
	cancel()
	close(p.done)
	l.mu.Lock()
	if n := l.next; n != nil {
		l.next = nil // it runs now; whoever comes from here on waits for the one after
		close(n.start)
	} else {
		l.running = false
	}
	l.mu.Unlock()
	return p.err
}
