package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

// TestDefaultConnections: two connections for each CPU the process may use, at least four.
func TestDefaultConnections(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 4, 2: 4, 3: 6, 8: 16} {
		runtime.GOMAXPROCS(procs)
		if got := postgres.DefaultConnections(); got != want {
			t.Errorf("%d CPUs: %d connections, want %d", procs, got, want)
		}
	}
}

// TestPoolsKeepTheirConnections: the primary's pool and each replica's open as many
// connections as Open was told, or DefaultConnections, and no more: a caller beyond them
// waits for one to come back.
func TestPoolsKeepTheirConnections(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	pools := func(db *postgres.DB) (primary *sql.DB, sizes []int) {
		t.Helper()
		ps, err := db.Pools()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			sizes = append(sizes, p.DB.Stats().MaxOpenConnections)
		}
		return ps[0].DB, sizes
	}

	def, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	if _, got := pools(def); len(got) != 1 || got[0] != postgres.DefaultConnections() {
		t.Errorf("by default: %v connections, want %d", got, postgres.DefaultConnections())
	}

	db, err := postgres.Open(ctx, dsn, postgres.WithConnections(3))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.AddReplicas([]string{dsn}, time.Second); err != nil { // a replica's pool connects only when used
		t.Fatal(err)
	}
	primary, got := pools(db)
	if len(got) != 2 || got[0] != 3 || got[1] != 3 {
		t.Errorf("with 3: %v connections, want 3 for the primary and for the replica", got)
	}
	for range 3 {
		c, err := primary.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if c, err := primary.Conn(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a fourth connection while three are held: %v, want to wait for one", err)
		if c != nil {
			_ = c.Close()
		}
	}
	if s := primary.Stats(); s.OpenConnections != 3 || s.WaitCount != 1 {
		t.Errorf("open %d, waits %d; want 3 and 1", s.OpenConnections, s.WaitCount)
	}
}
