package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/mail"
	"github.com/naptracker/naptracker/internal/mailtest"
	"github.com/naptracker/naptracker/internal/nap"
)

// mailFixture is the progress fixture sending its notifications through a real SMTP server.
func mailFixture(t *testing.T) (*progressFixture, *mailtest.Server) {
	t.Helper()
	smtp := mailtest.Start(t)
	mailer, err := mail.New(smtp.URL(), "NAP secretariat <nap@commission.example.org>")
	if err != nil {
		t.Fatal(err)
	}
	return newProgressFixtureWith(t, fixtureOptions{now: today, mailer: mailer}), smtp
}

// emailOf is a caller's e-mail address.
func (p *progressFixture) emailOf(t *testing.T, c caller) string {
	t.Helper()
	var email string
	if err := p.db.Gorm().Raw(`SELECT email FROM users WHERE id = ?`, c.userID).Scan(&email).Error; err != nil {
		t.Fatal(err)
	}
	return email
}

// pass runs a pass of notifications, as serve does every minute.
func (p *progressFixture) pass(t *testing.T) {
	t.Helper()
	if _, err := p.svc.NotifyPass(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestReviewNotices: each step of an update's review tells who must act next, or its author,
// by e-mail in their own language, with where to act; turning reminders off does not silence
// them; the outbox shows each sent.
func TestReviewNotices(t *testing.T) {
	p, smtp := mailFixture(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	email := func(c caller) string { return p.emailOf(t, c) }
	// The approver reads Tajik, the coordinator English; the author wants no reminders.
	for _, c := range []struct {
		who  caller
		body map[string]any
	}{{p.approver, map[string]any{"preferred_language": "tg"}}, {p.coordinator, map[string]any{"preferred_language": "en"}},
		{p.author, map[string]any{"reminders": false}}} {
		res, _ := p.get("/v1/me", c.who.auth()...)
		p.expectStatus(c.who, 200, "PATCH", "/v1/me", c.body, "If-Match", res.Header.Get("ETag"))
	}

	id, _ := p.draft(p.author)
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id+"/submit", nil)
	p.pass(t)
	signOff := smtp.Await("to:"+email(p.approver), 1)
	if len(signOff) != 1 || !strings.Contains(signOff[0].Subject, "Барои имзо") || !strings.Contains(signOff[0].Text, "http://naptracker.test/v1/updates/"+id) {
		t.Fatalf("the approver's notice: %+v", signOff)
	}
	if ms := smtp.Search("to:" + email(p.author)); len(ms) != 0 {
		t.Errorf("the author was told of their own submission: %+v", ms)
	}

	p.expectStatus(p.approver, 200, "POST", "/v1/updates/"+id+"/sign-off", nil)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/updates/"+id+"/return", map[string]any{"reason": "Add the decree's number."})
	p.pass(t)
	// Each names the measure, by its code and by its title in the reader's language.
	measure := p.ds.Plan.Measures[0]
	if !strings.Contains(signOff[0].Text, measure.Code) || !strings.Contains(signOff[0].Text, measure.Title.In("tg")) {
		t.Errorf("the approver's notice does not name measure %s, %q: %s", measure.Code, measure.Title.In("tg"), signOff[0].Text)
	}
	if review := smtp.Await("to:"+email(p.coordinator), 1); len(review) != 1 || !strings.Contains(review[0].Subject, "To review") ||
		!strings.Contains(review[0].Text, measure.Code) || !strings.Contains(review[0].Text, measure.Title.In("en")) {
		t.Errorf("the coordinator's notice: %+v", review)
	}
	returned := smtp.Await("to:"+email(p.author), 1)
	if len(returned) != 1 || !strings.Contains(returned[0].Text, "Add the decree's number.") || !strings.Contains(returned[0].HTML, "<a href=") {
		t.Errorf("the author's notice of the return, with reminders off: %+v", returned)
	}

	// Its Message-ID is the notification's own; the outbox says it was sent.
	var mine page[struct {
		ID, Kind, State string
	}]
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", "/v1/me/notifications", nil), &mine)
	if len(mine.Items) != 1 || mine.Items[0].Kind != "returned" || mine.Items[0].State != "sent" ||
		returned[0].MessageID != mine.Items[0].ID+"@commission.example.org" {
		t.Errorf("the author's notifications: %+v, the message's id %q", mine.Items, returned[0].MessageID)
	}
	var queue page[struct{ State string }]
	_ = json.Unmarshal(p.expectStatus(admin, 200, "GET", "/v1/notifications?state=pending", nil), &queue)
	if len(queue.Items) != 0 {
		t.Errorf("notifications still pending: %+v", queue.Items)
	}
	p.expectStatus(p.author, http.StatusForbidden, "GET", "/v1/notifications", nil)
}

// TestMailServerOutage: notifications caused while the mail server is down wait in the
// outbox, are tried again later, and arrive exactly once when it is back.
func TestMailServerOutage(t *testing.T) {
	p, smtp := mailFixture(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	smtp.Stop()
	for range 3 {
		id, _ := p.draft(p.author)
		p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id+"/submit", nil)
		p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id+"/withdraw", nil)
	}
	p.pass(t)
	var pending page[struct {
		Attempts  int
		LastError string `json:"last_error"`
	}]
	_ = json.Unmarshal(p.expectStatus(admin, 200, "GET", "/v1/notifications?state=pending", nil), &pending)
	if len(pending.Items) < 3 {
		t.Fatalf("after a pass with the mail server down: %+v", pending.Items)
	}
	for _, n := range pending.Items {
		if n.Attempts != 1 || !strings.Contains(n.LastError, "refused") {
			t.Fatalf("after a pass with the mail server down: %+v", pending.Items)
		}
	}
	smtp.Start()
	p.pass(t) // too early for a retry: nothing is sent
	if ms := smtp.Search("to:" + p.emailOf(t, p.approver)); len(ms) != 0 {
		t.Fatalf("%d messages sent before their retry was due", len(ms))
	}
	p.clock.Set(today.Add(2 * time.Minute))
	p.pass(t)
	p.pass(t)
	if ms := smtp.Await("to:"+p.emailOf(t, p.approver), 3); len(ms) != 3 {
		t.Errorf("%d messages arrived after the outage, want 3, each once", len(ms))
	}
}

// TestRemindersAndDigest: focal points of organizations with reports not yet submitted are
// reminded 14 and then 3 days before the submission deadline, once each, and told once when
// it has passed; a focal point who turned reminders off is not, nor is anyone whose
// organization has submitted everything; coordinators get one digest a week.
func TestRemindersAndDigest(t *testing.T) {
	p, smtp := mailFixture(t)
	lead := p.ds.Plan.Measures[0].Lead
	quiet := p.newCaller(nap.RoleFocalPoint, lead)
	res, _ := p.get("/v1/me", quiet.auth()...)
	p.expectStatus(quiet, 200, "PATCH", "/v1/me", map[string]any{"reminders": false}, "If-Match", res.Header.Get("ETag"))
	// A period whose reports are due on the 20th of December, a fortnight and a bit after the
	// fixture's day.
	period := p.newPeriod(t, "2026-H2", "2026-07-01", "2026-11-20")
	res, _ = p.get("/v1/periods/"+period, p.coordinator.auth()...)
	p.expectStatus(p.coordinator, 200, "PATCH", "/v1/periods/"+period, map[string]any{"submission_deadline": "2026-12-20",
		"review_deadline": "2027-01-20"}, "If-Match", res.Header.Get("ETag"))
	kinds := func(c caller) []string {
		var mine page[struct{ Kind string }]
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/me/notifications?limit=100", nil), &mine)
		var out []string
		for _, n := range mine.Items {
			out = append(out, n.Kind)
		}
		slices.Sort(out)
		return out
	}
	at := func(day string) {
		t.Helper()
		d, _ := time.Parse(time.DateOnly, day)
		p.clock.Set(d)
		p.pass(t)
		p.pass(t) // a second pass, here or on another server, keeps nothing twice
	}

	at("2026-11-27") // 23 days before: nothing yet
	if got := kinds(p.author); len(got) != 0 {
		t.Fatalf("23 days before the deadline: %v", got)
	}
	at("2026-12-06") // 14 days before
	if got := kinds(p.author); !slices.Equal(got, []string{"reminder"}) {
		t.Fatalf("14 days before the deadline: %v", got)
	}
	reminder := smtp.Await("to:"+p.emailOf(t, p.author), 1)
	if len(reminder) != 1 || !strings.Contains(reminder[0].Text, p.ds.Plan.Measures[0].Code) ||
		!strings.Contains(reminder[0].Text, "/v1/periods/"+period+"/completeness?organization="+lead) {
		t.Errorf("the reminder: %+v", reminder)
	}
	if got := kinds(p.coordinator); !slices.Equal(got, []string{"digest"}) {
		t.Errorf("the coordinator, a week into the round: %v", got)
	}
	at("2026-12-10") // 10 days before: no reminder (the 14-day one is sent), the next week's digest
	at("2026-12-18") // 2 days before: the 3-day reminder, and that week's digest
	at("2026-12-21") // after the deadline: the overdue notice, and that week's digest
	if got := kinds(p.author); !slices.Equal(got, []string{"overdue", "reminder", "reminder"}) {
		t.Errorf("the lead's focal point over the round: %v", got)
	}
	if got := kinds(p.coordinator); !slices.Equal(got, []string{"digest", "digest", "digest", "digest"}) {
		t.Errorf("the coordinator over the round: %v", got)
	}
	if got := kinds(quiet); len(got) != 0 {
		t.Errorf("a focal point who turned reminders off got %v", got)
	}
}
