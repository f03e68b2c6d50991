package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/seed"
)

// naturalLess orders measure codes as people read them: 1.2 before 1.10.
func naturalLess(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		var x, y int
		fmt.Sscan(as[i], &x)
		fmt.Sscan(bs[i], &y)
		if x != y {
			return x - y
		}
	}
	return len(as) - len(bs)
}

// seededStatus is each measure's status as the seeded history leaves it: that of its latest
// approved update, no_information without one.
func seededStatus(ds seed.Dataset, m seed.Measure) nap.Status {
	status, period := nap.NoInformation, ""
	for _, h := range ds.History {
		if h.Measure == m.Code && h.Period > period {
			status, period = h.ProposedStatus, h.Period
		}
	}
	return status
}

// overdueOn is whether a seeded measure is overdue on a day.
func overdueOn(ds seed.Dataset, m seed.Measure, day time.Time) bool {
	return m.DueEnd != nil && m.DueEnd.Before(day) && !seededStatus(ds, m).Closed()
}

// codesWhere returns the codes of the seeded measures for which keep is true, in code order.
func codesWhere(ds seed.Dataset, keep func(seed.Measure) bool) []string {
	var codes []string
	for _, m := range ds.Plan.Measures {
		if keep(m) {
			codes = append(codes, m.Code)
		}
	}
	slices.SortFunc(codes, naturalLess)
	return codes
}

func containsFold(t map[string]string, word string) bool {
	for _, s := range t {
		if strings.Contains(strings.ToLower(s), word) {
			return true
		}
	}
	return false
}

func TestListMeasuresFilters(t *testing.T) {
	asOf := time.Date(2014, 12, 1, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, asOf)
	ds := f.ds
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	overdue := func(m seed.Measure) bool { return overdueOn(ds, m, asOf) }
	status := func(statuses ...nap.Status) func(seed.Measure) bool {
		return func(m seed.Measure) bool { return slices.Contains(statuses, seededStatus(ds, m)) }
	}
	var recID string
	var recs page[struct{ ID, Code string }]
	f.getJSON("/v1/recommendations?limit=500", &recs)
	for _, r := range recs.Items {
		if r.Code == "CO1-R29" {
			recID = r.ID
		}
	}
	if recID == "" {
		t.Fatal("CO1-R29 not listed")
	}
	// A Russian word taken from the title of a seeded measure.
	ruWord := strings.ToLower(strings.Fields(ds.Plan.Measures[len(ds.Plan.Measures)-2].Title["ru"])[1])

	cases := []struct {
		query string
		keep  func(seed.Measure) bool
	}{
		{"", func(seed.Measure) bool { return true }},
		{"code=3.11", func(m seed.Measure) bool { return m.Code == "3.11" }},
		{"lead=MS", func(m seed.Measure) bool { return m.Lead == "MS" }},
		{"organization=MFA", func(m seed.Measure) bool { return m.Lead == "MFA" || slices.Contains(m.CoImplementers, "MFA") }},
		{"organization=IOM", func(m seed.Measure) bool { return m.Lead == "IOM" || slices.Contains(m.CoImplementers, "IOM") }},
		{"status=no_information", status(nap.NoInformation)},
		{"status=implemented,cancelled", status(nap.Implemented, nap.Cancelled)},
		{"status=in_progress,ongoing,not_started", status(nap.InProgress, nap.Ongoing, nap.NotStarted)},
		{"article=68", func(m seed.Measure) bool { return slices.Contains(m.Articles, 68) }},
		{"recommendation=CO1-R29", func(m seed.Measure) bool { return slices.Contains(m.Recommendations, "CO1-R29") }},
		{"recommendation=" + recID, func(m seed.Measure) bool { return slices.Contains(m.Recommendations, "CO1-R29") }},
		{"overdue=true", overdue},
		{"overdue=false", func(m seed.Measure) bool { return !overdue(m) }},
		{"due_before=2014-12-31", func(m seed.Measure) bool { return m.DueEnd != nil && !m.DueEnd.After(day("2014-12-31")) }},
		{"due_after=2015-06-30", func(m seed.Measure) bool { return m.DueEnd != nil && !m.DueEnd.Before(day("2015-06-30")) }},
		{"due_after=2014-01-01&due_before=2014-12-31", func(m seed.Measure) bool {
			return m.DueEnd != nil && !m.DueEnd.Before(day("2014-01-01")) && !m.DueEnd.After(day("2014-12-31"))
		}},
		{"q=" + url.QueryEscape(ruWord), func(m seed.Measure) bool {
			return containsFold(m.Title, ruWord) || containsFold(m.Description, ruWord) || strings.Contains(m.Code, ruWord)
		}},
		{"q=" + url.QueryEscape("ТОРГОВЛЕ людьми"), func(m seed.Measure) bool {
			return (containsFold(m.Title, "торговле") || containsFold(m.Description, "торговле")) &&
				(containsFold(m.Title, "людьми") || containsFold(m.Description, "людьми"))
		}},
		{"q=Trafficking", func(m seed.Measure) bool {
			return containsFold(m.Title, "trafficking") || containsFold(m.Description, "trafficking")
		}},
		{"q=" + url.QueryEscape("%"), func(seed.Measure) bool { return false }},
		{"q=_", func(seed.Measure) bool { return false }},
		{"lead=MS&article=33", func(m seed.Measure) bool { return m.Lead == "MS" && slices.Contains(m.Articles, 33) }},
		{"lead=NOBODY", func(seed.Measure) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			want := codesWhere(ds, c.keep)
			got := f.walk(fmt.Sprintf("/v1/plans/%s/measures?limit=4&%s", f.planID, c.query), nil)
			if !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
	if n := len(codesWhere(ds, overdue)); n == 0 || n == len(ds.Plan.Measures) {
		t.Fatalf("%d of %d measures overdue on %s: the overdue cases cannot tell right from wrong", n, len(ds.Plan.Measures), asOf)
	}
	if len(codesWhere(ds, func(m seed.Measure) bool { return containsFold(m.Title, ruWord) })) == 0 {
		t.Fatalf("the search word %q is in no title", ruWord)
	}
}

func TestListMeasuresShape(t *testing.T) {
	f := newFixture(t, today)
	var p page[map[string]any]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code=5.4", &p)
	if len(p.Items) != 1 || p.NextCursor != "" {
		t.Fatalf("code=5.4: %+v", p)
	}
	m := p.Items[0]
	var want seed.Measure
	for _, sm := range f.ds.Plan.Measures {
		if sm.Code == "5.4" {
			want = sm
		}
	}
	if m["lead"] != want.Lead || m["current_status"] != string(seededStatus(f.ds, want)) || m["overdue"] != overdueOn(f.ds, want, today) {
		t.Errorf("measure 5.4: lead %v status %v overdue %v", m["lead"], m["current_status"], m["overdue"])
	}
	if _, ok := m["progress_percent"]; ok != (want.Code == "5.4") { // its history reports 100 %
		t.Errorf("progress_percent present: %v", ok)
	}
	if m["provenance"] != string(want.Provenance) {
		t.Errorf("provenance %v, want %v", m["provenance"], want.Provenance)
	}
	if title := m["title"].(map[string]any); title["ru"] != want.Title["ru"] || title["en"] != want.Title["en"] {
		t.Errorf("title %v", title)
	}
	if got := len(m["recommendations"].([]any)); got != len(want.Recommendations) {
		t.Errorf("%d recommendations, want %d", got, len(want.Recommendations))
	}
	for _, key := range []string{"co_implementers", "partners", "articles"} {
		if _, ok := m[key].([]any); !ok {
			t.Errorf("%s is %T, want a list", key, m[key])
		}
	}
}

func TestCursorWalk(t *testing.T) {
	f := newFixture(t, today)
	all := codesWhere(f.ds, func(seed.Measure) bool { return true })
	if i, j := slices.Index(all, "1.2"), slices.Index(all, "1.10"); i < 0 || j < 0 || i > j {
		t.Fatalf("natural order broken in expectations: %v", all)
	}

	// The walk the issue names: every MS-led measure, five at a time.
	ms := codesWhere(f.ds, func(m seed.Measure) bool { return m.Lead == "MS" })
	if got := f.walk("/v1/plans/"+f.planID+"/measures?lead=MS&limit=5", nil); !slices.Equal(got, ms) {
		t.Fatalf("lead=MS walk: got %v, want %v", got, ms)
	}

	// Measures added while a walk goes on, before and after the cursor, never make it repeat
	// or skip a measure that existed when it began.
	added := 0
	insert := func() {
		added++
		for _, code := range []string{fmt.Sprintf("0.%d", added), fmt.Sprintf("9.%d", added), fmt.Sprintf("3.%d", 50+added)} {
			err := f.db.Gorm().Exec(`INSERT INTO measures (id, plan_id, code, title, lead_id, provenance)
				SELECT ?, ?, ?, '{"en": "added during the walk"}', id, 'illustrative' FROM organizations WHERE code = 'MS'`,
				uuid.Must(uuid.NewV7()).String(), f.planID, code).Error
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	got := f.walk("/v1/plans/"+f.planID+"/measures?limit=7", insert)
	seen := map[string]int{}
	for _, c := range got {
		seen[c]++
	}
	for c, n := range seen {
		if n > 1 {
			t.Errorf("%s served %d times", c, n)
		}
	}
	for _, c := range all {
		if seen[c] != 1 {
			t.Errorf("%s served %d times, want once", c, seen[c])
		}
	}
	if !slices.IsSortedFunc(got, naturalLess) {
		t.Errorf("walk not in code order: %v", got)
	}
}

func TestGetMeasureETag(t *testing.T) {
	f := newFixture(t, today)
	var p page[struct{ ID, Code string }]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code=3.11", &p)
	path := "/v1/measures/" + p.Items[0].ID

	res, body := f.get(path)
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || etag == "" {
		t.Fatalf("GET: %d ETag %q", res.StatusCode, etag)
	}
	var m struct{ Code string }
	if err := json.Unmarshal(body, &m); err != nil || m.Code != "3.11" {
		t.Fatalf("GET body: %v %s", err, body)
	}

	for _, inm := range []string{etag, "W/" + etag, `"x", ` + etag, "*"} {
		res, body = f.get(path, "If-None-Match", inm)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 || res.Header.Get("ETag") != etag {
			t.Fatalf("If-None-Match %s: %d %q ETag %q", inm, res.StatusCode, body, res.Header.Get("ETag"))
		}
	}
	if res, _ = f.get(path, "If-None-Match", `"0.0"`); res.StatusCode != http.StatusOK {
		t.Fatalf("stale If-None-Match: %d", res.StatusCode)
	}

	// A change to the measure changes its ETag, and the old one no longer gets a 304.
	if err := f.db.Gorm().Exec(`UPDATE measures SET version = version + 1 WHERE id = ?`, p.Items[0].ID).Error; err != nil {
		t.Fatal(err)
	}
	res, _ = f.get(path, "If-None-Match", etag)
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == etag {
		t.Fatalf("after a change: %d ETag %q (was %q)", res.StatusCode, res.Header.Get("ETag"), etag)
	}
}

func TestMeasureIndicators(t *testing.T) {
	f := newFixture(t, today)
	var p page[struct{ ID, Code string }]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code=5.4", &p)
	var want []string
	for _, m := range f.ds.Plan.Measures {
		if m.Code == "5.4" {
			for _, in := range m.Indicators {
				want = append(want, in.Code)
			}
		}
	}
	got := f.walk("/v1/measures/"+p.Items[0].ID+"/indicators?limit=1", nil)
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Fatalf("indicators %v, want %v", got, want)
	}
	f.getProblem("/v1/measures/"+uuid.NewString()+"/indicators", http.StatusNotFound)
}

// TestOverdueAndStatus sets measures to the cases the seed lacks (closed statuses, no end
// date, due today) and checks the filters and the summary judge them alike.
func TestOverdueAndStatus(t *testing.T) {
	f := newFixture(t, today)
	set := func(code, sql string, args ...any) {
		t.Helper()
		err := f.db.Gorm().Exec(`UPDATE measures SET `+sql+` WHERE plan_id = ? AND code = ?`, append(args, f.planID, code)...).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	set("1.1", "status_public = 'implemented'")
	set("1.2", "status_public = 'cancelled'")
	set("1.3", "status_public = 'in_progress', progress_public = 40")
	set("1.4", "due_start = NULL, due_end = NULL")
	set("1.5", "due_start = ?, due_end = ?", today.AddDate(0, -1, 0), today)
	set("1.6", "status_public = 'partially_implemented', due_end = ?", today.AddDate(0, 0, 1))

	codes := func(query string) []string {
		return f.walk("/v1/plans/"+f.planID+"/measures?limit=100&"+query, nil)
	}
	// What the test set, over what the seeded history left.
	statusOf := func(m seed.Measure) nap.Status {
		switch m.Code {
		case "1.1":
			return nap.Implemented
		case "1.2":
			return nap.Cancelled
		case "1.3":
			return nap.InProgress
		case "1.6":
			return nap.PartiallyImplemented
		}
		return seededStatus(f.ds, m)
	}
	isOverdue := func(m seed.Measure) bool {
		switch m.Code {
		case "1.4", "1.5", "1.6": // no end date, due today, due tomorrow
			return false
		}
		return m.DueEnd != nil && m.DueEnd.Before(today) && !statusOf(m).Closed()
	}
	all := codesWhere(f.ds, func(seed.Measure) bool { return true })
	overdue := codesWhere(f.ds, isOverdue)
	notOverdue := codesWhere(f.ds, func(m seed.Measure) bool { return !isOverdue(m) })
	if got := codes("overdue=false"); !slices.Equal(got, notOverdue) {
		t.Errorf("overdue=false: %v, want %v", got, notOverdue)
	}
	if got := codes("overdue=true"); !slices.Equal(got, overdue) {
		t.Errorf("overdue=true: %v, want %v", got, overdue)
	}
	want := codesWhere(f.ds, func(m seed.Measure) bool { return statusOf(m) == nap.Implemented || statusOf(m) == nap.InProgress })
	if got := codes("status=implemented,in_progress"); !slices.Equal(got, want) {
		t.Errorf("status=implemented,in_progress: %v, want %v", got, want)
	}
	if got := codes("status=partially_implemented&overdue=false"); !slices.Contains(got, "1.6") || slices.Contains(got, "1.1") {
		t.Errorf("status and overdue: %v", got)
	}
	if got := codes("due_after=" + today.Format(time.DateOnly)); !slices.Equal(got, []string{"1.5", "1.6"}) {
		t.Errorf("due_after today: %v", got)
	}

	var m struct {
		CurrentStatus   string `json:"current_status"`
		ProgressPercent *int   `json:"progress_percent"`
		Overdue         bool
	}
	var p page[struct{ ID string }]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code=1.3", &p)
	f.getJSON("/v1/measures/"+p.Items[0].ID, &m)
	if m.CurrentStatus != "in_progress" || m.ProgressPercent == nil || *m.ProgressPercent != 40 || !m.Overdue {
		t.Errorf("measure 1.3: %+v", m)
	}

	var s struct {
		Total struct {
			Measures, Overdue int
			ByStatus          map[string]int `json:"by_status"`
		}
	}
	f.getJSON("/v1/plans/"+f.planID+"/summary", &s)
	byStatus := map[string]int{}
	for _, m := range f.ds.Plan.Measures {
		byStatus[string(statusOf(m))]++
	}
	if s.Total.Measures != len(all) || s.Total.Overdue != len(overdue) {
		t.Errorf("summary: %+v, want %d overdue", s.Total, len(overdue))
	}
	for st, n := range byStatus {
		if s.Total.ByStatus[st] != n {
			t.Errorf("summary: %d %s, want %d", s.Total.ByStatus[st], st, n)
		}
	}
}
