package authz_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/nap"
)

// failingSource gives no memberships, or fails when told to.
type failingSource struct{ fail bool }

func (s *failingSource) LiveMemberships(context.Context) ([]nap.Membership, time.Duration, error) {
	if s.fail {
		return nil, 0, errors.New("the database does not answer")
	}
	return nil, 0, nil
}

// TestReloadsAreCounted: an operator sees how many loads of the policy succeeded and failed,
// and since when the one in force holds; a failed load leaves the previous one in force.
func TestReloadsAreCounted(t *testing.T) {
	ctx := context.Background()
	src := &failingSource{}
	start := time.Now()
	e, err := authz.New(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	first, ok, failed := e.Reloads()
	if ok != 1 || failed != 0 || first.Before(start) {
		t.Fatalf("after the first load: %s %d %d", first, ok, failed)
	}
	src.fail = true
	if err := e.Reload(ctx); err == nil {
		t.Fatal("a load from a source that fails succeeded")
	}
	if loaded, ok, failed := e.Reloads(); ok != 1 || failed != 1 || !loaded.Equal(first) {
		t.Errorf("after a failed load: %s %d %d", loaded, ok, failed)
	}
	src.fail = false
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if loaded, ok, failed := e.Reloads(); ok != 2 || failed != 1 || !loaded.After(first) {
		t.Errorf("after a second load: %s %d %d", loaded, ok, failed)
	}
}
