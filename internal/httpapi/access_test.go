package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/seed"
)

// request is one call of an operation, built afresh for each caller so that writes have
// something to change.
type request struct {
	method, path string
	body         any
	raw          []byte // a body other than JSON, of contentType
	contentType  string
	header       []string
	stream       bool // an endless response: only its status is read
}

// expect is the exact status a caller gets; own says whether the target is the caller's own
// (their organization's measure, their own tokens).
type expect func(c caller, own bool) int

// public is the status of an operation anyone may call: 200 for all.
func public(caller, bool) int { return http.StatusOK }

// authenticated is the status of an operation any signed-in caller may call: 200, and 401
// for anonymous callers.
func authenticated(c caller, _ bool) int {
	if c.role == "" {
		return http.StatusUnauthorized
	}
	return http.StatusOK
}

func granted(ok int, roles ...nap.Role) expect {
	return func(c caller, _ bool) int {
		switch {
		case c.role == "":
			return http.StatusUnauthorized
		case slices.Contains(roles, c.role):
			return ok
		default:
			return http.StatusForbidden
		}
	}
}

// sees reports whether a caller reads another organization's draft update: the coordinating
// roles do, and the organization's own roles.
func seesDrafts(c caller, own bool) bool {
	return (c.role.Global() && c.role != nap.RolePartner) || (c.role != "" && !c.role.Global() && own)
}

// readsDraft is the status of reading one of the target organization's draft updates.
func readsDraft(c caller, own bool) int {
	if seesDrafts(c, own) {
		return http.StatusOK
	}
	return http.StatusNotFound
}

// onUpdate is the status of acting on one of the target organization's updates in review:
// 401 without a token, 404 for who may not see it, ok for the roles given (in the target's
// organization for an organization's role), 403 for the rest.
func onUpdate(ok int, roles ...nap.Role) expect {
	return func(c caller, own bool) int {
		switch {
		case c.role == "":
			return http.StatusUnauthorized
		case !seesDrafts(c, own):
			return http.StatusNotFound
		case slices.Contains(roles, c.role):
			return ok
		default:
			return http.StatusForbidden
		}
	}
}

// selfOrAdmin is the status of an operation on a user's tokens: their own and admins may;
// others get denied, the status saying so.
func selfOrAdmin(ok, denied int) expect {
	return func(c caller, own bool) int {
		switch {
		case c.role == "":
			return http.StatusUnauthorized
		case own || c.role == nap.RoleAdmin:
			return ok
		default:
			return denied
		}
	}
}

// TestAuthorizationMatrix calls every operation of the API as every role, in the target's own
// organization and in another, and anonymously, and checks the exact status. It fails when an
// operation of the spec has no row.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t, today)
	ctx := context.Background()
	target := f.ds.Plan.Measures[0]
	own, other := target.Lead, unrelatedOrganization(f.ds, target)
	var measures page[struct{ ID string }]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code="+target.Code, &measures)
	measureID := measures.Items[0].ID
	var indicators page[struct{ ID string }]
	f.getJSON("/v1/measures/"+measureID+"/indicators", &indicators)
	indicatorID := indicators.Items[0].ID
	var recs page[struct{ ID string }]
	f.getJSON("/v1/recommendations?limit=1", &recs)

	callers := []caller{{name: "anonymous"}}
	owns := map[string]bool{"anonymous": false}
	for _, role := range nap.Roles {
		for _, mine := range []bool{true, false} {
			org := ""
			if !role.Global() {
				org = map[bool]string{true: own, false: other}[mine]
			}
			c := f.newCaller(role, org)
			c.name = fmt.Sprintf("%s/own=%v", c.name, mine)
			callers = append(callers, c)
			owns[c.name] = mine
		}
	}
	stranger := f.newCaller(nap.RoleViewer, other)

	seq := 0
	next := func() int { seq++; return seq }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	version := func(v int) []string { return []string{"If-Match", fmt.Sprintf(`"%d"`, v)} }
	dummyUser := func() nap.User {
		u, err := f.svc.CreateUser(ctx, fmt.Sprintf("dummy%d@example.org", next()), "Dummy")
		must(err)
		return u
	}
	newPeriod := func(lock bool) nap.ReportingPeriod {
		day := time.Date(3000+next(), 1, 1, 0, 0, 0, 0, time.UTC)
		p, err := f.svc.CreatePeriod(ctx, f.planID, nap.PeriodInput{Label: fmt.Sprintf("%d-Y", day.Year()),
			StartsOn: day, EndsOn: day.AddDate(1, 0, -1)})
		must(err)
		if lock {
			p, err = f.svc.SetPeriodState(ctx, p.ID, nap.PeriodLocked)
			must(err)
		}
		return p
	}
	// Progress updates of the target measure by its lead organization, in the state a row
	// needs, made through the service by that organization's people.
	author, signer := f.newCaller(nap.RoleFocalPoint, own), f.newCaller(nap.RoleApprover, own)
	openPeriod := func() string { return newPeriod(false).ID }
	draft := func() nap.ProgressUpdate {
		status := nap.InProgress
		u, err := f.svc.CreateUpdate(f.as(author), measureID, nap.UpdateChange{PeriodID: ptr(openPeriod()), ProposedStatus: &status})
		must(err)
		return u
	}
	inState := func(state nap.UpdateState) string {
		u := draft()
		if state == nap.UpdateDraft {
			return u.ID
		}
		_, err := f.svc.Act(f.as(author), u.ID, nap.ActionSubmit, "")
		must(err)
		if state == nap.UpdateSignedOff {
			_, err = f.svc.Act(f.as(signer), u.ID, nap.ActionSignOff, "")
			must(err)
		}
		return u.ID
	}
	withLink := func() (string, string) {
		u := draft()
		e, err := f.svc.AddEvidenceLink(f.as(author), nap.Evidence{UpdateID: u.ID, Kind: "web_page",
			Title: nap.Text{"en": "Page"}, URL: "https://example.org/page", Visibility: nap.VisibilityPublic})
		must(err)
		return u.ID, e.ID
	}
	withFile := func() string {
		u := draft()
		e, err := f.svc.AddEvidenceFile(f.as(author), nap.Evidence{UpdateID: u.ID, Kind: "report",
			Title: nap.Text{"en": "Report"}, Filename: "report.txt", Visibility: nap.VisibilityPublic}, strings.NewReader("A report."))
		must(err)
		return e.ID
	}
	reason := map[string]any{"reason": "Please add the figures for 2014."}
	userFor := func(c caller, own bool) string {
		if own && c.userID != "" {
			return c.userID
		}
		return stranger.userID
	}

	rows := map[string]struct {
		build  func(c caller, own bool) request
		expect expect
	}{
		"get-health":            {func(caller, bool) request { return request{method: "GET", path: "/healthz"} }, public},
		"get-readiness":         {func(caller, bool) request { return request{method: "GET", path: "/readyz"} }, public},
		"list-organizations":    {func(caller, bool) request { return request{method: "GET", path: "/v1/organizations"} }, public},
		"get-organization":      {func(caller, bool) request { return request{method: "GET", path: "/v1/organizations/" + own} }, public},
		"list-source-documents": {func(caller, bool) request { return request{method: "GET", path: "/v1/source-documents"} }, public},
		"list-recommendations":  {func(caller, bool) request { return request{method: "GET", path: "/v1/recommendations"} }, public},
		"get-recommendation": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/recommendations/" + recs.Items[0].ID}
		}, public},
		"list-plans":             {func(caller, bool) request { return request{method: "GET", path: "/v1/plans"} }, public},
		"get-plan":               {func(caller, bool) request { return request{method: "GET", path: "/v1/plans/" + f.planID} }, public},
		"list-reporting-periods": {func(caller, bool) request { return request{method: "GET", path: "/v1/plans/" + f.planID + "/periods"} }, public},
		"get-plan-summary":       {func(caller, bool) request { return request{method: "GET", path: "/v1/plans/" + f.planID + "/summary"} }, public},
		"export-plan-matrix":     {func(caller, bool) request { return request{method: "GET", path: "/v1/plans/" + f.planID + "/export"} }, public},
		"get-plan-report":        {func(caller, bool) request { return request{method: "GET", path: "/v1/plans/" + f.planID + "/report"} }, public},
		"list-measures":          {func(caller, bool) request { return request{method: "GET", path: "/v1/plans/" + f.planID + "/measures"} }, public},
		"get-measure":            {func(caller, bool) request { return request{method: "GET", path: "/v1/measures/" + measureID} }, public},
		"list-indicators": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/measures/" + measureID + "/indicators"}
		}, public},
		"get-indicator": {func(caller, bool) request { return request{method: "GET", path: "/v1/indicators/" + indicatorID} }, public},
		"get-me":        {func(caller, bool) request { return request{method: "GET", path: "/v1/me"} }, authenticated},

		"list-users": {func(caller, bool) request { return request{method: "GET", path: "/v1/users"} }, granted(200, nap.RoleAdmin)},
		"create-user": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/users", body: map[string]any{"email": fmt.Sprintf("new%d@example.org", next()), "name": "New"}}
		}, granted(201, nap.RoleAdmin)},
		"get-user": {func(caller, bool) request { return request{method: "GET", path: "/v1/users/" + stranger.userID} }, granted(200, nap.RoleAdmin)},
		"update-user": {func(caller, bool) request {
			u := dummyUser()
			return request{method: "PATCH", path: "/v1/users/" + u.ID, body: map[string]any{"name": "Renamed"}, header: version(u.Version)}
		}, granted(200, nap.RoleAdmin)},
		"list-memberships": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/users/" + stranger.userID + "/memberships"}
		}, granted(200, nap.RoleAdmin)},
		"grant-membership": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/users/" + dummyUser().ID + "/memberships", body: map[string]any{"role": "viewer", "organization": own}}
		}, granted(201, nap.RoleAdmin)},
		"revoke-membership": {func(caller, bool) request {
			u := dummyUser()
			m, err := f.svc.GrantMembership(ctx, u.ID, nap.RoleViewer, own, nil, nil)
			must(err)
			return request{method: "DELETE", path: "/v1/users/" + u.ID + "/memberships/" + m.ID}
		}, granted(204, nap.RoleAdmin)},
		"issue-token": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/users/" + stranger.userID + "/tokens", body: map[string]any{"name": "dashboard"}}
		}, granted(201, nap.RoleAdmin)},
		"list-tokens": {func(c caller, own bool) request {
			return request{method: "GET", path: "/v1/users/" + userFor(c, own) + "/tokens"}
		}, selfOrAdmin(200, http.StatusForbidden)},
		"revoke-token": {func(c caller, own bool) request {
			tok, _, err := f.svc.IssueToken(ctx, userFor(c, own), "to revoke", time.Hour)
			must(err)
			return request{method: "DELETE", path: "/v1/tokens/" + tok.ID}
		}, selfOrAdmin(204, http.StatusNotFound)}, // another's token is not theirs to see

		"create-organization": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/organizations", body: map[string]any{"code": fmt.Sprintf("T%d", next()), "kind": "ngo", "name": map[string]string{"en": "Test"}}}
		}, granted(201, nap.RoleAdmin)},
		"update-organization": {func(caller, bool) request {
			o, err := f.svc.GetOrganization(ctx, own)
			must(err)
			return request{method: "PATCH", path: "/v1/organizations/" + own, body: map[string]any{"active": true}, header: version(o.Version)}
		}, granted(200, nap.RoleAdmin)},

		"create-plan": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/plans", body: map[string]any{"code": fmt.Sprintf("P-%d", next()),
				"title": map[string]string{"en": "Test"}, "period_start": "2030-01-01", "period_end": "2031-12-31"}}
		}, granted(201, nap.RoleAdmin, nap.RoleCoordinator)},
		"update-plan": {func(caller, bool) request {
			p, err := f.svc.GetPlan(ctx, f.planID)
			must(err)
			return request{method: "PATCH", path: "/v1/plans/" + f.planID, body: map[string]any{"requires_sign_off": true}, header: version(p.Version)}
		}, granted(200, nap.RoleAdmin, nap.RoleCoordinator)},
		"create-reporting-period": {func(caller, bool) request {
			y := 2500 + next()
			return request{method: "POST", path: "/v1/plans/" + f.planID + "/periods", body: map[string]any{"label": fmt.Sprintf("%d-H1", y),
				"starts_on": fmt.Sprintf("%d-01-01", y), "ends_on": fmt.Sprintf("%d-06-30", y), "due_on": fmt.Sprintf("%d-07-31", y)}}
		}, granted(201, nap.RoleAdmin, nap.RoleCoordinator)},
		"get-reporting-period": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/periods/" + newPeriod(false).ID}
		}, public},
		"get-period-completeness": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/periods/" + newPeriod(false).ID + "/completeness"}
		}, public},
		"export-period-completeness": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/periods/" + newPeriod(false).ID + "/completeness/export"}
		}, public},
		"import-period-matrix": {func(c caller, _ bool) request {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			fw, _ := w.CreateFormFile("file", "matrix.csv")
			_, _ = io.WriteString(fw, "code,status,progress_percent,latest_narrative\n"+f.ds.Plan.Measures[0].Code+",ongoing,,\n")
			_ = w.Close()
			return request{method: "POST", path: "/v1/periods/" + newPeriod(false).ID + "/imports", raw: body.Bytes(), contentType: w.FormDataContentType()}
		}, authenticated},
		"update-me": {func(c caller, _ bool) request {
			r := request{method: "PATCH", path: "/v1/me", body: map[string]any{"reminders": true}}
			if c.userID != "" {
				u, err := f.svc.GetUser(ctx, c.userID)
				must(err)
				r.header = version(u.Version)
			}
			return r
		}, authenticated},
		"list-my-notifications": {func(caller, bool) request { return request{method: "GET", path: "/v1/me/notifications"} }, authenticated},
		"list-notifications":    {func(caller, bool) request { return request{method: "GET", path: "/v1/notifications"} }, granted(200, nap.RoleAdmin)},
		"update-reporting-period": {func(caller, bool) request {
			p := newPeriod(false)
			return request{method: "PATCH", path: "/v1/periods/" + p.ID, body: map[string]any{"review_deadline": p.ReviewDeadline.AddDate(0, 0, 7).Format(time.DateOnly)},
				header: version(p.Version)}
		}, granted(200, nap.RoleAdmin, nap.RoleCoordinator)},
		"lock-reporting-period": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/periods/" + newPeriod(false).ID + "/lock"}
		}, granted(200, nap.RoleAdmin, nap.RoleCoordinator)},
		"open-reporting-period": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/periods/" + newPeriod(true).ID + "/open"}
		}, granted(200, nap.RoleAdmin, nap.RoleCoordinator)},
		"create-measure": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/plans/" + f.planID + "/measures", body: map[string]any{"code": fmt.Sprintf("9.%d", next()),
				"title": map[string]string{"en": "Test"}, "lead": own}}
		}, granted(201, nap.RoleAdmin, nap.RoleCoordinator)},
		"update-measure": {func(caller, bool) request {
			m, err := f.svc.GetMeasure(ctx, measureID)
			must(err)
			return request{method: "PATCH", path: "/v1/measures/" + measureID, body: map[string]any{"articles": target.Articles}, header: version(m.Version)}
		}, granted(200, nap.RoleAdmin, nap.RoleCoordinator)},
		"create-indicator": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/measures/" + measureID + "/indicators", body: map[string]any{"code": fmt.Sprintf("t.%d", next()),
				"title": map[string]string{"en": "Test"}, "kind": "text"}}
		}, granted(201, nap.RoleAdmin, nap.RoleCoordinator)},
		"list-progress-updates": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/measures/" + measureID + "/updates"}
		}, public},
		"get-progress-update": {func(caller, bool) request { return request{method: "GET", path: "/v1/updates/" + draft().ID} }, func(c caller, own bool) int { return readsDraft(c, own) }},
		"list-review-actions": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/updates/" + draft().ID + "/reviews"}
		}, func(c caller, own bool) int { return readsDraft(c, own) }},
		"list-evidence": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/updates/" + draft().ID + "/evidence"}
		}, func(c caller, own bool) int { return readsDraft(c, own) }},
		"get-evidence": {func(caller, bool) request {
			_, e := withLink()
			return request{method: "GET", path: "/v1/evidence/" + e}
		}, func(c caller, own bool) int { return readsDraft(c, own) }},
		"get-evidence-content": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/evidence/" + withFile() + "/content"}
		}, func(c caller, own bool) int { return readsDraft(c, own) }},
		"create-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/measures/" + measureID + "/updates", body: map[string]any{"period_id": openPeriod(), "proposed_status": "in_progress"}}
		}, func(c caller, own bool) int {
			if c.role == "" {
				return http.StatusUnauthorized
			}
			if c.role == nap.RoleFocalPoint && own {
				return http.StatusCreated
			}
			return http.StatusForbidden
		}},
		"edit-progress-update": {func(caller, bool) request {
			u := draft()
			return request{method: "PATCH", path: "/v1/updates/" + u.ID, body: map[string]any{"progress_percent": 30}, header: version(u.Version)}
		}, onUpdate(200, nap.RoleFocalPoint)},
		"submit-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + inState(nap.UpdateDraft) + "/submit"}
		}, onUpdate(200, nap.RoleFocalPoint)},
		"withdraw-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + inState(nap.UpdateDraft) + "/withdraw"}
		}, onUpdate(200, nap.RoleFocalPoint)},
		"sign-off-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + inState(nap.UpdateSubmitted) + "/sign-off"}
		}, onUpdate(200, nap.RoleApprover)},
		"return-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + inState(nap.UpdateSubmitted) + "/return", body: reason}
		}, onUpdate(200, nap.RoleApprover)},
		"approve-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + inState(nap.UpdateSignedOff) + "/approve"}
		}, onUpdate(200, nap.RoleCoordinator)},
		"reject-progress-update": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + inState(nap.UpdateSignedOff) + "/reject", body: reason}
		}, onUpdate(200, nap.RoleCoordinator)},
		"add-evidence": {func(caller, bool) request {
			return request{method: "POST", path: "/v1/updates/" + draft().ID + "/evidence", body: map[string]any{"kind": "web_page",
				"title": map[string]string{"en": "Law on the parliament's site"}, "url": "https://www.parlament.tj/"}}
		}, onUpdate(201, nap.RoleFocalPoint)},
		"delete-evidence": {func(caller, bool) request {
			_, e := withLink()
			return request{method: "DELETE", path: "/v1/evidence/" + e}
		}, onUpdate(204, nap.RoleFocalPoint)},

		"list-audit-events":      {func(caller, bool) request { return request{method: "GET", path: "/v1/audit-events"} }, granted(200, nap.RoleAdmin, nap.RoleAuditor)},
		"verify-audit-chain":     {func(caller, bool) request { return request{method: "GET", path: "/v1/audit-events/verify"} }, granted(200, nap.RoleAdmin, nap.RoleAuditor)},
		"list-changes":           {func(caller, bool) request { return request{method: "GET", path: "/v1/changes"} }, public},
		"list-audit-checkpoints": {func(caller, bool) request { return request{method: "GET", path: "/v1/audit/checkpoints"} }, public},
		"get-audit-public-key":   {func(caller, bool) request { return request{method: "GET", path: "/v1/audit/public-key"} }, public},
		"stream-changes":         {func(caller, bool) request { return request{method: "GET", path: "/v1/changes/stream", stream: true} }, public},
		"get-measure-history": {func(caller, bool) request {
			return request{method: "GET", path: "/v1/measures/" + measureID + "/history"}
		}, public},

		"update-indicator": {func(caller, bool) request {
			in, err := f.svc.GetIndicator(ctx, indicatorID)
			must(err)
			return request{method: "PATCH", path: "/v1/indicators/" + indicatorID, body: map[string]any{"unit": in.Unit}, header: version(in.Version)}
		}, granted(200, nap.RoleAdmin, nap.RoleCoordinator)},
	}

	var missing []string
	for _, op := range specOperations() {
		if _, ok := rows[op]; !ok {
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("operations without a row in the authorization matrix: %v", missing)
	}

	ops := make([]string, 0, len(rows))
	for op := range rows {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		row := rows[op]
		for _, c := range callers {
			own := owns[c.name]
			r := row.build(c, own)
			if r.stream {
				if got, want := f.streamStatus(r.path, c.auth()...), row.expect(c, own); got != want {
					t.Errorf("%s as %s: %d, want %d", op, c.name, got, want)
				}
				continue
			}
			res, body := f.send(r.method, r.path, r.body, append(r.header, c.auth()...)...)
			if r.raw != nil {
				res, body = f.sendRaw(r.method, r.path, r.contentType, r.raw, c.auth()...)
			}
			if want := row.expect(c, own); res.StatusCode != want {
				t.Errorf("%s as %s: %d, want %d: %s", op, c.name, res.StatusCode, want, body)
			}
		}
	}
}

// unrelatedOrganization returns a state body with no part in measure m.
func unrelatedOrganization(ds seed.Dataset, m seed.Measure) string {
	for _, o := range ds.Organizations {
		if o.Code != m.Lead && !slices.Contains(m.CoImplementers, o.Code) && !slices.Contains(m.Partners, o.Code) && o.Kind == "ministry" {
			return o.Code
		}
	}
	panic("every ministry has a part in measure " + m.Code)
}

// specOperations lists the operation ids of the OpenAPI document.
func specOperations() []string {
	var ids []string
	for _, item := range httpapi.Spec().Paths {
		for _, op := range operations(item) {
			ids = append(ids, op.OperationID)
		}
	}
	return ids
}

func ptr[T any](v T) *T { return &v }
