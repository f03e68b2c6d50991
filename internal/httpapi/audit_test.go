package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type verification struct {
	Valid           bool
	Events          int64
	Head            string
	FirstInvalidSeq *int64 `json:"first_invalid_seq"`
}

func TestAuditTrail(t *testing.T) {
	p := newProgressFixture(t)
	auditor := p.newCaller(nap.RoleAuditor, "")

	// A workflow, with some writers at once.
	id, _ := p.draft(p.author)
	var approval string // the request id the approval was answered with
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			res, _ := p.send("POST", "/v1/measures/"+p.measureID+"/indicators", map[string]any{"code": fmt.Sprintf("c.%d", i),
				"title": map[string]string{"en": "Concurrent"}, "kind": "text"}, p.coordinator.auth()...)
			if res.StatusCode != http.StatusCreated {
				t.Errorf("indicator %d: %d", i, res.StatusCode)
			}
		})
	}
	for _, step := range []struct {
		who  caller
		verb string
	}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		res, _ := p.send("POST", "/v1/updates/"+id+"/"+step.verb, nil, append(step.who.auth(), "X-Request-ID", "req-"+step.verb)...)
		approval = res.Header.Get("X-Request-ID")
	}
	wg.Wait()

	var v verification
	_ = json.Unmarshal(p.expectStatus(auditor, 200, "GET", "/v1/audit-events/verify", nil), &v)
	if !v.Valid || v.Events == 0 || len(v.Head) != 64 || v.FirstInvalidSeq != nil {
		t.Fatalf("verify: %+v", v)
	}

	// The approval is recorded with its actor and request.
	var events page[struct {
		Seq        int64
		ActorID    string `json:"actor_id"`
		Action     string
		RequestID  string `json:"request_id"`
		Client     string `json:"client_request_id"`
		Before     json.RawMessage
		After      json.RawMessage
		EntityType string `json:"entity_type"`
	}]
	_ = json.Unmarshal(p.expectStatus(auditor, 200, "GET", "/v1/audit-events?entity_id="+id+"&action=progress_update.state.approved", nil), &events)
	// The request is the server's: the id it answered with, never the one the client chose,
	// which is kept beside it.
	if len(events.Items) != 1 || events.Items[0].ActorID != p.coordinator.userID || events.Items[0].RequestID != approval ||
		approval == "req-approve" || events.Items[0].Client != "req-approve" {
		t.Fatalf("approval event: %+v (answered as request %s)", events.Items, approval)
	}
	p.expectStatus(p.coordinator, 403, "GET", "/v1/audit-events", nil)

	// The chain does not depend on the time zone of whoever verifies it.
	var whole bool
	err := p.db.Gorm().Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL TimeZone = 'Asia/Dushanbe'`).Error; err != nil {
			return err
		}
		return tx.Raw(`SELECT bool_and(audit_hash(a) = hash) FROM audit_events a`).Scan(&whole).Error
	})
	if err != nil || !whole {
		t.Errorf("verified in another time zone: whole %v, %v", whole, err)
	}

	// The application cannot change the trail.
	for _, sql := range []string{`UPDATE audit_events SET action = 'edited'`, `DELETE FROM audit_events`} {
		if err := p.db.Gorm().Exec(sql).Error; err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}

	// A row changed behind the trigger's back is found.
	seq := events.Items[0].Seq
	err = p.db.Gorm().Transaction(func(tx *gorm.DB) error {
		for _, sql := range []string{`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
			`UPDATE audit_events SET after = jsonb_set(after, '{progress_percent}', '99') WHERE seq = ?`,
			`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`} {
			var args []any
			if strings.Contains(sql, "?") {
				args = append(args, seq)
			}
			if err := tx.Exec(sql, args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(p.expectStatus(auditor, 200, "GET", "/v1/audit-events/verify", nil), &v)
	if v.Valid || v.FirstInvalidSeq == nil || *v.FirstInvalidSeq != seq {
		t.Fatalf("verify after tampering with %d: %+v", seq, v)
	}
}

// A change is answered while the audit chain cannot be linked (its lock held elsewhere); its
// author's read of the trail and of the measure's history waits for the change's events, and
// has them as soon as the chain is free.
func TestAuthorReadsTheEventsOfAChangeAnsweredBeforeTheyAreLinked(t *testing.T) {
	p := newProgressFixture(t)
	holder := p.db.Gorm().Begin()
	if err := holder.Exec(`SELECT pg_advisory_xact_lock(727102)`).Error; err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	id, _ := p.draft(p.author)
	var staged int
	if err := p.db.Gorm().Raw(`SELECT count(*) FROM audit_staged WHERE entity_id = ?`, id).Scan(&staged).Error; err != nil || staged == 0 {
		t.Fatalf("the draft was answered with %d of its events staged (%v): the test proves nothing", staged, err)
	}
	type read struct {
		status int
		body   []byte
	}
	history := make(chan read, 1)
	go func() {
		status, b := p.call(p.author, "GET", "/v1/measures/"+p.measureID+"/history?limit=500", nil)
		history <- read{status, b}
	}()
	select {
	case r := <-history:
		t.Fatalf("the history was read before the draft's events were in the chain: %d %s", r.status, r.body)
	default:
	}
	holder.Rollback()
	r := <-history
	type event struct {
		Action   string
		EntityID string `json:"entity_id"`
	}
	var h page[event]
	if r.status != http.StatusOK || json.Unmarshal(r.body, &h) != nil {
		t.Fatalf("history: %d %s", r.status, r.body)
	}
	if !slices.Contains(h.Items, event{"progress_update.insert", id}) {
		t.Errorf("the author's history (%d events) lacks the draft it made", len(h.Items))
	}
}

// TestMeasureHistory: the organization sees every step of its update; a partner sees only the
// measure's own changes and the update's publication.
func TestMeasureHistory(t *testing.T) {
	p := newProgressFixture(t)
	id, tag := p.draft(p.author)
	p.expectStatus(p.author, 200, "PATCH", "/v1/updates/"+id, map[string]any{"narrative": map[string]string{"en": "internal draft wording"}}, "If-Match", tag)
	actions := func(c caller) []string {
		var h page[struct{ Action string }]
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/measures/"+p.measureID+"/history?limit=500", nil), &h)
		var out []string
		for _, e := range h.Items {
			out = append(out, e.Action)
		}
		return out
	}
	count := func(list []string, action string) int {
		n := 0
		for _, a := range list {
			if a == action {
				n++
			}
		}
		return n
	}
	own, partner := actions(p.author), actions(p.partner)
	if count(own, "progress_update.update") == 0 || count(own, "progress_update.insert") == 0 {
		t.Errorf("the organization does not see its update's steps: %v", own)
	}
	if count(partner, "progress_update.update")+count(partner, "progress_update.insert") != 0 {
		t.Errorf("a partner sees a draft's steps: %v", partner)
	}
	if count(partner, "measure.insert") != 1 {
		t.Errorf("a partner does not see the measure's own history: %v", partner)
	}
	published := count(partner, "progress_update.state.approved") // the seeded history's
	for _, step := range []struct {
		who  caller
		verb string
	}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		p.expectStatus(step.who, 200, "POST", "/v1/updates/"+id+"/"+step.verb, nil)
	}
	if partner := actions(p.partner); count(partner, "progress_update.state.approved") != published+1 || count(partner, "progress_update.update") != 0 {
		t.Errorf("after approval a partner sees: %v", partner)
	}
}
