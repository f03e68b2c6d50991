package changefeed

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgnotify"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

var (
	public   = nap.Scope{Published: []nap.Visibility{nap.VisibilityPublic}}
	partners = nap.Scope{Published: []nap.Visibility{nap.VisibilityPartners, nap.VisibilityPublic}}
)

// feedDB is a database whose change feed a test writes, and a Hub reading it that counts its
// queries. The Hub does not Run: the test calls its rounds.
type feedDB struct {
	t       *testing.T
	db      *postgres.DB
	hub     *Hub
	queries atomic.Int64
}

func newFeedDB(t *testing.T) *feedDB {
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &feedDB{t: t, db: db}
	f.hub = New(func(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error) {
		f.queries.Add(1)
		return db.ListChanges(ctx, scope, after, limit)
	}, nil)
	return f
}

// change commits n public changes, each in its own transaction, and returns their ids once
// the feed may read them. (A transaction of another database, the tests of another package,
// that ends while the feed's horizon is worked out holds a change back for a moment; the horizon
// cannot tell it from one of this database, whose changes it must wait for.)
func (f *feedDB) change(n int) []int64 {
	f.t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		if err := f.db.Gorm().Raw(`INSERT INTO changes (entity_type, entity_id, op, visibility)
			VALUES ('organization', gen_random_uuid(), 'created', 'public') RETURNING id`).Scan(&ids[i]).Error; err != nil {
			f.t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var readable bool
		if err := f.db.Gorm().Raw(`SELECT xid < feed_horizon() FROM changes WHERE id = ?`, ids[n-1]).Scan(&readable).Error; err != nil {
			f.t.Fatal(err)
		}
		if readable {
			return ids
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("change %d never came below the feed's horizon", ids[n-1])
		}
	}
}

// received drains what f holds now.
func received(f *Follower) (ids []int64, open bool) {
	for {
		select {
		case batch, ok := <-f.C:
			if !ok {
				return ids, false
			}
			for _, c := range batch {
				ids = append(ids, c.ID)
			}
		default:
			return ids, true
		}
	}
}

// delivered gathers what each follower received across rounds.
type delivered map[*Follower][]int64

// roundsUntil runs rounds for every follower until each in got, all reading, has received
// last, and returns how many queries each round ran: a round may find changes held back for a
// moment (change), and the next delivers them.
func (f *feedDB) roundsUntil(got delivered, last int64) (queries []int64) {
	f.t.Helper()
	for tries := 0; ; tries++ {
		if tries == 100 {
			f.t.Fatalf("change %d never reached every follower", last)
		}
		f.queries.Store(0)
		f.hub.round(context.Background(), true)
		queries = append(queries, f.queries.Load())
		all := true
		for fl := range got {
			batch, open := received(fl)
			if !open {
				f.t.Fatal("a follower that reads was dropped")
			}
			got[fl] = append(got[fl], batch...)
			all = all && slices.Contains(got[fl], last)
		}
		if all {
			return queries
		}
	}
}

// TestFollowersShareTheirScopesQuery: a round of the reader costs one query per scope, however
// many follow each, and each follower gets every change after its cursor once.
func TestFollowersShareTheirScopesQuery(t *testing.T) {
	f := newFeedDB(t)
	start := f.change(1)[0]
	var followers []*Follower
	for range 50 {
		followers = append(followers, f.hub.Follow(public, start), f.hub.Follow(partners, start))
	}
	got := delivered{}
	for _, fl := range followers {
		got[fl] = nil
	}
	var want []int64
	for range 5 {
		ids := f.change(3)
		want = append(want, ids...)
		for _, n := range f.roundsUntil(got, ids[2]) {
			if n != 2 {
				t.Errorf("a round for 100 followers of 2 scopes ran %d queries", n)
			}
		}
	}
	for _, fl := range followers {
		if !slices.Equal(got[fl], want) {
			t.Fatalf("a follower got %v, want %v", got[fl], want)
		}
	}
}

// TestFollowersAtOtherCursorsJoinUp: followers of a scope that join at different cursors each
// get what follows their own, and share one query once they have a change in common; a round
// for a joiner reads for joiners only.
func TestFollowersAtOtherCursorsJoinUp(t *testing.T) {
	f := newFeedDB(t)
	ids := f.change(4)
	ctx := context.Background()
	early, late := f.hub.Follow(public, ids[0]), f.hub.Follow(public, ids[2])
	// Served in the order a round may happen to take them, the later cursor first: one query,
	// from the earlier, serves both. (Unless it found the changes held back, which leaves the
	// followers apart for one more; the rounds after deliver the rest.)
	f.queries.Store(0)
	f.hub.serve(ctx, []*Follower{late, early})
	got := delivered{}
	got[early], _ = received(early)
	got[late], _ = received(late)
	if n := f.queries.Load(); slices.Contains(got[early], ids[3]) && n != 1 {
		t.Errorf("followers of a scope, one's cursor in the other's changes, were served with %d queries", n)
	}
	f.roundsUntil(got, ids[3])
	if !slices.Equal(got[early], ids[1:]) {
		t.Errorf("early follower got %v, want %v", got[early], ids[1:])
	}
	if !slices.Equal(got[late], ids[3:]) {
		t.Errorf("late follower got %v, want %v", got[late], ids[3:])
	}
	more := f.change(2)
	f.queries.Store(0)
	joiner := f.hub.Follow(partners, more[0])
	f.hub.round(ctx, false)
	if n := f.queries.Load(); n != 1 {
		t.Errorf("a round for one joiner ran %d queries", n)
	}
	if got, _ := received(early); len(got) > 0 {
		t.Errorf("a round for a joiner delivered %v to another follower", got)
	}
	// The joiner's round delivered what it found; the rounds for all deliver the rest.
	got = delivered{early: nil, late: nil}
	got[joiner], _ = received(joiner)
	for _, n := range f.roundsUntil(got, more[1]) {
		if n != 2 {
			t.Errorf("a round for 3 followers of 2 scopes, aligned, ran %d queries", n)
		}
	}
	if !slices.Equal(got[joiner], more[1:]) {
		t.Errorf("joiner got %v, want %v", got[joiner], more[1:])
	}
	for _, fl := range []*Follower{early, late} {
		if !slices.Equal(got[fl], more) {
			t.Errorf("follower got %v, want %v", got[fl], more)
		}
	}
}

// TestFollowerFallingBehindIsDropped: a follower that holds buffered batches unread is dropped
// without holding up the others: its channel closes after the batches it holds, which run
// without a gap from its cursor, so that it can read on from there by itself.
func TestFollowerFallingBehindIsDropped(t *testing.T) {
	f := newFeedDB(t)
	start := f.change(1)[0]
	slow, quick := f.hub.Follow(public, start), f.hub.Follow(public, start)
	var all []int64
	quickGot := delivered{quick: nil}
	for range buffered + 1 {
		// A batch a round, to both: a round that finds the change held back delivers nothing.
		c := f.change(1)
		all = append(all, c...)
		f.roundsUntil(quickGot, c[0])
	}
	if !slices.Equal(quickGot[quick], all) {
		t.Errorf("the quick follower got %v, want %v", quickGot[quick], all)
	}
	got, open := received(slow)
	if open {
		t.Fatal("a follower buffered batches behind was kept")
	}
	if !slices.Equal(got, all[:buffered]) {
		t.Errorf("the slow follower got %v before it was dropped, want %v", got, all[:buffered])
	}
	slow.Close() // closing a dropped follower is harmless
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	if _, ok := f.hub.followers[slow]; ok {
		t.Error("the dropped follower is still served")
	}
}

// TestRunReadsNothingWithoutFollowers: a round with no follower runs no query.
func TestRunReadsNothingWithoutFollowers(t *testing.T) {
	f := newFeedDB(t)
	f.change(1)
	f.hub.round(context.Background(), true)
	f.hub.Follow(public, 0).Close()
	f.hub.round(context.Background(), true)
	if n := f.queries.Load(); n != 0 {
		t.Errorf("rounds without followers ran %d queries", n)
	}
}

// TestRunReadsAsChangesAreAnnounced: running, the reader reads for each follower as it joins,
// and for all as each change is announced, joiners' rounds in between.
func TestRunReadsAsChangesAreAnnounced(t *testing.T) {
	f := newFeedDB(t)
	announce := pgnotify.NewBroadcaster()
	f.hub.changes, f.hub.recheck = announce, time.Hour // only announcements make it read
	read := make(chan string, 100)
	list := f.hub.list
	f.hub.list = func(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error) {
		read <- scope.Key()
		return list(ctx, scope, after, limit)
	}
	ctx, stop := context.WithCancel(context.Background())
	var running sync.WaitGroup
	running.Go(func() { f.hub.Run(ctx) })
	defer running.Wait()
	defer stop()
	// awaitRead waits until the reader reads for scope.
	awaitRead := func(scope nap.Scope, why string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case key := <-read:
				if key == scope.Key() {
					return
				}
			case <-timeout:
				t.Fatalf("no read %s", why)
			}
		}
	}
	ids := f.change(1)
	f.hub.Follow(public, ids[0])
	awaitRead(public, "for a joiner")
	for range 3 {
		joiner := f.hub.Follow(partners, ids[0])
		awaitRead(partners, "for a joiner")
		joiner.Close()
		f.change(1)
		announce.Notify()
		awaitRead(public, "as a change is announced")
	}
}
