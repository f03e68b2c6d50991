package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// statementLog is told, by every connection of the server's pool, of each statement sent.
type statementLog struct {
	mu       sync.Mutex
	watchers []func(sql string)
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	watchers := l.watchers
	l.mu.Unlock()
	for _, w := range watchers {
		w(d.SQL)
	}
	return ctx
}

func (*statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countStatements counts, from now until the test ends, the statements the fixture's server
// sends to the database whose text holds marker ("": all).
func (f *fixture) countStatements(marker string) *atomic.Int64 {
	return f.countStatementsWhere(func(sql string) bool { return strings.Contains(sql, marker) })
}

// countStatementsWhere counts, from now until the test ends, the statements the fixture's
// server sends to the database that match.
func (f *fixture) countStatementsWhere(match func(sql string) bool) *atomic.Int64 {
	var n atomic.Int64
	f.sent.mu.Lock()
	defer f.sent.mu.Unlock()
	f.sent.watchers = append(f.sent.watchers, func(sql string) {
		if match(sql) {
			n.Add(1)
		}
	})
	return &n
}

// TestReadsAreBoundedStatements: what a dashboard reads costs a fixed number of statements,
// however many measures, organizations and recommendations a page holds: no query per row.
func TestReadsAreBoundedStatements(t *testing.T) {
	p := newProgressFixture(t)
	p.approved("Training held for 40 consular officers.", "public", "Training record")
	plan := "/v1/plans/" + p.planID
	reads := map[string]string{
		"list-measures":     plan + "/measures?limit=%d",
		"filtered-measures": plan + "/measures?limit=%d&organization=" + p.ds.Plan.Measures[0].Lead + "&overdue=false&q=a",
		"summary":           plan + "/summary",
		"changes":           "/v1/changes?limit=%d",
		"updates":           "/v1/measures/" + p.measureID + "/updates?limit=%d",
		"export":            plan + "/export?format=csv",
		"measure":           "/v1/measures/" + p.measureID,
	}
	measure := func(limit int) map[string]int64 {
		n := p.countStatements("")
		out := map[string]int64{}
		for name, path := range reads {
			if strings.Contains(path, "%d") {
				path = fmt.Sprintf(path, limit)
			}
			// Authentication is remembered for a second: warm it, so that the count is the
			// read's; of two tries the fewer, should a slow machine let the second pass between.
			for try := range 2 {
				if res, _ := p.get("/v1/me", p.partner.auth()...); res.StatusCode != 200 {
					t.Fatalf("me: %d", res.StatusCode)
				}
				before := n.Load()
				if res, b := p.get(path, p.partner.auth()...); res.StatusCode != 200 {
					t.Fatalf("%s: %d %s", name, res.StatusCode, b)
				}
				if got := n.Load() - before; try == 0 || got < out[name] {
					out[name] = got
				}
			}
		}
		return out
	}
	small := measure(5)

	// Make the plan ten times larger, each new measure with co-implementers, recommendations
	// and articles, and the feed longer.
	for _, stmt := range []string{`
		INSERT INTO measures (id, plan_id, code, title, lead_id, articles, provenance, provenance_note)
		SELECT gen_random_uuid(), m.plan_id, 'X.' || i, jsonb_build_object('en', 'Synthetic measure ' || i), lead_id,
			ARRAY[23, 65]::smallint[], 'illustrative', 'test data'
		FROM generate_series(1, 450) i, (SELECT plan_id, lead_id FROM measures ORDER BY code LIMIT 1) m`, `
		INSERT INTO measure_organizations (measure_id, organization_id, role)
		SELECT m.id, o.id, 'co_implementer' FROM measures m, (SELECT id FROM organizations ORDER BY code LIMIT 3) o
		WHERE m.code LIKE 'X.%'`, `
		INSERT INTO measure_recommendations (measure_id, recommendation_id)
		SELECT m.id, r.id FROM measures m, (SELECT id FROM recommendations ORDER BY code LIMIT 3) r
		WHERE m.code LIKE 'X.%'`,
	} {
		if err := p.db.Gorm().Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	large := measure(500)
	// The caller is remembered, so each read is the read alone.
	limits := map[string]int64{
		"list-measures": 1, "filtered-measures": 1, "changes": 1, "measure": 1,
		"updates": 2, // the measure's visibility, then the page
		"summary": 2, // what the plan's summary depends on, then the summary unless it is remembered
		"export":  9, // the trail linked, then in one snapshot (begin, commit): the plan, the audit head and its checkpoint, and one statement per 200 measures
	}
	for name := range reads {
		t.Logf("%s: %d statements for a page of 5, %d for a page of 500", name, small[name], large[name])
		if small[name] > limits[name] || large[name] > limits[name] {
			t.Errorf("%s: %d statements for a page of 5, %d for a page of 500; want at most %d", name, small[name], large[name], limits[name])
		}
	}
}

// TestUseCasesStartFromTheirAccessCheck: a use case on an update, or a new update of a
// measure, starts from what its access check read to find the organizations it is asked in:
// the update, or the measure's place, is read once before the transaction. A draft or an edit
// reads the update once more inside it, to answer with what was written; a review step
// answers with the update as read and the columns its statement returned. What a review step
// depends on (whether the plan asks for sign-off, whether the period is locked) comes with the
// update; only a new update reads the period it names.
func TestUseCasesStartFromTheirAccessCheck(t *testing.T) {
	p := newProgressFixture(t)
	reads := map[string]*atomic.Int64{
		"update": p.countStatements("FROM progress_updates u JOIN measures m"),
		"place":  p.countStatements("array_prepend(m.lead_id"),
		"plan":   p.countStatements("FROM plans p LEFT JOIN organizations o"),
		"period": p.countStatements("FROM reporting_periods rp WHERE rp.id = $"),
	}
	expect := func(step string, want map[string]int64) {
		t.Helper()
		for what, n := range reads {
			if got := n.Swap(0); got != want[what] {
				t.Errorf("%s: %d reads of the %s, want %d", step, got, what, want[what])
			}
		}
	}
	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{
		"period_id": p.periodID, "proposed_status": "in_progress", "progress_percent": 10, "narrative": map[string]string{"en": "Drafted."},
	}, p.author.auth()...)
	if res.StatusCode != 201 {
		t.Fatalf("draft: %d %s", res.StatusCode, b)
	}
	expect("draft", map[string]int64{"update": 1, "place": 1, "period": 1})
	var u struct{ ID string }
	_ = json.Unmarshal(b, &u)
	path := "/v1/updates/" + u.ID
	p.expectStatus(p.author, 200, "PATCH", path, map[string]any{"progress_percent": 15}, "If-Match", res.Header.Get("ETag"))
	expect("edit", map[string]int64{"update": 2})
	for _, step := range []struct {
		by     caller
		action string
	}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		p.expectStatus(step.by, 200, "POST", path+"/"+step.action, nil)
		expect(step.action, map[string]int64{"update": 1})
	}
}

// TestWritesAreFewRoundTrips: each step of a report's way, from draft to approval, costs a
// fixed, small number of statements, each a round trip to the database: the transaction's
// BEGIN carries who acts and the request's ids, and a review step is recorded in the statement
// that takes it. Not counted: the pass that links the trail after a commit, which runs beside
// the request, and authentication, remembered between requests.
func TestWritesAreFewRoundTrips(t *testing.T) {
	p := newProgressFixture(t)
	counted := p.countStatementsWhere(func(sql string) bool {
		return !strings.Contains(sql, "audit_link(") && !strings.Contains(sql, "api_tokens") && !strings.Contains(sql, "FROM memberships")
	})
	stampAlone := p.countStatementsWhere(func(sql string) bool {
		return strings.Contains(sql, "set_config('naptracker.actor_id'") && !strings.HasPrefix(sql, "BEGIN; ")
	})
	begins := p.countStatementsWhere(func(sql string) bool { return strings.EqualFold(strings.TrimSpace(sql), "begin") })
	budget := map[string]int64{
		// the measure's place and the period, then BEGIN, the draft, the draft read back, COMMIT
		"draft": 6,
		// the update, then BEGIN, the edit, the update read back, COMMIT
		"edit": 5,
		// the update, then BEGIN, the step, whom to tell, the notices, COMMIT
		"submit": 6,
		// as submit, and who edited it, from the trail
		"sign-off": 7,
		// as sign-off, and the evidence's digests, then the measure's status derived anew
		"approve": 9,
	}
	step := func(name string, by caller, method, path string, body any, header ...string) []byte {
		t.Helper()
		p.expectStatus(by, 200, "GET", "/v1/me", nil) // authentication remembered
		before := counted.Load()
		status, b := p.call(by, method, path, body, header...)
		if status/100 != 2 {
			t.Fatalf("%s: %d %s", name, status, b)
		}
		got := counted.Load() - before
		t.Logf("%s: %d statements", name, got)
		if got > budget[name] {
			t.Errorf("%s: %d statements, want at most %d", name, got, budget[name])
		}
		return b
	}
	b := step("draft", p.author, "POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{
		"period_id": p.periodID, "proposed_status": "in_progress", "progress_percent": 10, "narrative": map[string]string{"en": "Drafted."},
	})
	var u struct {
		ID      string
		Version int
	}
	if err := json.Unmarshal(b, &u); err != nil {
		t.Fatal(err)
	}
	path := "/v1/updates/" + u.ID
	step("edit", p.author, "PATCH", path, map[string]any{"progress_percent": 15}, "If-Match", fmt.Sprintf(`"%d"`, u.Version))
	step("submit", p.author, "POST", path+"/submit", nil)
	step("sign-off", p.approver, "POST", path+"/sign-off", nil)
	step("approve", p.coordinator, "POST", path+"/approve", nil)
	if n := stampAlone.Load(); n != 0 {
		t.Errorf("%d statements set who acts on their own, want none: BEGIN carries it", n)
	}
	if n := begins.Load(); n != 0 {
		t.Errorf("%d transactions began with a bare BEGIN, want none", n)
	}
}
