package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/nap"
)

// refusal is a request the document refuses: a path with a query, and a body in JSON, or
// raw with its content type.
type refusal struct {
	why, method, path string
	body              any
	raw, contentType  string
	header            []string
	anonymous         bool
	by                *caller // who sends it: an admin unless said
	status            int     // when not 0, the one status the server must answer
}

// noRefusal are the operations no request of which the document refuses: they take nothing.
var noRefusal = map[string]bool{"get-health": true, "get-readiness": true, "get-audit-public-key": true}

// TestWhatTheSpecRefusesTheServerRefuses sends, for every operation, requests the OpenAPI
// document refuses (kin-openapi checks that it does) and requires the server to refuse them
// too, with a 4xx: a client generated from the document and the server agree on what is valid.
// (kin-openapi reads a boolean query parameter as Go does, 1 as true; the server's refusal of
// overdue=1 is in TestBadInputIsAProblem.)
func TestWhatTheSpecRefusesTheServerRefuses(t *testing.T) {
	p := newProgressFixture(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	update, etag := p.draft(p.author)
	var recs page[struct{ ID string }]
	p.getJSON("/v1/recommendations?limit=1", &recs)
	plan, measure := "/v1/plans/"+p.planID, "/v1/measures/"+p.measureID
	text := map[string]string{"en": "A text"}
	newUpdate := func(change map[string]any) map[string]any {
		u := map[string]any{"period_id": p.periodID, "proposed_status": "in_progress"}
		for k, v := range change {
			u[k] = v
		}
		return u
	}
	ifMatch := []string{"If-Match", `"1"`}
	notUUID := func(path string) refusal { return refusal{why: "an id that is no UUID", method: "GET", path: path} }

	rows := map[string][]refusal{
		"list-organizations":     {{why: "limit 0", method: "GET", path: "/v1/organizations?limit=0"}},
		"get-organization":       {{why: "a code in lower case", method: "GET", path: "/v1/organizations/ms"}},
		"list-source-documents":  {{why: "limit 501", method: "GET", path: "/v1/source-documents?limit=501"}},
		"list-recommendations":   {{why: "article 94", method: "GET", path: "/v1/recommendations?article=94"}},
		"get-recommendation":     {notUUID("/v1/recommendations/R1")},
		"list-plans":             {{why: "an unknown status", method: "GET", path: "/v1/plans?status=retired"}},
		"get-plan":               {notUUID("/v1/plans/1")},
		"list-reporting-periods": {notUUID("/v1/plans/1/periods")},
		"get-plan-summary":       {notUUID("/v1/plans/1/summary")},
		"export-plan-matrix":     {{why: "an unknown format", method: "GET", path: plan + "/export?format=pdf"}},
		"get-plan-report":        {{why: "an unknown language", method: "GET", path: plan + "/report?lang=fr"}},
		"list-measures": {{why: "overdue=yes", method: "GET", path: plan + "/measures?overdue=yes"},
			{why: "a lead in lower case", method: "GET", path: plan + "/measures?lead=ms"},
			{why: "a recommendation as a URN", method: "GET", path: plan + "/measures?recommendation=urn:uuid:" + recs.Items[0].ID}},
		"get-measure":            {notUUID("/v1/measures/3.11")},
		"list-indicators":        {notUUID("/v1/measures/3.11/indicators")},
		"get-indicator":          {notUUID("/v1/indicators/1")},
		"get-me":                 {{why: "no token", method: "GET", path: "/v1/me", anonymous: true}},
		"list-users":             {{why: "limit 0", method: "GET", path: "/v1/users?limit=0"}},
		"get-user":               {notUUID("/v1/users/admin")},
		"list-memberships":       {notUUID("/v1/users/admin/memberships")},
		"list-tokens":            {notUUID("/v1/users/admin/tokens")},
		"list-progress-updates":  {notUUID("/v1/measures/3.11/updates")},
		"get-progress-update":    {notUUID("/v1/updates/1")},
		"list-review-actions":    {notUUID("/v1/updates/1/reviews")},
		"list-evidence":          {notUUID("/v1/updates/1/evidence")},
		"get-evidence":           {notUUID("/v1/evidence/1")},
		"get-evidence-content":   {notUUID("/v1/evidence/1/content")},
		"get-measure-history":    {notUUID("/v1/measures/3.11/history")},
		"list-changes":           {{why: "a negative cursor", method: "GET", path: "/v1/changes?after=-1"}},
		"stream-changes":         {{why: "a negative cursor", method: "GET", path: "/v1/changes/stream?after=-1"}},
		"list-audit-events":      {{why: "an actor that is no UUID", method: "GET", path: "/v1/audit-events?actor=admin"}},
		"verify-audit-chain":     {{why: "no token", method: "GET", path: "/v1/audit-events/verify", anonymous: true}},
		"list-audit-checkpoints": {{why: "limit 0", method: "GET", path: "/v1/audit/checkpoints?limit=0"}},

		"create-organization": {
			{why: "nothing", method: "POST", path: "/v1/organizations", body: map[string]any{}},
			{why: "a name in no language", method: "POST", path: "/v1/organizations", body: map[string]any{"code": "NGO-1", "kind": "ngo", "name": map[string]any{}}},
			{why: "a blank name", method: "POST", path: "/v1/organizations", body: map[string]any{"code": "NGO-1", "kind": "ngo", "name": map[string]any{"en": " "}}},
			{why: "malformed JSON", method: "POST", path: "/v1/organizations", raw: `{"code": "NGO-1",`, contentType: "application/json", status: 400},
			{why: "no body", method: "POST", path: "/v1/organizations", raw: "", contentType: "application/json"},
			{why: "text, not JSON", method: "POST", path: "/v1/organizations", raw: "code=NGO-1", contentType: "text/plain", status: 415},
			{why: "a field spelt in capitals", method: "POST", path: "/v1/organizations", body: map[string]any{"Code": "NGO-1", "kind": "ngo", "name": text}},
			{why: "an id", method: "POST", path: "/v1/organizations", body: map[string]any{"id": uuid.NewString(), "code": "NGO-1", "kind": "ngo", "name": text}},
		},
		"update-organization": {
			{why: "no If-Match", method: "PATCH", path: "/v1/organizations/MS", body: map[string]any{"active": true}, status: 428},
			{why: "a parent in lower case", method: "PATCH", path: "/v1/organizations/MS", body: map[string]any{"parent": "mlme"}, header: ifMatch},
		},
		"create-plan": {
			{why: "nothing", method: "POST", path: "/v1/plans", body: map[string]any{}},
			{why: "clear on a create", method: "POST", path: "/v1/plans", body: map[string]any{"code": "P-1", "title": text,
				"period_start": "2030-01-01", "period_end": "2031-01-01", "clear": []string{"extended_to"}}},
		},
		"update-plan": {
			{why: "no If-Match", method: "PATCH", path: plan, body: map[string]any{"requires_sign_off": true}, status: 428},
			{why: "a version", method: "PATCH", path: plan, body: map[string]any{"version": 9}, header: ifMatch},
		},
		"create-reporting-period": {{why: "a third half-year", method: "POST", path: plan + "/periods",
			body: map[string]any{"label": "2030-H3", "starts_on": "2030-01-01", "ends_on": "2030-06-30", "due_on": "2030-07-31"}}},
		"lock-reporting-period": {{why: "an id that is no UUID", method: "POST", path: "/v1/periods/2014-H1/lock"}},
		"open-reporting-period": {{why: "an id that is no UUID", method: "POST", path: "/v1/periods/2014-H1/open"}},
		"create-measure": {
			{why: "nothing", method: "POST", path: plan + "/measures", body: map[string]any{}},
			{why: "article 94", method: "POST", path: plan + "/measures", body: map[string]any{"code": "9.1", "title": text, "lead": "MS", "articles": []int{94}}},
			{why: "a lead in lower case", method: "POST", path: plan + "/measures", body: map[string]any{"code": "9.1", "title": text, "lead": "ms"}},
			{why: "a recommendation by URN", method: "POST", path: plan + "/measures", body: map[string]any{"code": "9.1", "title": text, "lead": "MS",
				"recommendations": []string{"urn:uuid:" + recs.Items[0].ID}}},
		},
		"update-measure": {
			{why: "no If-Match", method: "PATCH", path: measure, body: map[string]any{"articles": []int{68}}, status: 428},
			{why: "article 0", method: "PATCH", path: measure, body: map[string]any{"articles": []int{0}}, header: ifMatch},
			{why: "a description in no language", method: "PATCH", path: measure, body: map[string]any{"description": map[string]any{}}, header: ifMatch},
		},
		"create-indicator": {
			{why: "nothing", method: "POST", path: measure + "/indicators", body: map[string]any{}},
			{why: "an unknown kind", method: "POST", path: measure + "/indicators", body: map[string]any{"code": "9.1.1", "title": text, "kind": "ratio"}},
		},
		"update-indicator": {{why: "no If-Match", method: "PATCH", path: "/v1/indicators/" + p.indicators[0].ID, body: map[string]any{"unit": "people"}, status: 428}},
		"create-progress-update": {
			{by: &p.author, why: "nothing", method: "POST", path: measure + "/updates", body: map[string]any{}},
			{by: &p.author, why: "no information proposed", method: "POST", path: measure + "/updates", body: newUpdate(map[string]any{"proposed_status": "no_information"})},
			{by: &p.author, why: "a narrative in no language", method: "POST", path: measure + "/updates", body: newUpdate(map[string]any{"narrative": map[string]any{}})},
			{by: &p.author, why: "a read-only field", method: "POST", path: measure + "/updates", body: newUpdate(map[string]any{
				"indicator_values": []map[string]any{{"indicator_id": p.indicators[0].ID, "indicator": p.indicators[0].Code, "value": 1}}})},
			{by: &p.author, why: "a state", method: "POST", path: measure + "/updates", body: newUpdate(map[string]any{"state": "approved"})},
		},
		"edit-progress-update": {
			{by: &p.author, why: "no If-Match", method: "PATCH", path: "/v1/updates/" + update, body: map[string]any{"progress_percent": 50}, status: 428},
			{by: &p.author, why: "supersedes after creation", method: "PATCH", path: "/v1/updates/" + update, body: map[string]any{"supersedes": uuid.NewString()},
				header: []string{"If-Match", etag}},
			{by: &p.author, why: "101 percent", method: "PATCH", path: "/v1/updates/" + update, body: map[string]any{"progress_percent": 101}, header: []string{"If-Match", etag}},
		},
		"submit-progress-update":   {{by: &p.author, why: "an unknown field", method: "POST", path: "/v1/updates/" + update + "/submit", body: map[string]any{"comment": "ok"}}},
		"sign-off-progress-update": {{by: &p.approver, why: "a reason that is no text", method: "POST", path: "/v1/updates/" + update + "/sign-off", body: map[string]any{"reason": 5}}},
		"approve-progress-update":  {{by: &p.coordinator, why: "an id that is no UUID", method: "POST", path: "/v1/updates/1/approve"}},
		"withdraw-progress-update": {{by: &p.author, why: "an id that is no UUID", method: "POST", path: "/v1/updates/1/withdraw"}},
		"return-progress-update": {
			{by: &p.approver, why: "no body", method: "POST", path: "/v1/updates/" + update + "/return", status: 400},
			{by: &p.approver, why: "no reason", method: "POST", path: "/v1/updates/" + update + "/return", body: map[string]any{}},
			{by: &p.approver, why: "a blank reason", method: "POST", path: "/v1/updates/" + update + "/return", body: map[string]any{"reason": "  "}},
		},
		"reject-progress-update": {{by: &p.coordinator, why: "no reason", method: "POST", path: "/v1/updates/" + update + "/reject", body: map[string]any{}}},
		"add-evidence": {
			{by: &p.author, why: "a javascript: address", method: "POST", path: "/v1/updates/" + update + "/evidence",
				body: map[string]any{"kind": "web_page", "title": text, "url": "javascript:alert(1)"}},
			{by: &p.author, why: "a title in no language", method: "POST", path: "/v1/updates/" + update + "/evidence",
				body: map[string]any{"kind": "web_page", "title": map[string]any{}, "url": "https://example.org/"}},
			{by: &p.author, why: "malformed JSON", method: "POST", path: "/v1/updates/" + update + "/evidence", raw: `{"kind": "web_page"`, contentType: "application/json", status: 400},
			{by: &p.author, why: "text, not JSON", method: "POST", path: "/v1/updates/" + update + "/evidence", raw: "https://example.org/", contentType: "text/plain", status: 415},
		},
		"delete-evidence": {{why: "an id that is no UUID", method: "DELETE", path: "/v1/evidence/1"}},
		"create-user": {
			{why: "no email address", method: "POST", path: "/v1/users", body: map[string]any{"email": "nobody", "name": "Nobody"}},
			{why: "a blank name", method: "POST", path: "/v1/users", body: map[string]any{"email": "blank@example.org", "name": "   "}},
		},
		"update-user": {{why: "no If-Match", method: "PATCH", path: "/v1/users/" + admin.userID, body: map[string]any{"name": "Admin"}, status: 428}},
		"grant-membership": {{why: "an unknown role", method: "POST", path: "/v1/users/" + admin.userID + "/memberships", body: map[string]any{"role": "king"}},
			{why: "an organization in lower case", method: "POST", path: "/v1/users/" + admin.userID + "/memberships", body: map[string]any{"role": "viewer", "organization": "ms"}}},
		"revoke-membership":    {{why: "an id that is no UUID", method: "DELETE", path: "/v1/users/" + admin.userID + "/memberships/1"}},
		"issue-token":          {{why: "no hours to live", method: "POST", path: "/v1/users/" + admin.userID + "/tokens", body: map[string]any{"name": "x", "ttl_hours": 0}}},
		"revoke-token":         {{why: "an id that is no UUID", method: "DELETE", path: "/v1/tokens/1"}},
		"get-reporting-period": {notUUID("/v1/periods/2014-H1")},
		"update-reporting-period": {
			{why: "no If-Match", method: "PATCH", path: "/v1/periods/" + p.periodID, body: map[string]any{"review_deadline": "2030-01-31"}, status: 428},
			{why: "a day that is no date", method: "PATCH", path: "/v1/periods/" + p.periodID, body: map[string]any{"review_deadline": "31.01.2030"}, header: ifMatch},
		},
		"get-period-completeness": {{why: "an organization in lower case", method: "GET", path: "/v1/periods/" + p.periodID + "/completeness?organization=ms"},
			{why: "an unknown state", method: "GET", path: "/v1/periods/" + p.periodID + "/completeness?state=lost"}},
		"import-period-matrix": {{by: &p.coordinator, why: "text, not multipart", method: "POST", path: "/v1/periods/" + p.periodID + "/imports",
			raw: "code,status", contentType: "text/plain", status: 415}},
		"update-me": {
			{why: "no If-Match", method: "PATCH", path: "/v1/me", body: map[string]any{"reminders": false}, status: 428},
			{why: "an unknown language", method: "PATCH", path: "/v1/me", body: map[string]any{"preferred_language": "fr"}, header: ifMatch},
		},
		"list-my-notifications": {{why: "limit 0", method: "GET", path: "/v1/me/notifications?limit=0"}},
		"export-period-completeness": {{why: "an unknown format", method: "GET", path: "/v1/periods/" + p.periodID + "/completeness/export?format=ods"},
			{why: "an unknown view", method: "GET", path: "/v1/periods/" + p.periodID + "/completeness/export?view=everything"}},
		"list-notifications": {{why: "an unknown state", method: "GET", path: "/v1/notifications?state=lost"}},
	}

	for _, op := range specOperations() {
		if _, ok := rows[op]; !ok && !noRefusal[op] {
			t.Errorf("%s: no request the document refuses is tried", op)
		}
	}
	for op, refusals := range rows {
		for _, r := range refusals {
			t.Run(op+"/"+r.why, func(t *testing.T) {
				header, by := r.header, admin
				if r.by != nil {
					by = *r.by
				}
				if !r.anonymous {
					header = append(header, by.auth()...)
				}
				if err := refusedByTheDocument(t, p.srv.URL, r, header); err == nil {
					t.Fatal("the document accepts the request")
				}
				req := refusalRequest(t, p.srv.URL, r, header)
				res, err := p.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if res.StatusCode < 400 || res.StatusCode >= 500 || r.status != 0 && res.StatusCode != r.status {
					t.Errorf("the server answers %d: %s", res.StatusCode, b)
				}
			})
		}
	}
}

// refusalRequest builds the request r describes.
func refusalRequest(t *testing.T, base string, r refusal, header []string) *http.Request {
	t.Helper()
	body, contentType := []byte(r.raw), r.contentType
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			t.Fatal(err)
		}
		contentType = "application/json"
	}
	req, err := http.NewRequest(r.method, base+r.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// refusedByTheDocument is why the OpenAPI document refuses the request, or nil.
func refusedByTheDocument(t *testing.T, base string, r refusal, header []string) error {
	t.Helper()
	router, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	req := refusalRequest(t, base, r, header)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("no operation of the document: %v", err)
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return fmt.Errorf("no bearer token")
			}
			return nil
		}},
	})
}
