package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/mailtest"
	"github.com/naptracker/naptracker/internal/pgtest"
)

// roundAPI calls a running server as the users of a reporting round, by their tokens.
type roundAPI struct {
	t      *testing.T
	dsn    string // the database, as its owner
	url    string
	tokens map[string]string // by e-mail
}

// newRoundAPI seeds a new database for a round's server.
func newRoundAPI(t *testing.T) roundAPI {
	dsn := pgtest.NewDatabase(t)
	cli(t, "seed", "--database-url", dsn)
	return roundAPI{t: t, dsn: dsn, tokens: map[string]string{}}
}

// addUser adds a user with a role (in org, when given) from the command line, as an operator
// does, and issues them a token.
func (a roundAPI) addUser(email, role, org string) {
	a.t.Helper()
	args := []string{"users", "add", "--database-url", a.dsn, "--email", email, "--name", email, "--role", role}
	if org != "" {
		args = append(args, "--org", org)
	}
	cli(a.t, args...)
	lines := strings.Split(strings.TrimSpace(cli(a.t, "tokens", "issue", "--database-url", a.dsn, "--email", email, "--ttl", "1h")), "\n")
	a.tokens[email] = lines[len(lines)-1]
}

// openRound has the coordinator open the half-year that ended yesterday as a period of the
// first plan and set its submission deadline ten days from today: the 14-day reminder's.
func (a roundAPI) openRound(coordinator string) (planID, periodID, label string) {
	a.t.Helper()
	var plans struct{ Items []struct{ ID string } }
	a.json("", "GET", "/v1/plans", nil, 200, &plans)
	today := time.Now().UTC()
	ends := today.AddDate(0, 0, -1)
	var period struct{ ID, Label string }
	a.json(coordinator, "POST", "/v1/plans/"+plans.Items[0].ID+"/periods", map[string]any{
		"label": fmt.Sprintf("%d-H%d", ends.Year(), 1+(ends.Month()-1)/6), "starts_on": today.AddDate(0, -6, 0).Format(time.DateOnly),
		"ends_on": ends.Format(time.DateOnly)}, 201, &period)
	h := a.json(coordinator, "GET", "/v1/periods/"+period.ID, nil, 200, nil)
	a.json(coordinator, "PATCH", "/v1/periods/"+period.ID, map[string]any{"submission_deadline": today.AddDate(0, 0, 10).Format(time.DateOnly),
		"review_deadline": today.AddDate(0, 0, 40).Format(time.DateOnly)}, 200, nil, "If-Match", h.Get("ETag"))
	return plans.Items[0].ID, period.ID, period.Label
}

// call sends a request as who ("" for nobody) and requires the status want.
func (a roundAPI) call(who, method, path, contentType string, body io.Reader, want int, header ...string) (http.Header, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[who])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		a.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, who, res.StatusCode, want, b)
	}
	return res.Header, b
}

// json sends v as JSON (none when nil) and decodes the answer into out (when not nil).
func (a roundAPI) json(who, method, path string, v any, want int, out any, header ...string) http.Header {
	a.t.Helper()
	var body io.Reader
	contentType := ""
	if v != nil {
		b, _ := json.Marshal(v)
		body, contentType = bytes.NewReader(b), "application/json"
	}
	h, b := a.call(who, method, path, contentType, body, want, header...)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return h
}

type roundReport struct {
	Organization, Measure, State string
	MeasureID                    string `json:"measure_id"`
	UpdateID                     string `json:"update_id"`
	Late                         bool
}

type roundOrganization struct {
	Organization       string
	Expected, Approved int
}

type roundCompleteness struct {
	Organizations []roundOrganization
	Items         []roundReport
}

// TestReportingRound runs a six-monthly round end to end, through the server, the command
// line and a real SMTP server: the coordinator sets the deadlines; `notify run` reminds the
// focal points of the organizations with reports missing, and nobody else; a focal point
// imports its row of an edited export (the dry run names exactly that row; the commit drafts
// it, one request in the audit trail) and submits it; its approver, then the coordinators are
// told; its report goes from missing to approved; and the weekly digest says so.
func TestReportingRound(t *testing.T) {
	api := newRoundAPI(t)
	dsn := api.dsn
	mail := mailtest.Start(t)
	// The server's own pass runs at its start only: the passes of this test are notify run's.
	srv := startProcess(t, pgtest.AppDSN(dsn), "--smtp-url", mail.URL(), "--notify-every", "1h", "--rate-limit", "0")
	api.url = srv.url
	const coordinator, quiet, admin = "coordinator@round.example.org", "quiet@round.example.org", "admin@round.example.org"
	api.addUser(coordinator, "coordinator", "")
	api.addUser(quiet, "coordinator", "")
	api.addUser(admin, "admin", "")
	for who, change := range map[string]map[string]any{coordinator: {"preferred_language": "en"}, quiet: {"reminders": false}} {
		h := api.json(who, "GET", "/v1/me", nil, 200, nil)
		api.json(who, "PATCH", "/v1/me", change, 200, nil, "If-Match", h.Get("ETag"))
	}
	// digests are the weekly digests someone received, in English or Russian.
	digests := func(who string) []mailtest.Message {
		return slices.DeleteFunc(mail.Search("to:"+who), func(m mailtest.Message) bool {
			return m.Subject != "Weekly reporting digest" && m.Subject != "Еженедельная сводка об отчётности"
		})
	}

	// The coordinator opens the period that just ended and sets its deadlines.
	planID, periodID, label := api.openRound(coordinator)
	period := struct{ ID, Label string }{periodID, label}

	// Who owes what: L reports through an import, S has submitted everything before the
	// reminders, M has not; N owes nothing.
	var round roundCompleteness
	api.json(coordinator, "GET", "/v1/periods/"+period.ID+"/completeness", nil, 200, &round)
	var single []string
	for _, o := range round.Organizations {
		if o.Expected == 1 {
			single = append(single, o.Organization)
		}
	}
	if len(single) < 2 || len(round.Organizations) < 3 {
		t.Fatalf("the seeded plan needs two organizations with one report due and a third: %+v", round.Organizations)
	}
	orgL, orgS := single[0], single[1]
	orgM := round.Organizations[slices.IndexFunc(round.Organizations, func(o roundOrganization) bool {
		return o.Organization != orgL && o.Organization != orgS
	})].Organization
	const orgN = "MLSP"
	if slices.ContainsFunc(round.Organizations, func(o roundOrganization) bool { return o.Organization == orgN }) {
		t.Fatalf("%s owes reports", orgN)
	}
	report := func(org string) roundReport {
		var c roundCompleteness
		api.json(coordinator, "GET", "/v1/periods/"+period.ID+"/completeness?organization="+org, nil, 200, &c)
		if len(c.Items) == 0 {
			t.Fatalf("no report of %s", org)
		}
		return c.Items[0]
	}
	focal := func(org string) string { return "focal-" + strings.ToLower(org) + "@round.example.org" }
	approver := "approver-" + strings.ToLower(orgL) + "@round.example.org"
	for _, org := range []string{orgL, orgS, orgM, orgN} {
		api.addUser(focal(org), "focal_point", org)
	}
	api.addUser(approver, "approver", orgL)
	var draft struct{ ID string }
	api.json(focal(orgS), "POST", "/v1/measures/"+report(orgS).MeasureID+"/updates", map[string]any{"period_id": period.ID,
		"proposed_status": "in_progress", "narrative": map[string]string{"en": "Under way."}}, 201, &draft)
	api.json(focal(orgS), "POST", "/v1/updates/"+draft.ID+"/submit", nil, 200, nil)

	notifyRun := func() {
		t.Helper()
		cli(t, "notify", "run", "--database-url", dsn, "--smtp-url", mail.URL(), "--public-url", srv.url)
	}
	notifyRun()
	code := report(orgL).Measure
	reminded := map[string]bool{}
	for _, who := range []string{focal(orgL), focal(orgS), focal(orgM), focal(orgN), approver, coordinator, quiet, admin} {
		if n := len(mail.Search("to:"+who)) - len(digests(who)); n > 0 {
			reminded[who] = n == 1
		}
	}
	if ms := mail.Search("to:" + focal(orgL)); len(ms) != 1 || !strings.Contains(ms[0].Text, code) {
		t.Errorf("%s's reminder does not name the measure %s: %+v", orgL, code, ms)
	}
	if want := map[string]bool{focal(orgL): true, focal(orgM): true}; !mapsEqual(reminded, want) {
		t.Fatalf("reminded %v, want only the focal points of %s and %s", reminded, orgL, orgM)
	}
	// The seeded focal points are reminded too: each of an organization that owes reports.
	var outbox struct {
		Items []struct {
			Kind, Email, State string
			UserID             string `json:"user_id"`
		}
	}
	api.json(admin, "GET", "/v1/notifications?limit=100", nil, 200, &outbox)
	type membership struct{ Role, Organization string }
	for _, n := range outbox.Items {
		if n.State != "sent" {
			t.Errorf("not sent: %+v", n)
		}
		if n.Kind != "reminder" {
			continue
		}
		var roles struct{ Items []membership }
		api.json(admin, "GET", "/v1/users/"+n.UserID+"/memberships", nil, 200, &roles)
		if !slices.ContainsFunc(roles.Items, func(m membership) bool {
			return m.Role == "focal_point" && m.Organization != orgS &&
				slices.ContainsFunc(round.Organizations, func(o roundOrganization) bool { return o.Organization == m.Organization })
		}) {
			t.Errorf("%s was reminded, a focal point of no organization with reports missing: %+v", n.Email, roles.Items)
		}
	}
	if ds := digests(coordinator); len(ds) != 1 || !strings.Contains(ds[0].Text, period.Label) || !strings.Contains(ds[0].Text, " 0 approved") {
		t.Fatalf("the coordinator's digest: %+v", ds)
	}

	// L's focal point edits its row of the export, in Russian, and imports it back.
	_, exported := api.call(focal(orgL), "GET", "/v1/plans/"+planID+"/export?format=csv&lang=ru", "", nil, 200)
	rows, err := csv.NewReader(bytes.NewReader(exported)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	edited := slices.IndexFunc(rows, func(r []string) bool { return r[0] == code })
	rows[edited][10] = "in_progress"                          // status
	rows[edited][16] = "Законопроект внесён в Правительство." // latest_narrative
	var file bytes.Buffer
	w := csv.NewWriter(&file)
	_ = w.WriteAll(rows)
	path := t.TempDir() + "/matrix.csv"
	writeFile(t, path, file.String())

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "matrix.csv")
	_, _ = part.Write(file.Bytes())
	_ = mw.Close()
	var dry struct {
		Committed bool
		Rows      []struct {
			Row          int
			Code, Action string
		}
	}
	_, b := api.call(focal(orgL), "POST", "/v1/periods/"+period.ID+"/imports", mw.FormDataContentType(), &body, 200)
	_ = json.Unmarshal(b, &dry)
	var changed []string
	for _, r := range dry.Rows {
		if r.Action != "unchanged" {
			changed = append(changed, r.Code+" "+r.Action)
		}
	}
	if dry.Committed || !slices.Equal(changed, []string{code + " create"}) || len(dry.Rows) != len(rows)-1 {
		t.Fatalf("dry run: committed %v, changes %v of %d rows", dry.Committed, changed, len(dry.Rows))
	}
	if report(orgL).State != "missing" {
		t.Fatal("the dry run wrote")
	}
	out := cli(t, "import", "--database-url", dsn, "--period", period.ID, "--as", focal(orgL), "--commit", path)
	if !strings.Contains(out, "1 to create, 0 to update") || !strings.Contains(out, "written in one transaction") {
		t.Fatalf("import --commit: %s", out)
	}
	lr := report(orgL)
	if lr.State != "draft" || lr.UpdateID == "" || !strings.Contains(out, lr.UpdateID) {
		t.Fatalf("after the import, %+v; the import said %s", lr, out)
	}
	var history struct {
		Items []struct {
			RequestID string `json:"request_id"`
		}
	}
	api.json(admin, "GET", "/v1/audit-events?entity_id="+lr.UpdateID, nil, 200, &history)
	if len(history.Items) == 0 || !strings.Contains(out, "request "+history.Items[0].RequestID+" ") {
		t.Errorf("the import's audit entries %+v, its output %s", history.Items, out)
	}

	// Submitted, the approver is told; signed off, the coordinators; approved, the author.
	api.json(focal(orgL), "POST", "/v1/updates/"+lr.UpdateID+"/submit", nil, 200, nil)
	notifyRun()
	if ms := mail.Search("to:" + approver); len(ms) != 1 || !strings.Contains(ms[0].Text, code) {
		t.Fatalf("the approver's notices: %+v", ms)
	}
	api.json(approver, "POST", "/v1/updates/"+lr.UpdateID+"/sign-off", nil, 200, nil)
	notifyRun()
	if ms := mail.Search("to:" + coordinator); len(ms) != 2 || !strings.Contains(ms[0].Text+ms[1].Text, code) {
		t.Fatalf("the coordinator's mail: %+v", ms)
	}
	api.json(coordinator, "POST", "/v1/updates/"+lr.UpdateID+"/approve", nil, 200, nil)
	notifyRun()
	if ms := mail.Search("to:" + focal(orgL)); len(ms) != 2 {
		t.Fatalf("the author's mail: %+v", ms)
	}
	if got := report(orgL); got.State != "approved" || got.Late {
		t.Fatalf("after the approval, %+v", got)
	}

	// A coordinator who turns the digest on gets this week's, which counts the approval; the
	// other, who had it, gets no second one this week.
	if ds := digests(quiet); len(ds) != 0 {
		t.Fatalf("a coordinator with reminders off got a digest: %+v", ds)
	}
	h := api.json(quiet, "GET", "/v1/me", nil, 200, nil)
	api.json(quiet, "PATCH", "/v1/me", map[string]any{"reminders": true}, 200, nil, "If-Match", h.Get("ETag"))
	notifyRun()
	ds := digests(quiet)
	if len(ds) != 1 || !strings.Contains(ds[0].Text, period.Label) || !strings.Contains(ds[0].Text, "утверждено 1") {
		t.Fatalf("the digest after the approval: %+v", ds)
	}
	if len(digests(coordinator)) != 1 {
		t.Error("a second digest in one week")
	}
}

// TestTwoServersNotifyOnce: two servers on one database, each running its pass every 100 ms,
// schedule and send a round's reminders and digests: every notification is kept once and
// arrives once.
func TestTwoServersNotifyOnce(t *testing.T) {
	api := newRoundAPI(t)
	dsn := api.dsn
	mail := mailtest.Start(t)
	api.addUser("coordinator@twice.example.org", "coordinator", "")
	api.addUser("admin@twice.example.org", "admin", "")
	// More focal points than a batch of sending, so that the servers contend for them.
	for i := range 30 {
		cli(t, "users", "add", "--database-url", dsn, "--email", fmt.Sprintf("focal%d@twice.example.org", i),
			"--name", fmt.Sprintf("Focal point %d", i), "--role", "focal_point", "--org", "MS")
	}
	servers := []*process{
		startProcess(t, pgtest.AppDSN(dsn), "--smtp-url", mail.URL(), "--notify-every", "100ms"),
		startProcess(t, pgtest.AppDSN(dsn), "--smtp-url", mail.URL(), "--notify-every", "100ms"),
	}
	api.url = servers[0].url

	// A round due in ten days: each focal point of an organization that owes reports is
	// reminded, and each coordinator gets the week's digest, by whichever server comes first.
	api.openRound("coordinator@twice.example.org")

	type outbox struct {
		Items []struct {
			Kind, Email, State string
		}
	}
	var sent outbox
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var pending outbox
		api.json("admin@twice.example.org", "GET", "/v1/notifications?state=pending&limit=1", nil, 200, &pending)
		api.json("admin@twice.example.org", "GET", "/v1/notifications?state=sent&limit=500", nil, 200, &sent)
		if len(pending.Items) == 0 && len(sent.Items) > 30 && len(mail.Messages()) >= len(sent.Items) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, %d pending, %d sent", len(pending.Items), len(sent.Items))
		}
	}
	kept := map[string]int{}
	for _, n := range sent.Items {
		kept[n.Kind+" "+n.Email]++
	}
	for k, n := range kept {
		if n != 1 {
			t.Errorf("%s kept %d times", k, n)
		}
	}
	// A notification's Message-ID is its own: the same id twice is the same notification sent
	// twice.
	messages := mail.Messages()
	ids := map[string]int{}
	for _, m := range messages {
		if ids[m.MessageID]++; ids[m.MessageID] == 2 {
			t.Errorf("%s (%s) arrived twice", m.MessageID, m.Subject)
		}
	}
	if len(messages) != len(sent.Items) {
		t.Errorf("%d notifications sent, %d messages arrived", len(sent.Items), len(messages))
	}
	if kept["reminder focal29@twice.example.org"] != 1 || kept["digest coordinator@twice.example.org"] != 1 {
		t.Errorf("kept %v", kept)
	}
}

// TestNotificationsWaitForAMailServer: a server without a mail server keeps the round's
// notifications in the outbox and says so once in its log, however many passes it runs;
// notify run with one sends them all.
func TestNotificationsWaitForAMailServer(t *testing.T) {
	api := newRoundAPI(t)
	srv := startProcess(t, pgtest.AppDSN(api.dsn), "--notify-every", "100ms")
	api.url = srv.url
	const coordinator, admin = "coordinator@unsent.example.org", "admin@unsent.example.org"
	api.addUser(coordinator, "coordinator", "")
	api.addUser(admin, "admin", "")
	api.openRound(coordinator)

	var pending struct{ Items []struct{ Kind string } }
	for deadline := time.Now().Add(30 * time.Second); len(pending.Items) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no notification was kept")
		}
		api.json(admin, "GET", "/v1/notifications?state=pending&limit=500", nil, 200, &pending)
	}
	if n := srv.logged("no mail server (--smtp-url): notifications are kept in the outbox, unsent"); n != 1 {
		t.Errorf("the server said %d times that it has no mail server", n)
	}
	mail := mailtest.Start(t)
	out := cli(t, "notify", "run", "--database-url", api.dsn, "--smtp-url", mail.URL())
	var sent struct{ Items []struct{ Kind string } }
	api.json(admin, "GET", "/v1/notifications?state=sent&limit=500", nil, 200, &sent)
	if len(sent.Items) < len(pending.Items) || len(mail.Messages()) != len(sent.Items) {
		t.Errorf("%d kept; notify run (%s) sent %d, %d arrived", len(pending.Items), strings.TrimSpace(out), len(sent.Items), len(mail.Messages()))
	}
}
