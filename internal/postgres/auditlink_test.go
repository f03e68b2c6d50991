package postgres

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
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
	var p passes
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
