package httpapi_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naptracker/naptracker/policies"
)

// TestEachAudienceSeesOneStory: a measure's derived status and progress, and the summaries,
// lists, exports and ETags built from them, come for each audience from the approved updates
// it may read: the public from public ones, partners from partners' and public ones, an
// organization from those and its own internal ones, the coordinating roles from all.
func TestEachAudienceSeesOneStory(t *testing.T) {
	p := newProgressFixture(t)
	code := p.ds.Plan.Measures[0].Code
	type view struct {
		status, etag string
		progress     *int
		inFilter     bool // listed under ?status=<its status>
		counted      int  // the summary's count of its status
		exported     string
	}
	look := func(c caller, status string) view {
		t.Helper()
		var m struct {
			CurrentStatus   string `json:"current_status"`
			ProgressPercent *int   `json:"progress_percent"`
		}
		res, b := p.get("/v1/measures/"+p.measureID, c.auth()...)
		if res.StatusCode != 200 || json.Unmarshal(b, &m) != nil {
			t.Fatalf("measure as %s: %d %s", c.name, res.StatusCode, b)
		}
		v := view{status: m.CurrentStatus, progress: m.ProgressPercent, etag: res.Header.Get("ETag")}
		var listed page[struct{ Code string }]
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/plans/"+p.planID+"/measures?limit=500&status="+status, nil), &listed)
		v.inFilter = slices.ContainsFunc(listed.Items, func(it struct{ Code string }) bool { return it.Code == code })
		var s struct {
			Total struct {
				ByStatus map[string]int `json:"by_status"`
			}
		}
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/plans/"+p.planID+"/summary", nil), &s)
		v.counted = s.Total.ByStatus[status]
		rows := parseCSV(t, p.exported(c, "format=csv", "text/csv"))
		v.exported = rows[1+slices.Index(column(rows, "code"), code)][slices.Index(rows[0], "status")]
		return v
	}
	before := look(p.anonymous, "implemented")

	// Published to partners: partners see it, the public does not, not even in the ETag.
	p.approvedAs("implemented", 100, "The law was adopted.", "partners", "The law")
	public := look(p.anonymous, "implemented")
	if public != before {
		t.Errorf("the public's view moved with an update published to partners: %+v, then %+v", before, public)
	}
	partner := look(p.partner, "implemented")
	if partner.status != "implemented" || partner.progress == nil || *partner.progress != 100 || !partner.inFilter ||
		partner.exported != "implemented" || partner.counted != public.counted+1 {
		t.Errorf("partners after an update published to them: %+v (the public: %+v)", partner, public)
	}

	// Internal to the lead: it and the coordinating roles see it; partners and another
	// ministry keep what is published to them.
	p.approvedAs("cancelled", 0, "Dropped from the plan.", "internal", "Minutes")
	for _, c := range []caller{p.viewer, p.coordinator} {
		if v := look(c, "cancelled"); v.status != "cancelled" || !v.inFilter || v.exported != "cancelled" {
			t.Errorf("%s after an internal update of the lead: %+v", c.name, v)
		}
	}
	for _, c := range []caller{p.partner, p.stranger} {
		if v := look(c, "implemented"); v.status != "implemented" || !v.inFilter || v.exported != "implemented" {
			t.Errorf("%s after an internal update of the lead: %+v", c.name, v)
		}
	}
	if v := look(p.anonymous, "implemented"); v != before {
		t.Errorf("the public's view moved with an internal update: %+v, then %+v", before, v)
	}

	// As of the period's end, each audience's export says what it said then.
	var periods page[struct{ ID, Label string }]
	p.getJSON("/v1/plans/"+p.planID+"/periods?limit=500", &periods)
	period := periods.Items[len(periods.Items)-1]
	for c, want := range map[caller]string{p.partner: "implemented", p.viewer: "cancelled", p.anonymous: before.exported} {
		rows := parseCSV(t, p.exported(c, "format=csv&period="+period.Label, "text/csv"))
		if got := rows[1+slices.Index(column(rows, "code"), code)][slices.Index(rows[0], "status")]; got != want {
			t.Errorf("%s's export as of %s: %s, want %s", c.name, period.Label, got, want)
		}
	}

	// The measure's history holds what people changed, never derived values.
	for _, c := range []caller{p.anonymous, p.coordinator} {
		if b := p.expectStatus(c, 200, "GET", "/v1/measures/"+p.measureID+"/history?limit=500", nil); strings.Contains(string(b), "status_") {
			t.Errorf("%s reads derived values in the history: %.300s", c.name, b)
		}
	}
}

// TestReadsFollowThePolicy: what a role reads is the policy's to say. With partners' right to
// read what is published to them taken out of a copy of the policy, a partner's reads, lists,
// exports and streams show such an update no more; with the right to read every
// organization's updates given to them, they show a draft.
func TestReadsFollowThePolicy(t *testing.T) {
	without := strings.Replace(policies.Policy, "p, partner, update, read_partners\n", "", 1)
	if without == policies.Policy {
		t.Fatal("the policy no longer grants partners read_partners; this test changes nothing")
	}
	p := newProgressFixtureWith(t, fixtureOptions{now: today, policy: without + "p, partner, update, read\n"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, _, start := p.readFeed(t, p.coordinator, 0)
	events := p.openStream(t, ctx, p.partner, start)

	draft, _ := p.draft(p.author)
	p.expectStatus(p.partner, 200, "GET", "/v1/updates/"+draft, nil)
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+draft+"/withdraw", nil)

	// Published to partners only: by this policy, partners read it as any organization's
	// update, in every state. Take "read" away too, and they do not.
	strict := newProgressFixtureWith(t, fixtureOptions{now: today, policy: without})
	strict.approvedAs("implemented", 100, "Published to partners.", "partners", "Partners' evidence")
	var updates page[struct{ ID, Visibility string }]
	_ = json.Unmarshal(strict.expectStatus(strict.partner, 200, "GET", "/v1/measures/"+strict.measureID+"/updates?limit=500", nil), &updates)
	for _, u := range updates.Items {
		if u.Visibility == "partners" {
			t.Errorf("a partner lists update %s, published to partners, which the policy no longer lets it read", u.ID)
			strict.expectStatus(strict.partner, 404, "GET", "/v1/updates/"+u.ID, nil)
		}
	}
	if b := strict.exported(strict.partner, "format=csv", "text/csv"); strings.Contains(string(b), "Published to partners.") {
		t.Error("a partner's export shows an update the policy no longer lets it read")
	}
	var m struct {
		CurrentStatus string `json:"current_status"`
	}
	_ = json.Unmarshal(strict.expectStatus(strict.partner, 200, "GET", "/v1/measures/"+strict.measureID, nil), &m)
	if m.CurrentStatus == "implemented" {
		t.Error("a partner's measure takes its status from an update the policy no longer lets it read")
	}

	// The stream of the first fixture delivered the draft, which its policy lets partners read.
	timeout := time.After(30 * time.Second)
	for seen := false; !seen; {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			seen = strings.Contains(e.data, draft)
		case <-timeout:
			t.Fatal("a partner's stream does not deliver a draft the policy lets it read")
		}
	}
}
