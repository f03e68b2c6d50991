package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
)

// TestEveryReadRevalidates walks the document: every read that declares a 304 sends an ETag,
// answers it in If-None-Match with an empty 304 that carries the same ETag, and answers a tag
// that is not current with the whole representation. Every GET but the streams and exports
// declares one.
func TestEveryReadRevalidates(t *testing.T) {
	p := newProgressFixture(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	update, _ := p.draft(p.author)
	res, b := p.upload(p.author, update, reportMeta, "minutes.pdf", pdf(2000))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	var evidence, recommendations, indicators page[struct{ ID string }]
	p.getJSON("/v1/recommendations?limit=1", &recommendations)
	p.getJSON("/v1/measures/"+p.measureID+"/indicators?limit=1", &indicators)
	res, b = p.get("/v1/updates/"+update+"/evidence", admin.auth()...)
	if err := json.Unmarshal(b, &evidence); err != nil || res.StatusCode != 200 || len(evidence.Items) != 1 {
		t.Fatalf("evidence: %d %s", res.StatusCode, b)
	}
	ids := map[string]string{"plans": p.planID, "measures": p.measureID, "updates": update, "organizations": "MS",
		"users": admin.userID, "periods": p.periodID, "recommendations": recommendations.Items[0].ID,
		"indicators": indicators.Items[0].ID, "evidence": evidence.Items[0].ID}

	unconditional := map[string]bool{"stream-changes": true, "export-plan-matrix": true, "export-period-completeness": true, "get-plan-report": true}
	reads := 0
	for path, item := range httpapi.Spec().Paths {
		op := item.Get
		if op == nil {
			continue
		}
		if op.Responses["304"] == nil {
			if !unconditional[op.OperationID] {
				t.Errorf("%s declares no 304", op.OperationID)
			}
			continue
		}
		reads++
		url := filled(path, ids)
		res, body := p.get(url, admin.auth()...)
		tag := res.Header.Get("ETag")
		if res.StatusCode != http.StatusOK || tag == "" {
			t.Errorf("%s: %d, ETag %q: %s", op.OperationID, res.StatusCode, tag, body)
			continue
		}
		res, body = p.get(url, append(admin.auth(), "If-None-Match", `"stale", `+tag)...)
		if res.StatusCode != http.StatusNotModified || len(body) > 0 || res.Header.Get("ETag") != tag || res.Header.Get("Content-Type") != "" {
			t.Errorf("%s with its ETag: %d, ETag %q, Content-Type %q, %d bytes", op.OperationID, res.StatusCode,
				res.Header.Get("ETag"), res.Header.Get("Content-Type"), len(body))
		}
		if res, _ := p.get(url, append(admin.auth(), "If-None-Match", `W/"stale"`)...); res.StatusCode != http.StatusOK {
			t.Errorf("%s with a stale ETag: %d", op.OperationID, res.StatusCode)
		}
	}
	if reads < 30 {
		t.Errorf("only %d reads declare a 304", reads)
	}
}

// TestRevalidationFollowsChanges: a list's ETag, computed from what it shows, and an object's,
// its version, change when what the caller reads does, and only then.
func TestRevalidationFollowsChanges(t *testing.T) {
	p := newProgressFixture(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	etag := func(path string, c caller) string {
		t.Helper()
		res, body := p.get(path, c.auth()...)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
		}
		return res.Header.Get("ETag")
	}
	list, plan := "/v1/organizations?limit=500", "/v1/plans/"+p.planID
	before, planBefore := etag(list, admin), etag(plan, admin)
	if !strings.HasPrefix(before, `W/"`) || etag(list, admin) != before {
		t.Fatalf("a list's ETag is %q, then %q", before, etag(list, admin))
	}
	p.expectStatus(admin, http.StatusCreated, "POST", "/v1/organizations",
		map[string]any{"code": "NEWORG", "kind": "ngo", "name": map[string]string{"en": "A new organization"}})
	p.expectStatus(admin, http.StatusOK, "PATCH", plan, map[string]any{"requires_sign_off": true}, "If-Match", planBefore)
	if res, _ := p.get(list, append(admin.auth(), "If-None-Match", before)...); res.StatusCode != http.StatusOK || res.Header.Get("ETag") == before {
		t.Errorf("the list after a new organization: %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	if res, _ := p.get(plan, append(admin.auth(), "If-None-Match", planBefore)...); res.StatusCode != http.StatusOK {
		t.Errorf("the plan after a change: %d", res.StatusCode)
	}

	// One audience's ETag is not another's when they read different things.
	updates := "/v1/measures/" + p.measureID + "/updates"
	p.draft(p.author)
	if etag(updates, p.author) == etag(updates, p.anonymous) {
		t.Error("the author, who reads a draft, and the public share an ETag of the measure's updates")
	}
}
