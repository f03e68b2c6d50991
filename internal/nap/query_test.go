package nap

import "testing"

func TestTallyCountsEveryStatus(t *testing.T) {
	var tally Tally
	if len(tally.byStatus) != len(Statuses) {
		t.Fatalf("a tally has room for %d statuses; there are %d", len(tally.byStatus), len(Statuses))
	}
	for i, s := range Statuses {
		tally.Add(s, i%2 == 0, i+1)
	}
	for i, s := range Statuses {
		if tally.Of(s) != i+1 {
			t.Errorf("%s: %d, want %d", s, tally.Of(s), i+1)
		}
	}
	if tally.Measures != 36 || tally.Overdue != 1+3+5+7 {
		t.Errorf("measures %d, overdue %d", tally.Measures, tally.Overdue)
	}
}
