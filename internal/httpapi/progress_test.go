package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/service"
)

// progressFixture is the seeded plan with the people of one measure's lead organization, the
// coordinator, a partner and a stranger from another ministry.
type progressFixture struct {
	*fixture
	measureID, periodID                              string
	indicators                                       []struct{ ID, Code, Kind string }
	author, colleague, approver, viewer, coordinator caller
	partner, stranger, anonymous                     caller
}

func newProgressFixture(t testing.TB) *progressFixture {
	return newProgressFixtureWith(t, fixtureOptions{now: today})
}

// newProgressFixtureWith is newProgressFixture as o says.
func newProgressFixtureWith(t testing.TB, o fixtureOptions) *progressFixture {
	f := newFixtureWith(t, o)
	p := &progressFixture{fixture: f}
	target := f.ds.Plan.Measures[0]
	var measures page[struct{ ID string }]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code="+target.Code, &measures)
	p.measureID = measures.Items[0].ID
	// The latest period: an update approved for it sets the measure's status, whatever the
	// seeded history says of earlier ones.
	var periods page[struct{ ID string }]
	f.getJSON("/v1/plans/"+f.planID+"/periods?limit=500", &periods)
	p.periodID = periods.Items[len(periods.Items)-1].ID
	var ind page[struct{ ID, Code, Kind string }]
	f.getJSON("/v1/measures/"+p.measureID+"/indicators", &ind)
	p.indicators = ind.Items
	p.author, p.colleague = f.newCaller(nap.RoleFocalPoint, target.Lead), f.newCaller(nap.RoleFocalPoint, target.Lead)
	p.approver, p.viewer = f.newCaller(nap.RoleApprover, target.Lead), f.newCaller(nap.RoleViewer, target.Lead)
	p.coordinator, p.partner = f.newCaller(nap.RoleCoordinator, ""), f.newCaller(nap.RolePartner, "")
	p.stranger = f.newCaller(nap.RoleFocalPoint, unrelatedOrganization(f.ds, target))
	p.anonymous = caller{name: "anonymous"}
	return p
}

// call sends a request as c and returns the status and the body.
func (p *progressFixture) call(c caller, method, path string, body any, header ...string) (int, []byte) {
	p.t.Helper()
	res, b := p.send(method, path, body, append(header, c.auth()...)...)
	return res.StatusCode, b
}

// expectStatus sends a request as c and requires the status.
func (p *progressFixture) expectStatus(c caller, want int, method, path string, body any, header ...string) []byte {
	p.t.Helper()
	got, b := p.call(c, method, path, body, header...)
	if got != want {
		p.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, c.name, got, want, b)
	}
	return b
}

// sees checks who reads the update at this step.
func (p *progressFixture) sees(id string, who map[string]bool) {
	p.t.Helper()
	for _, c := range []caller{p.author, p.approver, p.viewer, p.coordinator, p.partner, p.stranger, p.anonymous} {
		want := http.StatusNotFound
		if who[c.name] {
			want = http.StatusOK
		}
		if got, _ := p.call(c, "GET", "/v1/updates/"+id, nil); got != want {
			p.t.Errorf("%s reads the update: %d, want %d", c.name, got, want)
		}
	}
}

func (p *progressFixture) draft(c caller) (id string, etag string) {
	p.t.Helper()
	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{
		"period_id": p.periodID, "proposed_status": "in_progress", "progress_percent": 40, "visibility": "partners",
		"narrative":        map[string]string{"en": "The draft law was discussed with the ministries.", "ru": "Проект закона обсуждён с министерствами."},
		"indicator_values": []map[string]any{{"indicator_id": p.indicators[0].ID, "value": 0, "note": "not yet"}},
	}, c.auth()...)
	if res.StatusCode != http.StatusCreated {
		p.t.Fatalf("draft as %s: %d %s", c.name, res.StatusCode, b)
	}
	var u struct{ ID string }
	_ = json.Unmarshal(b, &u)
	return u.ID, res.Header.Get("ETag")
}

// TestProgressWorkflow walks an update through draft → submit → return → resubmit →
// sign-off → approve with each actor's token, checking at each step who may act and who
// reads it.
func TestProgressWorkflow(t *testing.T) {
	p := newProgressFixture(t)
	own := map[string]bool{p.author.name: true, p.approver.name: true, p.viewer.name: true, p.coordinator.name: true}

	// Only a focal point of the lead or a co-implementer drafts; partners and strangers cannot.
	p.expectStatus(p.partner, 403, "POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID, "proposed_status": "in_progress"})
	p.expectStatus(p.stranger, 403, "POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID, "proposed_status": "in_progress"})
	p.expectStatus(p.anonymous, 401, "POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID, "proposed_status": "in_progress"})
	// An update reports a status; no_information is only what no approved update means.
	for field, value := range map[string]string{"proposed_status": "no_information", "visibility": "secret"} {
		b := p.expectStatus(p.author, 422, "POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID, "proposed_status": "in_progress", field: value})
		if !bytes.Contains(b, []byte(`"body.`+field+`"`)) {
			t.Errorf("%s %q: the problem does not name the field: %s", field, value, b)
		}
	}
	id, tag := p.draft(p.author)
	u := "/v1/updates/" + id
	p.sees(id, own)
	var body struct {
		State           string
		ReportingOrg    string                       `json:"reporting_organization"`
		IndicatorValues []struct{ Indicator string } `json:"indicator_values"`
		ContentSHA256   string                       `json:"content_sha256"`
	}
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", u, nil), &body)
	if body.State != "draft" || body.ReportingOrg != p.f().ds.Plan.Measures[0].Lead || len(body.IndicatorValues) != 1 || body.IndicatorValues[0].Indicator != p.indicators[0].Code {
		t.Fatalf("draft: %+v", body)
	}
	p.expectStatus(p.author, 409, "POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID, "proposed_status": "ongoing"})

	// Submit; the approver may not approve, the coordinator may not yet.
	p.expectStatus(p.approver, 403, "POST", u+"/submit", nil)
	p.expectStatus(p.author, 200, "POST", u+"/submit", nil)
	p.expectStatus(p.author, 412, "PATCH", u, map[string]any{"progress_percent": 50}, "If-Match", tag)
	res, _ := p.get(u, p.author.auth()...)
	p.expectStatus(p.author, 409, "PATCH", u, map[string]any{"progress_percent": 50}, "If-Match", res.Header.Get("ETag"))
	p.expectStatus(p.author, 403, "POST", u+"/sign-off", nil)
	p.expectStatus(p.coordinator, 409, "POST", u+"/approve", nil)
	p.expectStatus(p.coordinator, 403, "POST", u+"/return", map[string]any{"reason": "not yours yet"})
	p.sees(id, own)

	// Return needs a reason: a body (400 without one) that gives one, not blank.
	p.expectStatus(p.approver, 400, "POST", u+"/return", nil)
	p.expectStatus(p.approver, 422, "POST", u+"/return", map[string]any{})
	p.expectStatus(p.approver, 422, "POST", u+"/return", map[string]any{"reason": " \t"})
	p.expectStatus(p.approver, 200, "POST", u+"/return", map[string]any{"reason": "Add the date of the working group."})

	// Edit and resubmit.
	res, _ = p.get(u, p.author.auth()...)
	tag = res.Header.Get("ETag")
	p.expectStatus(p.author, 200, "PATCH", u, map[string]any{"narrative": map[string]string{"en": "The working group met on 12 May."}}, "If-Match", tag)
	p.expectStatus(p.author, 200, "POST", u+"/submit", nil)

	// Sign-off; the approver cannot approve, nor the coordinator before sign-off... now may.
	p.expectStatus(p.approver, 200, "POST", u+"/sign-off", nil)
	p.expectStatus(p.approver, 403, "POST", u+"/approve", nil)
	p.sees(id, own)
	p.expectStatus(p.coordinator, 200, "POST", u+"/approve", nil)

	// Approved: partners read it (visibility partners), the public does not; it is frozen.
	_ = json.Unmarshal(p.expectStatus(p.partner, 200, "GET", u, nil), &body)
	if body.State != "approved" || len(body.ContentSHA256) != 64 {
		t.Fatalf("approved: %+v", body)
	}
	p.sees(id, map[string]bool{p.author.name: true, p.approver.name: true, p.viewer.name: true, p.coordinator.name: true,
		p.partner.name: true, p.stranger.name: true})
	res, _ = p.get(u, p.author.auth()...)
	p.expectStatus(p.author, 409, "PATCH", u, map[string]any{"progress_percent": 90}, "If-Match", res.Header.Get("ETag"))
	p.expectStatus(p.author, 409, "POST", u+"/evidence", map[string]any{"kind": "web_page", "title": map[string]string{"en": "x"}, "url": "https://example.org/"})
	p.expectStatus(p.coordinator, 409, "POST", u+"/reject", map[string]any{"reason": "too late"})

	// The measure's status, as partners see it, is derived from it; the public's is not.
	var m, public struct {
		CurrentStatus   string `json:"current_status"`
		ProgressPercent *int   `json:"progress_percent"`
	}
	p.getJSON("/v1/measures/"+p.measureID, &public)
	_ = json.Unmarshal(p.expectStatus(p.partner, 200, "GET", "/v1/measures/"+p.measureID, nil), &m)
	if m.CurrentStatus != "in_progress" || m.ProgressPercent == nil || *m.ProgressPercent != 40 {
		t.Errorf("measure after approval, as partners see it: %+v", m)
	}
	if public.CurrentStatus == "in_progress" && public.ProgressPercent != nil && *public.ProgressPercent == 40 {
		t.Errorf("the public sees the status of an update published to partners: %+v", public)
	}

	// Its review history, in order.
	var reviews struct {
		Items []struct {
			Action, Comment string
			ActorID         string `json:"actor_id"`
		}
	}
	_ = json.Unmarshal(p.expectStatus(p.partner, 200, "GET", u+"/reviews", nil), &reviews)
	if len(reviews.Items) != 1 || reviews.Items[0].Action != "approve" || reviews.Items[0].ActorID != "" || reviews.Items[0].Comment != "" {
		t.Errorf("a partner reads the review: %+v", reviews.Items)
	}
	_ = json.Unmarshal(p.expectStatus(p.viewer, 200, "GET", u+"/reviews", nil), &reviews)
	var actions []string
	for _, r := range reviews.Items {
		actions = append(actions, r.Action)
	}
	if fmt.Sprint(actions) != "[submit return submit sign_off approve]" || reviews.Items[1].Comment == "" {
		t.Errorf("reviews: %+v", reviews.Items)
	}

	// A correction supersedes it when approved, and the measure follows the correction.
	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID,
		"proposed_status": "partially_implemented", "progress_percent": 60, "supersedes": id}, p.colleague.auth()...)
	p.mustProblem(res, b, http.StatusUnprocessableEntity) // no correction_reason
	var periods page[struct{ ID string }]
	p.getJSON("/v1/plans/"+p.planID+"/periods?limit=1", &periods)
	res, b = p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": periods.Items[0].ID,
		"proposed_status": "partially_implemented", "supersedes": id, "correction_reason": "Another period."}, p.colleague.auth()...)
	p.mustProblem(res, b, http.StatusUnprocessableEntity) // a correction is of the same period
	res, b = p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID,
		"proposed_status": "partially_implemented", "progress_percent": 60, "supersedes": id, "visibility": "partners",
		"correction_reason": "The working group's draft was submitted in December."}, p.colleague.auth()...)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("correction: %d %s", res.StatusCode, b)
	}
	var c struct{ ID string }
	_ = json.Unmarshal(b, &c)
	for _, step := range []struct {
		who  caller
		verb string
	}{{p.colleague, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		p.expectStatus(step.who, 200, "POST", "/v1/updates/"+c.ID+"/"+step.verb, nil)
	}
	_ = json.Unmarshal(p.expectStatus(p.coordinator, 200, "GET", u, nil), &body)
	if body.State != "superseded" {
		t.Errorf("the corrected update is %s", body.State)
	}
	_ = json.Unmarshal(p.expectStatus(p.partner, 200, "GET", "/v1/measures/"+p.measureID, nil), &m)
	if m.CurrentStatus != "partially_implemented" {
		t.Errorf("measure after the correction: %+v", m)
	}
}

func (p *progressFixture) f() *fixture { return p.fixture }

// serveStore serves the API over store in place of the fixture's own, for tests that make
// something happen between a use case's steps.
func (p *progressFixture) serveStore(store service.Store) *httptest.Server {
	p.t.Helper()
	svc := service.New(service.Deps{Store: store, Blobs: p.app.Blobs(), Authorizer: p.authz})
	h, err := httpapi.New(listening(p.t, p.dsn, p.authz, httpapi.Deps{Service: svc, Authorizer: p.authz, Ready: p.app.Ping}))
	if err != nil {
		p.t.Fatal(err)
	}
	return serve(p.t, h)
}

// changeAmidStep is a store whose first review step, once decided, meets a change of the update
// committed by someone else before the step's own statement runs.
type changeAmidStep struct {
	*postgres.DB
	change func()
	once   sync.Once
}

func (c *changeAmidStep) TransitionUpdate(ctx context.Context, u nap.ProgressUpdate, r nap.Review, digest string) (nap.ProgressUpdate, error) {
	c.once.Do(c.change)
	return c.DB.TransitionUpdate(ctx, u, r, digest)
}

// TestStepAppliesToTheVersionItWasDecidedOn: between a sign-off's checks and its statement, the
// update goes back, is edited (by the signer, who then may not sign it off) and comes back to
// the same state. The step is refused, not applied to content nobody checked it against.
func TestStepAppliesToTheVersionItWasDecidedOn(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	u := "/v1/updates/" + id
	p.expectStatus(p.author, 200, "POST", u+"/submit", nil)
	var before struct{ Version int }
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", u, nil), &before)
	store := &changeAmidStep{DB: p.app, change: func() {
		if err := p.db.Gorm().Exec(`UPDATE progress_updates SET narrative = '{"en": "Edited meanwhile"}', last_editor_id = ?,
				version = version + 3 WHERE id = ?`, p.approver.userID, id).Error; err != nil {
			t.Error(err)
		}
	}}
	srv := p.serveStore(store)
	req, _ := http.NewRequest("POST", srv.URL+u+"/sign-off", nil)
	req.Header.Set("Authorization", "Bearer "+p.approver.token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Errorf("a sign-off decided on version %d of an update since changed: %d %s, want 409", before.Version, res.StatusCode, b)
	}
	var after struct {
		State       string
		SignedOffBy string `json:"signed_off_by"`
	}
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", u, nil), &after)
	if after.State != "submitted" || after.SignedOffBy != "" {
		t.Errorf("after the refused sign-off: %+v", after)
	}
	p.expectStatus(p.approver, 403, "POST", u+"/sign-off", nil) // now an editor of it
}

// TestSeparationOfDuties: nobody signs off or approves what they wrote or last edited, and
// whoever signed off does not approve.
func TestSeparationOfDuties(t *testing.T) {
	p := newProgressFixture(t)
	lead := p.ds.Plan.Measures[0].Lead
	// One person who both drafts and signs off for the ministry.
	both := p.newCaller(nap.RoleFocalPoint, lead)
	if _, err := p.svc.GrantMembership(p.as(p.coordinator), both.userID, nap.RoleApprover, lead, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.authz.Reload(p.as(both)); err != nil {
		t.Fatal(err)
	}
	id, _ := p.draft(both)
	u := "/v1/updates/" + id
	p.expectStatus(both, 200, "POST", u+"/submit", nil)
	p.expectStatus(both, 403, "POST", u+"/sign-off", nil)
	p.expectStatus(p.approver, 200, "POST", u+"/sign-off", nil)
	p.expectStatus(p.coordinator, 200, "POST", u+"/approve", nil)

	// An earlier edit bars as well, though someone else edited last.
	id3, tag := p.draft(p.author)
	p.expectStatus(both, 200, "PATCH", "/v1/updates/"+id3, map[string]any{"progress_percent": 55}, "If-Match", tag)
	res, _ := p.get("/v1/updates/"+id3, p.author.auth()...)
	p.expectStatus(p.author, 200, "PATCH", "/v1/updates/"+id3, map[string]any{"progress_percent": 60}, "If-Match", res.Header.Get("ETag"))
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id3+"/submit", nil)
	p.expectStatus(both, 403, "POST", "/v1/updates/"+id3+"/sign-off", nil)
	p.expectStatus(p.approver, 200, "POST", "/v1/updates/"+id3+"/sign-off", nil)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/updates/"+id3+"/approve", nil)

	// One person who signs off and coordinates.
	chief := p.newCaller(nap.RoleCoordinator, "")
	if _, err := p.svc.GrantMembership(p.as(p.coordinator), chief.userID, nap.RoleApprover, lead, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.authz.Reload(p.as(chief)); err != nil {
		t.Fatal(err)
	}
	id2, _ := p.draft(p.author)
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id2+"/submit", nil)
	p.expectStatus(chief, 200, "POST", "/v1/updates/"+id2+"/sign-off", nil)
	p.expectStatus(chief, 403, "POST", "/v1/updates/"+id2+"/approve", nil)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/updates/"+id2+"/approve", nil)
}

// TestStepAnswersAsAReadThenShows: a review step answers with the update as a read right
// after it shows it, body and ETag, whatever the step: returns at both stages, a correction's
// approval that supersedes, a rejection and a withdrawal.
func TestStepAnswersAsAReadThenShows(t *testing.T) {
	p := newProgressFixture(t)
	step := func(c caller, id, verb string, body any) {
		t.Helper()
		res, b := p.send("POST", "/v1/updates/"+id+"/"+verb, body, c.auth()...)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s as %s: %d %s", verb, c.name, res.StatusCode, b)
		}
		read, rb := p.get("/v1/updates/"+id, c.auth()...)
		var answered, shown any
		if json.Unmarshal(b, &answered) != nil || json.Unmarshal(rb, &shown) != nil || !reflect.DeepEqual(answered, shown) ||
			res.Header.Get("ETag") != read.Header.Get("ETag") {
			t.Errorf("%s as %s answered (ETag %s)\n%s\nand a read then shows (ETag %s)\n%s", verb, c.name,
				res.Header.Get("ETag"), b, read.Header.Get("ETag"), rb)
		}
	}
	reason := map[string]any{"reason": "Add the date of the working group."}
	id, _ := p.draft(p.author)
	step(p.author, id, "submit", nil)
	step(p.approver, id, "return", reason)
	step(p.author, id, "submit", nil)
	step(p.approver, id, "sign-off", nil)
	step(p.coordinator, id, "return", reason)
	step(p.author, id, "submit", nil)
	step(p.approver, id, "sign-off", nil)
	step(p.coordinator, id, "approve", nil)

	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": p.periodID,
		"proposed_status": "partially_implemented", "progress_percent": 60, "supersedes": id,
		"correction_reason": "The working group's draft was submitted in December."}, p.colleague.auth()...)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("correction: %d %s", res.StatusCode, b)
	}
	var c struct{ ID string }
	_ = json.Unmarshal(b, &c)
	step(p.colleague, c.ID, "submit", nil)
	step(p.approver, c.ID, "sign-off", nil)
	step(p.coordinator, c.ID, "approve", nil)

	rejected, _ := p.draft(p.author)
	step(p.author, rejected, "submit", nil)
	step(p.approver, rejected, "sign-off", nil)
	step(p.coordinator, rejected, "reject", map[string]any{"reason": "Not this period's work."})
	withdrawn, _ := p.draft(p.author)
	step(p.author, withdrawn, "submit", nil)
	step(p.author, withdrawn, "withdraw", nil)
}

func TestLockedPeriodRefuses(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/periods/"+p.periodID+"/lock", nil)
	for _, try := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/measures/" + p.measureID + "/updates", map[string]any{"period_id": p.periodID, "proposed_status": "ongoing"}},
		{"POST", "/v1/updates/" + id + "/submit", nil},
	} {
		res, b := p.send(try.method, try.path, try.body, p.colleague.auth()...)
		if try.path == "/v1/updates/"+id+"/submit" {
			res, b = p.send(try.method, try.path, try.body, p.author.auth()...)
		}
		if pr := p.mustProblem(res, b, http.StatusConflict); !containsWord(pr.Detail, "locked") {
			t.Errorf("%s %s: %q does not say the period is locked", try.method, try.path, pr.Detail)
		}
	}
}

func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w {
			return true
		}
	}
	return false
}

// TestConcurrentEditsOneWins sends ten edits with one ETag at once: exactly one succeeds.
func TestConcurrentEditsOneWins(t *testing.T) {
	p := newProgressFixture(t)
	id, tag := p.draft(p.author)
	const writers = 10
	statuses := make([]int, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			res, _ := p.send("PATCH", "/v1/updates/"+id, map[string]any{"progress_percent": i}, append(p.author.auth(), "If-Match", tag)...)
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 200:
			won++
		case http.StatusPreconditionFailed:
		default:
			t.Errorf("status %d", s)
		}
	}
	var u struct{ Version int }
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", "/v1/updates/"+id, nil), &u)
	if won != 1 || u.Version != 2 {
		t.Fatalf("%d won, version %d: %v", won, u.Version, statuses)
	}
}

// TestIndicatorValues: a value must fit its indicator's kind and dimensions; the error names
// the indicator.
func TestIndicatorValues(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	milestone := p.indicators[0]
	cases := []map[string]any{
		{"indicator_id": milestone.ID, "value": 0.5},
		{"indicator_id": milestone.ID, "text": "done"},
		{"indicator_id": milestone.ID},
		{"indicator_id": milestone.ID, "value": 1, "disaggregation": map[string]string{"planet": "Mars"}},
		{"indicator_id": "01a21a8d-0000-7000-8000-000000000000", "value": 1},
	}
	for _, v := range cases {
		res, _ := p.get("/v1/updates/"+id, p.author.auth()...)
		r, b := p.send("PATCH", "/v1/updates/"+id, map[string]any{"indicator_values": []any{v}}, append(p.author.auth(), "If-Match", res.Header.Get("ETag"))...)
		pr := p.mustProblem(r, b, http.StatusUnprocessableEntity)
		if v["indicator_id"] == milestone.ID && !containsWord(pr.Detail, milestone.Code) {
			t.Errorf("%v: %q does not name indicator %s", v, pr.Detail, milestone.Code)
		}
	}
}
