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

// TestScopeKey: scopes that read the same have one key, whatever the order of their lists;
// scopes that read differently have different keys.
func TestScopeKey(t *testing.T) {
	a := Scope{Published: []Visibility{VisibilityPublic, VisibilityPartners}, Organizations: []string{"b", "a"}}
	b := Scope{Published: []Visibility{VisibilityPartners, VisibilityPublic}, Organizations: []string{"a", "b"}}
	if a.Key() != b.Key() {
		t.Errorf("%q and %q read the same", a.Key(), b.Key())
	}
	for _, other := range []Scope{
		{Published: []Visibility{VisibilityPublic}, Organizations: []string{"a", "b"}},
		{Published: b.Published, Organizations: []string{"a"}},
		{Published: b.Published, Organizations: b.Organizations, DraftPlans: true},
		{Published: b.Published, AllOrganizations: true},
	} {
		if other.Key() == a.Key() {
			t.Errorf("%+v and %+v share the key %q", other, a, a.Key())
		}
	}
	if x, y := (Scope{AllOrganizations: true, Organizations: []string{"a"}}), (Scope{AllOrganizations: true}); x.Key() != y.Key() {
		t.Errorf("every organization's scope reads the same with or without a list: %q, %q", x.Key(), y.Key())
	}
}
