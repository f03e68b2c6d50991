package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/export"
	"github.com/xuri/excelize/v2"
)

type completeness struct {
	Period struct {
		ID, Label          string
		SubmissionDeadline string `json:"submission_deadline"`
		Version            int
	}
	Total struct {
		Expected, Approved int
		Missing, Draft     *int
		Late               *int
	}
	Organizations []struct {
		Organization string
		Detailed     bool
		Expected     int
		Approved     int
		Missing      *int
		Draft        *int
		Late         *int
	}
	Items []expectedReport
}

type expectedReport struct {
	Organization, Measure, State string
	UpdateID                     string `json:"update_id"`
	Late                         bool
}

// newPeriod adds a period of the fixture's plan as the coordinator and returns its id.
func (p *progressFixture) newPeriod(t testing.TB, label, starts, ends string) string {
	t.Helper()
	var period struct{ ID string }
	_ = json.Unmarshal(p.expectStatus(p.coordinator, http.StatusCreated, "POST", "/v1/plans/"+p.planID+"/periods",
		map[string]any{"label": label, "starts_on": starts, "ends_on": ends}), &period)
	return period.ID
}

func (p *progressFixture) completeness(t *testing.T, c caller, periodID, query string) completeness {
	t.Helper()
	var out completeness
	if err := json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/periods/"+periodID+"/completeness"+query, nil), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompleteness: who has reported for a period, as each caller may see it.
func TestCompleteness(t *testing.T) {
	p := newProgressFixture(t)
	lead := p.ds.Plan.Measures[0].Lead
	code := p.ds.Plan.Measures[0].Code
	// A period that ended before the fixture's day, its deadline a month later: past.
	period := p.newPeriod(t, "2026-H1", "2026-01-01", "2026-06-30")

	all := p.completeness(t, p.coordinator, period, "")
	if all.Period.SubmissionDeadline != "2026-07-30" || all.Total.Expected == 0 || len(all.Items) != all.Total.Expected ||
		all.Total.Missing == nil || *all.Total.Missing != all.Total.Expected || *all.Total.Late != all.Total.Expected {
		t.Fatalf("the coordinator's view of an unreported period: %+v", all.Total)
	}
	for _, o := range all.Organizations {
		if !o.Detailed {
			t.Errorf("the coordinator sees %s's reports only in part", o.Organization)
		}
	}

	// The lead drafts its report on the measure: its roles see it, others do not.
	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": period,
		"proposed_status": "in_progress", "visibility": "public"}, p.author.auth()...)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("draft: %d %s", res.StatusCode, b)
	}
	own := p.completeness(t, p.viewer, period, "?state=draft")
	if len(own.Items) != 1 || own.Items[0].Organization != lead || own.Items[0].Measure != code || own.Items[0].UpdateID == "" {
		t.Errorf("the lead's viewer, drafts: %+v", own.Items)
	}
	for _, o := range own.Organizations {
		if o.Detailed != (o.Organization == lead) || !o.Detailed && (o.Missing != nil || o.Draft != nil) {
			t.Errorf("the lead's viewer sees %s: %+v", o.Organization, o)
		}
	}
	if own.Total.Missing != nil {
		t.Error("the lead's viewer sees every organization's missing reports in the total")
	}
	for _, c := range []caller{p.partner, p.anonymous, p.stranger} {
		seen := p.completeness(t, c, period, "")
		if slices.ContainsFunc(seen.Items, func(it expectedReport) bool { return it.Organization == lead }) {
			t.Errorf("%s sees the lead's reports in full", c.name)
		}
	}

	// Submitted, signed off and approved: counted as approved for everyone it is published to.
	var u struct{ ID string }
	_ = json.Unmarshal(b, &u)
	for _, step := range []struct {
		who  caller
		verb string
	}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		p.expectStatus(step.who, 200, "POST", "/v1/updates/"+u.ID+"/"+step.verb, nil)
	}
	public := p.completeness(t, p.anonymous, period, "?organization="+lead)
	if len(public.Organizations) != 1 || public.Organizations[0].Approved != 1 || public.Organizations[0].Detailed || len(public.Items) != 0 {
		t.Errorf("the public's view after the approval: %+v", public)
	}
	done := p.completeness(t, p.coordinator, period, "?organization="+lead+"&state=approved")
	if len(done.Items) != 1 || !done.Items[0].Late {
		t.Errorf("the coordinator's view of the approved report, submitted after the deadline: %+v", done.Items)
	}
	exportedCompleteness(t, p, period, all.Total.Expected, lead, code)

	p.expectStatus(p.coordinator, http.StatusUnprocessableEntity, "GET", "/v1/periods/"+period+"/completeness?state=lost", nil)
	p.expectStatus(p.coordinator, http.StatusNotFound, "GET", "/v1/periods/"+p.planID+"/completeness", nil)
}

// exportedCompleteness checks the round's completeness as files, after the lead's report on
// code was approved: the coordinator's reports as CSV in Russian, a row per expected report;
// the public's organizations as a workbook, only approved counts, with a sheet about it.
func exportedCompleteness(t *testing.T, p *progressFixture, period string, expected int, lead, code string) {
	t.Helper()
	fetch := func(c caller, query, mediaType string) []byte {
		t.Helper()
		res, b := p.get("/v1/periods/"+period+"/completeness/export?"+query, c.auth()...)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), mediaType) ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename=") {
			t.Fatalf("completeness export %s as %s: %d %s %.300s", query, c.name, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		return b
	}
	rows := parseCSV(t, fetch(p.coordinator, "view=reports&lang=ru", "text/csv"))
	if rows[0][0] != "Код органа" || rows[0][5] != "Состояние" || len(rows) != expected+1 {
		t.Fatalf("the coordinator's reports: heading %v, %d rows for %d expected reports", rows[0], len(rows)-1, expected)
	}
	approved := 0
	for _, r := range rows[1:] {
		if r[5] == "approved" {
			approved++
			if r[0] != lead || r[3] != code || r[6] != "true" || r[8] == "" {
				t.Errorf("the approved report's row %v", r)
			}
		} else if r[5] != "missing" {
			t.Errorf("a report %s in the CSV: %v", r[5], r)
		}
	}
	if approved != 1 {
		t.Errorf("%d approved reports in the CSV, want 1", approved)
	}

	b := fetch(p.anonymous, "format=xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Organizations", export.AboutSheet}) {
		t.Fatalf("sheets %v", got)
	}
	orgs, _ := f.GetRows("Organizations")
	if !slices.Equal(orgs[0], export.OrganizationColumns) {
		t.Fatalf("heading %v", orgs[0])
	}
	for _, r := range orgs[1:] {
		// Only approved reports are the public's to count: the other counts are left empty.
		want := "0"
		if r[0] == lead {
			want = "1"
		}
		if r[2] != "false" || r[4] != want || len(r) > 5 && strings.Join(r[5:], "") != "" {
			t.Errorf("the public's row %v", r)
		}
	}
	about := map[string]string{}
	info, _ := f.GetRows(export.AboutSheet)
	for _, r := range info {
		about[r[0]] = r[1]
	}
	if about["period_id"] != period || about["view"] != "organizations" || about["rows"] != strconv.Itoa(len(orgs)-1) || len(about["data_sha256"]) != 64 {
		t.Errorf("about sheet %v", about)
	}
}
