package postgres

import (
	"strconv"
	"testing"
	"time"
)

// TestSummariesKeepOnePerPlan: a plan's new summary replaces its old one, a changed plan is
// never answered from the old, and the number of plans remembered is bounded.
func TestSummariesKeepOnePerPlan(t *testing.T) {
	var c summaries
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	k := summaryKey{plan: planKey{id: "p1", audience: "m.status_public"}, today: day, measures: 36, versions: 40}
	c.put(k, []byte(`{"plan_id":"p1"}`))
	if s, ok := c.get(k); !ok || string(s) != `{"plan_id":"p1"}` {
		t.Fatal("not remembered")
	}
	changed := k
	changed.versions++
	if _, ok := c.get(changed); ok {
		t.Fatal("a changed plan answered from its old summary")
	}
	nextDay := k
	nextDay.today = day.AddDate(0, 0, 1)
	if _, ok := c.get(nextDay); ok {
		t.Fatal("the next day answered from the day before's summary")
	}
	c.put(changed, []byte(`{"plan_id":"p1"}`))
	if _, ok := c.get(k); ok || len(c.m) != 1 {
		t.Fatalf("the old summary kept beside the new: %d", len(c.m))
	}
	for i := range maxSummaries + 1 {
		c.put(summaryKey{plan: planKey{id: strconv.Itoa(i)}, today: day}, []byte(`{}`))
	}
	if len(c.m) > maxSummaries {
		t.Fatalf("%d summaries remembered, at most %d", len(c.m), maxSummaries)
	}
}
