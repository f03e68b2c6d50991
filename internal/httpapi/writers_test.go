package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/seed"
)

// Two organizations report at once: each request's transaction has written its update, holds
// its row locks and has staged its audit events while the other's has too. Neither waits for
// the audit trail before it commits.
func TestReportsOfTwoOrganizationsAreWrittenTogether(t *testing.T) {
	p := newProgressFixture(t)
	ctx := context.Background()
	first := p.ds.Plan.Measures[0]
	i := slices.IndexFunc(p.ds.Plan.Measures, func(m seed.Measure) bool {
		return m.Lead != first.Lead && !slices.Contains(m.CoImplementers, first.Lead) && !slices.Contains(first.CoImplementers, m.Lead)
	})
	if i < 0 {
		t.Fatal("no measure of another organization")
	}
	second := p.ds.Plan.Measures[i]
	var measures page[struct{ ID string }]
	p.getJSON("/v1/plans/"+p.planID+"/measures?code="+second.Code, &measures)
	reporters := []struct {
		who       caller
		measureID string
	}{{p.author, p.measureID}, {p.newCaller(nap.RoleFocalPoint, second.Lead), measures.Items[0].ID}}
	b := p.expectStatus(p.coordinator, 201, "POST", "/v1/plans/"+p.planID+"/periods", map[string]any{"label": "2700-Y",
		"starts_on": "2700-01-01", "ends_on": "2700-12-31", "due_on": "2701-01-31"})
	var period struct{ ID string }
	_ = json.Unmarshal(b, &period)

	// The test holds a lock that every new update waits for, inside its transaction, once written.
	sqlDB, err := p.db.Gorm().DB()
	if err != nil {
		t.Fatal(err)
	}
	hold, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	for _, sql := range []string{`SELECT pg_advisory_lock(7271)`,
		`CREATE FUNCTION wait_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_advisory_xact_lock_shared(7271); RETURN NULL; END $$`,
		`CREATE TRIGGER wait_for_test AFTER INSERT ON progress_updates FOR EACH ROW EXECUTE FUNCTION wait_for_test()`} {
		if _, err := hold.ExecContext(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	statuses := make(chan string, len(reporters))
	for _, r := range reporters {
		go func() {
			res, b := p.send("POST", "/v1/measures/"+r.measureID+"/updates", map[string]any{"period_id": period.ID,
				"proposed_status": "ongoing", "visibility": "public"}, r.who.auth()...)
			statuses <- fmt.Sprintf("%d %s", res.StatusCode, b)
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := hold.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks
				WHERE locktype = 'advisory' AND classid = 0 AND objid = 7271 AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == len(reporters) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reports were written at once", waiting, len(reporters))
		}
	}
	if _, err := hold.ExecContext(ctx, `SELECT pg_advisory_unlock(7271)`); err != nil {
		t.Fatal(err)
	}
	for range reporters {
		if s := <-statuses; s[:3] != "201" {
			t.Errorf("report: %s", s)
		}
	}
	v, err := p.db.VerifyAudit(ctx)
	if err != nil || v.FirstInvalidSeq != nil {
		t.Errorf("audit chain: %+v, %v", v, err)
	}
}
