package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestRenderedMeasuresMatchTheirObjects: a measure read, alone or in a list, is rendered by
// the database; a measure written is the object the service returns, encoded in Go. Both are
// the same JSON, whatever the measure holds: no optional field, every one, unicode and
// characters JSON escapes, empty lists and full ones, derived progress.
func TestRenderedMeasuresMatchTheirObjects(t *testing.T) {
	p := newProgressFixture(t)
	p.approvedAs("partially_implemented", 60, "Training held.", "public", "Training record")
	var recs page[struct{ ID string }]
	p.getJSON("/v1/recommendations?limit=2", &recs)
	if len(recs.Items) != 2 {
		t.Fatalf("%d recommendations", len(recs.Items))
	}
	odd := "Чора\u00a0🌱 \"quoted\" \\ <b>&amp;</b> \u2028 tab\t line\nend"
	written := map[string][]byte{}
	written["bare"] = p.expectStatus(p.coordinator, 201, "POST", "/v1/plans/"+p.planID+"/measures", map[string]any{
		"code": "9.1", "title": map[string]string{"tg": odd}, "lead": "MS"})
	written["full"] = p.expectStatus(p.coordinator, 201, "POST", "/v1/plans/"+p.planID+"/measures", map[string]any{
		"code": "9.2", "title": map[string]string{"tg": "Тоҷикӣ", "ru": "Русский", "en": "English"},
		"description": map[string]string{"ru": odd}, "expected_result": map[string]string{"en": "Result"},
		"deadline_text": map[string]string{"tg": "2014–2015"}, "due_start": "2014-01-01", "due_end": "2015-12-31",
		"lead": "MS", "co_implementers": []string{"MFA", "MIA"}, "partners": []string{"IOM"},
		"recommendations": []string{recs.Items[0].ID, recs.Items[1].ID}, "articles": []int{65, 23},
		"provenance": "illustrative", "provenance_note": odd})
	// The seeded measure with an approved update, as the service returns it after a change.
	res, _ := p.get("/v1/measures/"+p.measureID, p.coordinator.auth()...)
	written["progress"] = p.expectStatus(p.coordinator, 200, "PATCH", "/v1/measures/"+p.measureID,
		map[string]any{"provenance_note": "checked"}, "If-Match", res.Header.Get("ETag"))

	for name, w := range written {
		want := decodeMeasure(t, w)
		id, code := want["id"].(string), want["code"].(string)
		res, got := p.get("/v1/measures/"+id, p.coordinator.auth()...)
		if res.StatusCode != 200 {
			t.Fatalf("%s: GET %d %s", name, res.StatusCode, got)
		}
		if g := decodeMeasure(t, got); !reflect.DeepEqual(g, want) {
			t.Errorf("%s: read\n%s\nwritten\n%s", name, got, w)
		}
		var list struct{ Items []json.RawMessage }
		p.getJSON("/v1/plans/"+p.planID+"/measures?code="+code, &list)
		if len(list.Items) != 1 {
			t.Fatalf("%s: %d listed", name, len(list.Items))
		}
		if g := decodeMeasure(t, list.Items[0]); !reflect.DeepEqual(g, want) {
			t.Errorf("%s: listed\n%s\nwritten\n%s", name, list.Items[0], w)
		}
	}
	if m := decodeMeasure(t, written["progress"]); m["progress_percent"] != 60.0 {
		t.Errorf("progress_percent %v, want 60", m["progress_percent"])
	}

	// Times are written as Go writes them: the fraction without its trailing zeros.
	for _, at := range []string{"2026-01-02T03:04:05Z", "2026-01-02T03:04:05.1Z", "2026-01-02T03:04:05.000001Z", "2026-01-02T03:04:05.12345Z"} {
		if err := p.db.Gorm().Exec(`UPDATE measures SET created_at = ? WHERE id = ?`, at, p.measureID).Error; err != nil {
			t.Fatal(err)
		}
		var m struct {
			CreatedAt string `json:"created_at"`
		}
		p.getJSON("/v1/measures/"+p.measureID, &m)
		if m.CreatedAt != at {
			t.Errorf("created_at %s, want %s", m.CreatedAt, at)
		}
	}
}

// decodeMeasure reads a measure, its times as instants: Go writes a time in the zone it was
// read in, the database in UTC.
func decodeMeasure(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		at, err := time.Parse(time.RFC3339Nano, m[k].(string))
		if err != nil {
			t.Fatal(err)
		}
		m[k] = at.UTC()
	}
	return m
}

// TestRenderedChangesMatchTheFeed: a page of the change feed, rendered by the database, is
// the page the service reads (and streams send), for every audience, from the start, the
// middle and the end of the feed, where nothing is left and the cursor stays put.
func TestRenderedChangesMatchTheFeed(t *testing.T) {
	p := newProgressFixture(t)
	p.approved("Training held.", "public", "Training record")
	p.draft(p.author) // a change only its organization and the coordinator see
	type change struct {
		ID         int64     `json:"id"`
		At         time.Time `json:"at"`
		EntityType string    `json:"entity_type"`
		EntityID   string    `json:"entity_id"`
		Op         string    `json:"op"`
	}
	type list struct {
		Items      []change `json:"items"`
		NextCursor int64    `json:"next_cursor"`
		More       bool     `json:"more"`
	}
	for _, c := range []caller{p.anonymous, p.partner, p.author, p.stranger, p.coordinator} {
		ctx := context.Background()
		if c.token != "" {
			ctx = p.as(c)
		}
		var all list
		p.getJSON("/v1/changes?limit=500", &all) // anonymous: only the start matters here
		last := all.Items[len(all.Items)-1].ID
		for _, at := range []struct {
			after int64
			limit int
		}{{0, 1}, {0, 7}, {0, 500}, {all.Items[2].ID, 3}, {last, 5}} {
			// The two reads agree once they see the feed up to the same point: a transaction of
			// another database ending as one of them works out its horizon can hold a change
			// back for that read alone, so they are read again, for a while, until they do.
			for deadline := time.Now().Add(10 * time.Second); ; {
				page, err := p.svc.ListChanges(ctx, at.after, at.limit)
				if err != nil {
					t.Fatal(err)
				}
				want := list{Items: []change{}, NextCursor: page.Next, More: page.More}
				for _, it := range page.Items {
					want.Items = append(want.Items, change(it))
				}
				res, body := p.get(fmt.Sprintf("/v1/changes?after=%d&limit=%d", at.after, at.limit), c.auth()...)
				var got list
				if err := json.Unmarshal(body, &got); res.StatusCode != 200 || err != nil {
					t.Fatalf("%s after %d: %d %v %s", c.name, at.after, res.StatusCode, err, body)
				}
				if reflect.DeepEqual(normalized(got.Items), normalized(want.Items)) && got.NextCursor == want.NextCursor && got.More == want.More {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%s after %d limit %d: read\n%s\nwant %+v", c.name, at.after, at.limit, body, want)
					break
				}
			}
		}
	}
	// A cursor the feed never gave is refused, as the service refuses it.
	res, body := p.get("/v1/changes?after=999999999")
	p.mustProblem(res, body, 422)
}

// normalized writes times in UTC, as the database does; Go keeps the zone it read them in.
func normalized[T any](items []T) []T {
	for i := range items {
		v := reflect.ValueOf(&items[i]).Elem()
		for j := range v.NumField() {
			if at, ok := v.Field(j).Interface().(time.Time); ok {
				v.Field(j).Set(reflect.ValueOf(at.UTC()))
			}
		}
	}
	return items
}

// TestRenderedSummaryCountsTheList: a plan's summary, rendered by the database, counts the
// measures its caller lists, with the statuses and overdue flags the caller sees, for every
// audience, including one whose statuses are worked out as they are read.
func TestRenderedSummaryCountsTheList(t *testing.T) {
	p := newProgressFixture(t)
	p.approvedAs("implemented", 100, "Done.", "partners", "Record")
	p.draft(p.author)
	for _, c := range []caller{p.anonymous, p.partner, p.author, p.stranger, p.coordinator} {
		var measures struct {
			Items []struct {
				Lead            string
				Articles        []int
				Recommendations []map[string]any
				CurrentStatus   string `json:"current_status"`
				Overdue         bool
			}
		}
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/plans/"+p.planID+"/measures?limit=500", nil), &measures)
		tally := func() map[string]any {
			byStatus := map[string]any{}
			for _, st := range []string{"no_information", "not_started", "in_progress", "ongoing",
				"partially_implemented", "implemented", "not_implemented", "cancelled"} {
				byStatus[st] = 0.0
			}
			return map[string]any{"measures": 0.0, "overdue": 0.0, "by_status": byStatus}
		}
		count := func(t map[string]any, status string, overdue bool) {
			t["measures"] = t["measures"].(float64) + 1
			if overdue {
				t["overdue"] = t["overdue"].(float64) + 1
			}
			byStatus := t["by_status"].(map[string]any)
			byStatus[status] = byStatus[status].(float64) + 1
		}
		total := tally()
		groups := map[string]map[string]map[string]any{"by_lead": {}, "by_article": {}, "by_recommendation": {}}
		group := func(kind, key, field string, value any) map[string]any {
			g, ok := groups[kind][key]
			if !ok {
				g = tally()
				g[field] = value
				groups[kind][key] = g
			}
			return g
		}
		for _, m := range measures.Items {
			count(total, m.CurrentStatus, m.Overdue)
			count(group("by_lead", m.Lead, "organization", m.Lead), m.CurrentStatus, m.Overdue)
			for _, a := range m.Articles {
				count(group("by_article", fmt.Sprint(a), "article", float64(a)), m.CurrentStatus, m.Overdue)
			}
			for _, r := range m.Recommendations {
				count(group("by_recommendation", r["id"].(string), "recommendation", r), m.CurrentStatus, m.Overdue)
			}
		}

		var got map[string]any
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/plans/"+p.planID+"/summary", nil), &got)
		if got["plan_id"] != p.planID || got["as_of"] != today.Format(time.DateOnly) || !reflect.DeepEqual(got["total"], total) {
			t.Errorf("%s: plan %v as of %v, total %v; want %v", c.name, got["plan_id"], got["as_of"], got["total"], total)
		}
		for kind, want := range groups {
			listed, _ := got[kind].([]any)
			keys := make([]string, len(listed))
			for i, g := range listed {
				switch kind {
				case "by_lead":
					keys[i] = g.(map[string]any)["organization"].(string)
				case "by_article":
					keys[i] = fmt.Sprint(g.(map[string]any)["article"])
				default:
					keys[i] = g.(map[string]any)["recommendation"].(map[string]any)["id"].(string)
				}
				if !reflect.DeepEqual(g, want[keys[i]]) {
					t.Errorf("%s: %s %s: %v, want %v", c.name, kind, keys[i], g, want[keys[i]])
				}
			}
			if len(listed) != len(want) {
				t.Errorf("%s: %d %s, want %d", c.name, len(listed), kind, len(want))
			}
			if kind == "by_article" && !slices.IsSortedFunc(listed, func(a, b any) int {
				return int(a.(map[string]any)["article"].(float64) - b.(map[string]any)["article"].(float64))
			}) {
				t.Errorf("%s: articles out of order: %v", c.name, keys)
			}
		}
	}
}

// TestMeasureReadsFollowScopeAndDay: the statements that read a measure, and its version for
// If-None-Match, are built once for each scope and kept; reading again, as any scope and on
// any day, answers as that scope sees the measure that day. An update approved for the
// ministry alone sets the status its people and the coordinator read, not what a partner, the
// public or another ministry reads; a copy one scope holds is not current for another; the
// measure becomes overdue, and copies of it stale, when the day passes its due date.
func TestMeasureReadsFollowScopeAndDay(t *testing.T) {
	p := newProgressFixture(t)
	p.approvedAs("partially_implemented", 60, "Training held.", "internal", "Internal record")
	path := "/v1/measures/" + p.measureID
	type view struct {
		Status   string `json:"current_status"`
		Progress *int   `json:"progress_percent"`
		Overdue  bool   `json:"overdue"`
		etag     string
	}
	read := func(c caller, ifNoneMatch string) (int, view) {
		t.Helper()
		res, b := p.get(path, append(c.auth(), "If-None-Match", ifNoneMatch)...)
		v := view{etag: res.Header.Get("ETag")}
		if res.StatusCode == 200 {
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode, v
	}
	callers := []caller{p.viewer, p.partner, p.stranger, p.anonymous, p.coordinator}
	inside := map[string]bool{p.viewer.name: true, p.coordinator.name: true}
	held := map[string]string{}
	for _, c := range callers {
		status, v := read(c, "")
		if got := v.Status == "partially_implemented" && v.Progress != nil && *v.Progress == 60; status != 200 || got != inside[c.name] {
			t.Errorf("%s reads %d %s %v; reads the ministry's own approval: %v, want %v", c.name, status, v.Status, v.Progress, got, inside[c.name])
		}
		held[c.name] = v.etag
	}
	for _, c := range callers {
		if status, _ := read(c, held[c.name]); status != 304 {
			t.Errorf("%s, revalidating its copy: %d, want 304", c.name, status)
		}
		// The ministry's copy holds its own approval, which others do not read.
		if status, _ := read(c, held[p.viewer.name]); (status == 304) != inside[c.name] {
			t.Errorf("%s, revalidating the ministry's copy: %d; current for it: %v", c.name, status, inside[c.name])
		}
	}

	if err := p.db.Gorm().Exec(`UPDATE measures SET due_end = ? WHERE id = ?`, today.AddDate(0, 0, 1).Format("2006-01-02"), p.measureID).Error; err != nil {
		t.Fatal(err)
	}
	status, before := read(p.viewer, "")
	if status != 200 || before.Overdue {
		t.Errorf("before its due date: %d, overdue %v", status, before.Overdue)
	}
	p.clock.Set(today.AddDate(0, 0, 2))
	if status, after := read(p.viewer, before.etag); status != 200 || !after.Overdue {
		t.Errorf("the day after its due date, revalidating the copy of the day before: %d, overdue %v", status, after.Overdue)
	}
}
