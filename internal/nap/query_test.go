package nap

import "testing"

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
