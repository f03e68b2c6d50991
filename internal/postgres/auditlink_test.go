package postgres

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every caller of await returns only after a pass that began after its call has ended, with
// that pass's error; passes never overlap; callers who come while a pass runs share the next.
func TestLinkerSharesPasses(t *testing.T) {
	var l linker
	var calls, covered, passes atomic.Int64
	var running atomic.Bool
	errFirst := errors.New("the first pass failed")
	release := make(chan struct{})
	link := func(context.Context) error {
		if !running.CompareAndSwap(false, true) {
			t.Error("two passes ran at once")
		}
		seen := calls.Load() // every call counted so far began before this pass
		first := passes.Add(1) == 1
		if first {
			<-release // the first pass runs until the others have come
		}
		running.Store(false)
		covered.Store(max(covered.Load(), seen))
		if first {
			return errFirst
		}
		return nil
	}
	const callers = 20
	var wg sync.WaitGroup
	check := func(want error) {
		c := calls.Add(1)
		if err := l.await(context.Background(), link); !errors.Is(err, want) {
			t.Errorf("call %d: %v, want %v", c, err, want)
		}
		if covered.Load() < c {
			t.Errorf("call %d returned after passes that began before it (they covered %d)", c, covered.Load())
		}
	}
	wg.Go(func() { check(errFirst) })
	for passes.Load() == 0 { // the first pass has begun
		runtime.Gosched()
	}
	for range callers - 1 {
		wg.Go(func() { check(nil) })
	}
	for calls.Load() < callers {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := passes.Load(); n < 2 || n > 3 {
		// the first, then one for everyone who came while it ran, and at most one more for a
		// caller counted before it began its wait
		t.Errorf("%d passes for %d callers, want 2 or 3", n, callers)
	}
}

// Stopping the passes waits for those started, and none starts after: a commit that comes
// as the server stops leaves its events staged.
func TestStoppedPassesStartNone(t *testing.T) {
	p := newPasses(0)
	release := make(chan struct{})
	ran := make(chan string, 2)
	p.start(func() {
		<-release
		ran <- "started before the stop"
	})
	stopped := make(chan struct{})
	go func() {
		p.stop()
		close(stopped)
	}()
	for !func() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.stopped }() { // the stop has begun
		runtime.Gosched()
	}
	p.start(func() { ran <- "started after the stop" })
	close(release)
	<-stopped
	var got []string
	for len(ran) > 0 {
		got = append(got, <-ran)
	}
	if want := []string{"started before the stop"}; !slices.Equal(got, want) {
		t.Errorf("passes that ran by the time the stop returned: %q, want %q", got, want)
	}
}

// Commits that come while a pass is due start none, and passes begin at least passSpacing
// apart; every commit is linked by a pass that begins after it.
func TestPassesBeginSpacedAndCoverEveryCommit(t *testing.T) {
	p := newPasses(passSpacing)
	defer p.stop()
	type begun struct {
		at     time.Time
		covers int64 // the commits counted before the pass began
	}
	var commits atomic.Int64
	begins := make(chan begun, 100)
	pass := func() { begins <- begun{time.Now(), commits.Load()} }
	const rounds, perRound = 5, 10
	var got []begun
	for range rounds {
		for range perRound {
			commits.Add(1)
			p.start(pass)
		}
		for len(got) == 0 || got[len(got)-1].covers < commits.Load() {
			select {
			case b := <-begins:
				got = append(got, b)
			case <-time.After(10 * time.Second):
				t.Fatalf("commit %d was never covered by a pass; passes: %v", commits.Load(), got)
			}
		}
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < passSpacing {
			t.Errorf("pass %d began %v after the one before, want at least %v", i, gap, passSpacing)
		}
	}
	if len(got) > 2*rounds {
		t.Errorf("%d passes for %d commits in %d bursts, want at most two a burst", len(got), rounds*perRound, rounds)
	}
}

// Stopping drops the pass waiting for its time to begin, without waiting for that time.
func TestStopDropsTheDuePass(t *testing.T) {
	p := newPasses(time.Hour)
	release := make(chan struct{})
	ran := make(chan string, 2)
	p.start(func() {
		ran <- "begun"
		<-release
	})
	<-ran
	p.start(func() { ran <- "due when the stop came" }) // due an hour after the first began
	stopped := make(chan struct{})
	go func() {
		p.stop()
		close(stopped)
	}()
	close(release)
	<-stopped
	if len(ran) > 0 {
		t.Errorf("the pass due when the stop came ran: %q", <-ran)
	}
}
