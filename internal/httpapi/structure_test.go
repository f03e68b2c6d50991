package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/nap"
)

// TestStructureWrites checks what the structure writes do to the data, beyond who may call
// them.
func TestStructureWrites(t *testing.T) {
	f := newFixture(t, today)
	admin := f.newCaller(nap.RoleAdmin, "")
	send := func(method, path string, body any, ifMatch string) (*http.Response, []byte) {
		h := admin.auth()
		if ifMatch != "" {
			h = append(h, "If-Match", ifMatch)
		}
		return f.send(method, path, body, h...)
	}
	tagOf := func(path string) string {
		res, _ := f.get(path, admin.auth()...)
		return res.Header.Get("ETag")
	}

	// Every missing field of a create is named.
	res, body := send("POST", "/v1/plans", map[string]any{"legal_basis": map[string]string{"en": "x"}}, "")
	p := f.mustProblem(res, body, http.StatusUnprocessableEntity)
	var where []string
	for _, e := range p.Errors {
		where = append(where, e.Location)
	}
	if !slices.Equal(where, []string{"body.code", "body.period_end", "body.period_start", "body.title"}) {
		t.Errorf("missing fields named: %v", where)
	}

	// A plan in draft, a measure in it, lists that swap, fields that empty.
	res, body = send("POST", "/v1/plans", map[string]any{"code": "NAP-2020", "title": map[string]string{"en": "Next plan"},
		"period_start": "2020-01-01", "period_end": "2022-12-31", "extended_to": "2023-12-31"}, "")
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create plan: %d %s", res.StatusCode, body)
	}
	var plan struct{ ID, Status string }
	_ = json.Unmarshal(body, &plan)
	if plan.Status != "draft" {
		t.Errorf("a new plan is %s", plan.Status)
	}
	f.getProblem("/v1/plans/"+plan.ID, http.StatusNotFound) // not public while in draft
	res, body = send("PATCH", "/v1/plans/"+plan.ID, map[string]any{"clear": []string{"extended_to"}}, tagOf("/v1/plans/"+plan.ID))
	if res.StatusCode != 200 || strings.Contains(string(body), "extended_to") {
		t.Errorf("clear extended_to: %d %s", res.StatusCode, body)
	}
	res, body = send("PATCH", "/v1/plans/"+plan.ID, map[string]any{"period_end": "2019-01-01"}, tagOf("/v1/plans/"+plan.ID))
	if p := f.mustProblem(res, body, http.StatusUnprocessableEntity); p.Detail != "period_end: is before period_start" ||
		len(p.Errors) != 1 || p.Errors[0].Location != "body.period_end" || strings.Contains(string(body), "plans_") {
		t.Errorf("period order: %s", p.Detail)
	}

	res, body = send("POST", "/v1/plans/"+plan.ID+"/measures", map[string]any{"code": "1.1", "title": map[string]string{"ru": "Мера"},
		"lead": "MS", "co_implementers": []string{"MFA"}, "partners": []string{"IOM"}, "due_start": "2020-01-01", "due_end": "2020-12-31",
		"articles": []int{8, 68}}, "")
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create measure: %d %s", res.StatusCode, body)
	}
	type measure struct {
		ID             string
		CoImplementers []string `json:"co_implementers"`
		Partners       []string
		DueEnd         *string `json:"due_end"`
	}
	var m measure
	_ = json.Unmarshal(body, &m)
	path := "/v1/measures/" + m.ID
	res, body = send("PATCH", path, map[string]any{"co_implementers": []string{"IOM"}, "partners": []string{"MFA"}}, tagOf(path))
	m = measure{}
	_ = json.Unmarshal(body, &m)
	if res.StatusCode != 200 || !slices.Equal(m.CoImplementers, []string{"IOM"}) || !slices.Equal(m.Partners, []string{"MFA"}) {
		t.Errorf("swap co-implementer and partner: %d %s", res.StatusCode, body)
	}
	res, body = send("PATCH", path, map[string]any{"partners": []string{"MS"}}, tagOf(path))
	f.mustProblem(res, body, http.StatusUnprocessableEntity) // the lead cannot partner its own measure
	res, body = send("PATCH", path, map[string]any{"co_implementers": []string{"NOPE"}}, tagOf(path))
	f.mustProblem(res, body, http.StatusUnprocessableEntity)
	res, body = send("PATCH", path, map[string]any{"clear": []string{"due_start", "due_end"}}, tagOf(path))
	m = measure{}
	_ = json.Unmarshal(body, &m)
	if res.StatusCode != 200 || m.DueEnd != nil {
		t.Errorf("a measure made continuous: %d %s", res.StatusCode, body)
	}
	res, body = send("POST", "/v1/plans/"+plan.ID+"/measures", map[string]any{"code": "1.1", "title": map[string]string{"en": "Again"}, "lead": "MS"}, "")
	f.mustProblem(res, body, http.StatusConflict)

	// An indicator changes kind once its numbers are emptied.
	res, body = send("POST", path+"/indicators", map[string]any{"code": "1.1.1", "title": map[string]string{"en": "Officials trained"},
		"kind": "number", "baseline": 0, "target": 600, "disaggregations": []string{"sex"}}, "")
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create indicator: %d %s", res.StatusCode, body)
	}
	var in struct{ ID string }
	_ = json.Unmarshal(body, &in)
	ipath := "/v1/indicators/" + in.ID
	res, body = send("PATCH", ipath, map[string]any{"kind": "milestone"}, tagOf(ipath))
	f.mustProblem(res, body, http.StatusUnprocessableEntity)
	res, body = send("PATCH", ipath, map[string]any{"kind": "milestone", "clear": []string{"baseline", "target"}}, tagOf(ipath))
	if res.StatusCode != 200 {
		t.Errorf("milestone after clearing: %d %s", res.StatusCode, body)
	}

	// Periods lock and open once each.
	res, body = send("POST", "/v1/plans/"+plan.ID+"/periods", map[string]any{"label": "2020-H1", "starts_on": "2020-01-01",
		"ends_on": "2020-06-30", "due_on": "2020-07-31"}, "")
	var period struct{ ID, State string }
	_ = json.Unmarshal(body, &period)
	if res.StatusCode != http.StatusCreated || period.State != "open" {
		t.Fatalf("create period: %d %s", res.StatusCode, body)
	}
	for i, step := range []struct {
		verb string
		want int
	}{{"lock", 200}, {"lock", 409}, {"open", 200}, {"open", 409}} {
		res, body := send("POST", "/v1/periods/"+period.ID+"/"+step.verb, nil, "")
		if res.StatusCode != step.want {
			t.Errorf("step %d, %s: %d %s", i, step.verb, res.StatusCode, body)
		}
	}

	// Organizations: no self-parenting, codes are unique.
	res, body = send("PATCH", "/v1/organizations/MS", map[string]any{"parent": "MS"}, tagOf("/v1/organizations/MS"))
	f.mustProblem(res, body, http.StatusUnprocessableEntity)
	res, body = send("POST", "/v1/organizations", map[string]any{"code": "MS", "kind": "agency", "name": map[string]string{"en": "Again"}}, "")
	f.mustProblem(res, body, http.StatusConflict)
	res, body = send("PATCH", "/v1/organizations/MS", map[string]any{"name": map[string]string{"en": fmt.Sprintf("Migration Service %d", 2)}}, `W/"1"`)
	f.mustProblem(res, body, http.StatusPreconditionFailed) // If-Match compares strongly
}

// TestIfMatchList: If-Match holding a list of entity tags matches when any of them does.
func TestIfMatchList(t *testing.T) {
	p := newProgressFixture(t)
	path := "/v1/plans/" + p.planID
	res, _ := p.get(path, p.coordinator.auth()...)
	etag := res.Header.Get("ETag")
	for _, c := range []struct {
		header string
		want   int
	}{
		{`"998", "999"`, http.StatusPreconditionFailed},
		{`W/` + etag + `, "999"`, http.StatusPreconditionFailed}, // a weak tag matches nothing
		{`"999", ` + etag, http.StatusOK},
	} {
		res, b := p.send("PATCH", path, map[string]any{"requires_sign_off": true}, append(p.coordinator.auth(), "If-Match", c.header)...)
		if res.StatusCode != c.want {
			t.Errorf("If-Match %s: %d %s", c.header, res.StatusCode, b)
		}
	}
}

// TestTextsAreEmptiedByClear: text a request sends is never empty, so an optional text is
// emptied by naming it in clear, and a required one cannot be.
func TestTextsAreEmptiedByClear(t *testing.T) {
	p := newProgressFixture(t)
	coordinator := p.coordinator
	id, etag := p.draft(p.author)
	update := "/v1/updates/" + id
	b := p.expectStatus(p.author, http.StatusOK, "PATCH", update, map[string]any{"clear": []string{"narrative"},
		"challenges": map[string]string{"en": "The figures come late."}}, "If-Match", etag)
	var u struct{ Narrative, Challenges map[string]string }
	if err := json.Unmarshal(b, &u); err != nil || len(u.Narrative) != 0 || u.Challenges["en"] != "The figures come late." {
		t.Errorf("narrative cleared, challenges set: %s", b)
	}

	res, _ := p.get("/v1/measures/"+p.measureID, coordinator.auth()...)
	b = p.expectStatus(coordinator, http.StatusOK, "PATCH", "/v1/measures/"+p.measureID,
		map[string]any{"clear": []string{"description", "deadline_text"}}, "If-Match", res.Header.Get("ETag"))
	var m struct{ Description, DeadlineText map[string]string }
	if err := json.Unmarshal(b, &m); err != nil || len(m.Description) != 0 || len(m.DeadlineText) != 0 {
		t.Errorf("description and deadline_text cleared: %s", b)
	}
	res, _ = p.get("/v1/measures/"+p.measureID, coordinator.auth()...)
	p.expectStatus(coordinator, http.StatusUnprocessableEntity, "PATCH", "/v1/measures/"+p.measureID,
		map[string]any{"clear": []string{"title"}}, "If-Match", res.Header.Get("ETag"))
}
