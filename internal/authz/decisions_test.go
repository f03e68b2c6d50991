package authz

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/policies"
)

// TestTableAgreesWithCasbin asks casbin's Enforce, on policies/model.conf and policy.csv, and
// the decision table compiled from the same enforcer every question there is: each role held
// in an organization, in "*" or in a user domain, for each permission, in each kind of domain.
func TestTableAgreesWithCasbin(t *testing.T) {
	m, err := model.NewModelFromString(policies.Model)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkModel(m); err != nil {
		t.Fatal(err)
	}
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		t.Fatal(err)
	}
	grants, err := Policy()
	if err != nil {
		t.Fatal(err)
	}
	roles := []string{selfRole, anonymousRole, "no_such_role"}
	for _, r := range nap.Roles {
		roles = append(roles, string(r))
	}
	perms := append(append(slices.Clone(nap.Permissions), nap.ReadRights...), nap.Permission{Object: "plan", Action: "no_such_action"})
	for role, ps := range grants {
		if !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
		for _, p := range ps {
			if _, err := ce.AddPolicy(role, p.Object, p.Action); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
	}

	const orgA, orgB = "org:a", "org:b"
	var users []string
	link := func(user, role, domain string) {
		if _, err := ce.AddGroupingPolicy(nap.Subject(user), role, domain); err != nil {
			t.Fatal(err)
		}
	}
	for _, role := range roles {
		for _, where := range []string{"org", "all", "own", "other"} {
			u := role + "-in-" + where
			users = append(users, u)
			switch where {
			case "org":
				link(u, role, orgA)
			case "all":
				link(u, role, nap.DomainAll)
			case "own":
				link(u, role, nap.UserDomain(u))
			case "other":
				link(u, role, nap.UserDomain("someone"))
			}
		}
	}
	// Two roles in one organization, one role in each of two, and a role in "*" besides.
	link("two-roles", string(nap.RoleFocalPoint), orgA)
	link("two-roles", string(nap.RoleApprover), orgA)
	link("two-orgs", string(nap.RoleFocalPoint), orgA)
	link("two-orgs", string(nap.RoleApprover), orgB)
	link("org-and-all", string(nap.RoleApprover), orgA)
	link("org-and-all", string(nap.RoleCoordinator), nap.DomainAll)
	users = append(users, "two-roles", "two-orgs", "org-and-all", "someone", "unknown")

	policy, err := ce.GetPolicy()
	if err != nil {
		t.Fatal(err)
	}
	links, err := ce.GetGroupingPolicy()
	if err != nil {
		t.Fatal(err)
	}
	table, err := compile(policy, links)
	if err != nil {
		t.Fatal(err)
	}
	asked, allowed := 0, 0
	for _, u := range users {
		for _, domain := range []string{nap.DomainAll, orgA, orgB, nap.UserDomain(u), nap.UserDomain("someone"), "org:"} {
			for _, p := range perms {
				want, err := ce.Enforce(nap.Subject(u), domain, p.Object, p.Action)
				if err != nil {
					t.Fatal(err)
				}
				if got := table.can(u, domain, p); got != want {
					t.Errorf("%s in %s, %s: table says %v, casbin says %v", u, domain, p, got, want)
				}
				asked++
				if want {
					allowed++
				}
			}
		}
	}
	if allowed == 0 || allowed == asked {
		t.Fatalf("casbin allowed %d of %d requests; the comparison proves nothing", allowed, asked)
	}
	t.Logf("%d requests, %d allowed by both", asked, allowed)

	// Whom a review step tells: the users the table knows whom casbin allows, in order.
	for _, domain := range []string{nap.DomainAll, orgA, orgB, nap.UserDomain("two-roles"), nap.UserDomain("someone")} {
		for _, p := range perms {
			var want []string
			for u := range table.users {
				if ok, err := ce.Enforce(nap.Subject(u), domain, p.Object, p.Action); err != nil {
					t.Fatal(err)
				} else if ok {
					want = append(want, u)
				}
			}
			slices.Sort(want)
			if got := table.holders(domain, p); !slices.Equal(got, want) {
				t.Errorf("holders of %s in %s: table says %v, casbin says %v", p, domain, got, want)
			}
		}
	}

	// What a user reads is casbin's answer too: updates in every state in each domain where
	// it grants nap.ReadUpdates, the other read rights where it grants them in any domain
	// the user holds a role in.
	for _, u := range users {
		domains := []string{nap.DomainAll, orgA, orgB}
		enforce := func(domain string, p nap.Permission) bool {
			ok, err := ce.Enforce(nap.Subject(u), domain, p.Object, p.Action)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		anywhere := func(p nap.Permission) bool {
			return slices.ContainsFunc(domains, func(d string) bool { return enforce(d, p) })
		}
		want := nap.Scope{AllOrganizations: enforce(nap.DomainAll, nap.ReadUpdates), DraftPlans: anywhere(nap.ReadDraftPlans)}
		if anywhere(nap.ReadPublishedPartner) {
			want.Published = append(want.Published, nap.VisibilityPartners)
		}
		if anywhere(nap.ReadPublishedPublic) {
			want.Published = append(want.Published, nap.VisibilityPublic)
		}
		if !want.AllOrganizations {
			for _, d := range []string{orgA, orgB} {
				if enforce(d, nap.ReadUpdates) {
					want.Organizations = append(want.Organizations, strings.TrimPrefix(d, "org:"))
				}
			}
		}
		if got := table.scope(u); !reflect.DeepEqual(got, want) {
			t.Errorf("%s reads %+v by the table, %+v by casbin", u, got, want)
		}
	}
}

func TestCompileRefusesWhatTheTableCannotMean(t *testing.T) {
	policy := [][]string{{"coordinator", "plan", "create"}}
	cases := map[string]struct{ policy, links [][]string }{
		"a role linked to a role": {policy, [][]string{{"user:u", "lead", "*"}, {"lead", "coordinator", "*"}}},
		"a grant to a user":       {[][]string{{"user:u", "plan", "create"}}, nil},
		"a short policy line":     {[][]string{{"coordinator", "plan"}}, nil},
		"a short role link":       {policy, [][]string{{"user:u", "coordinator"}}},
	}
	for name, c := range cases {
		if _, err := compile(c.policy, c.links); err == nil {
			t.Errorf("%s: compiled", name)
		}
	}
	if _, err := compile(policy, [][]string{{"user:u", "coordinator", "*"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckModelRefusesAnotherMatcher(t *testing.T) {
	changed := strings.Replace(policies.Model, `|| g(r.sub, p.sub, "*")`, "", 1)
	if changed == policies.Model {
		t.Fatal("the model's matcher no longer has the clause this test removes")
	}
	for name, text := range map[string]string{"the model": policies.Model, "a changed matcher": changed} {
		m, err := model.NewModelFromString(text)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkModel(m); (err == nil) != (text == policies.Model) {
			t.Errorf("%s: checkModel = %v", name, err)
		}
	}
}

// BenchmarkTableCan measures one decision in tables of growing size, without a database.
func BenchmarkTableCan(b *testing.B) {
	for _, n := range []int{1_000, 50_000, 500_000} {
		b.Run(fmt.Sprintf("memberships=%d", n), func(b *testing.B) {
			policy := [][]string{}
			grants, err := Policy()
			if err != nil {
				b.Fatal(err)
			}
			for role, ps := range grants {
				for _, p := range ps {
					policy = append(policy, []string{role, p.Object, p.Action})
				}
			}
			links := make([][]string, 0, n)
			for i := range n {
				links = append(links, []string{nap.Subject(fmt.Sprint("u", i/2)), string(nap.RoleFocalPoint), fmt.Sprint("org:", i/2%400)})
			}
			d, err := compile(policy, links)
			if err != nil {
				b.Fatal(err)
			}
			type request struct{ user, domain string }
			requests := make([]request, 1024)
			for i := range requests {
				u := i * 7919 % (n / 2)
				requests[i] = request{fmt.Sprint("u", u), fmt.Sprint("org:", u%400)}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := requests[i%len(requests)]
				if !d.can(r.user, r.domain, nap.CreateUpdate) {
					b.Fatal("denied")
				}
				i++
			}
		})
	}
}

// BenchmarkHolders: whom a submitted update in one organization is told to, among 50,000 users
// in 400 organizations.
func BenchmarkHolders(b *testing.B) {
	grants, err := Policy()
	if err != nil {
		b.Fatal(err)
	}
	var policy, links [][]string
	for role, ps := range grants {
		for _, p := range ps {
			policy = append(policy, []string{role, p.Object, p.Action})
		}
	}
	for i := range 50000 {
		role := []nap.Role{nap.RoleFocalPoint, nap.RoleApprover, nap.RoleViewer}[i%3]
		links = append(links, []string{nap.Subject(fmt.Sprint("u", i)), string(role), fmt.Sprint("org:", i%400)})
	}
	d, err := compile(policy, links)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if len(d.holders("org:7", nap.SignOffUpdate)) == 0 {
			b.Fatal("nobody signs off in org:7")
		}
	}
}
