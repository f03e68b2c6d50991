package authz

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2/model"

	"github.com/naptracker/naptracker/internal/nap"
)

// decisionModel is the model the decision table implements. New refuses a policies/model.conf
// that means anything else, so that a change to the model cannot be silently ignored by the
// table; TestTableAgreesWithCasbin checks that both give the same answers.
const decisionModel = `
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.obj == p.obj && r.act == p.act && (g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, "*") || (p.sub == "self" && r.dom == r.sub) || p.sub == "anonymous")
`

// selfRole is the role the matcher gives every subject in its own user domain.
const selfRole = "self"

// anonymousRole is the role the matcher gives every caller everywhere.
const anonymousRole = nap.RoleAnonymous

// roleSet is a set of roles, one bit per role that the policy grants something to.
type roleSet uint64

// decisions is the casbin model's answer for every request, compiled from the loaded policy
// and role links: a decision is two map lookups, whatever the number of memberships. It is
// never changed once built; a reload builds a new one.
type decisions struct {
	grants map[nap.Permission]roleSet // the roles the policy grants each permission to
	self   roleSet                    // the role "self", if the policy grants it anything
	anyone roleSet                    // the role "anonymous", if the policy grants it anything
	users  map[string]heldRoles       // by user id
	// Who holds some role in "*", and in each single domain: the only users holders need ask
	// about, beside the one a user's own domain names.
	everywhere []string
	in         map[string][]string
}

// heldRoles are the roles a user holds: in "*" (so in every domain), and in single domains.
type heldRoles struct {
	everywhere roleSet
	in         []domainRoles // most users hold roles in one domain, so a scan beats a map
}

type domainRoles struct {
	domain string
	roles  roleSet
}

// can is the matcher: the permission is granted to a role the user holds in domain or in
// "*", to "self" when domain is the user's own, or to "anonymous".
func (d *decisions) can(userID, domain string, p nap.Permission) bool {
	need := d.grants[p]
	if need == 0 {
		return false
	}
	held := d.anyone
	if own, ok := strings.CutPrefix(domain, subjectPrefix); ok && own == userID {
		held |= d.self
	}
	if u, ok := d.users[userID]; ok {
		held |= u.everywhere
		for _, in := range u.in {
			if in.domain == domain {
				held |= in.roles
			}
		}
	}
	return held&need != 0
}

// scope is what the user (anonymous when "") may read: updates in every state in each
// organization (or in "*") where a role the user holds grants nap.ReadUpdates, and the rights
// not tied to an organization wherever, in "*" or in an organization, a role the user holds
// grants them.
func (d *decisions) scope(userID string) nap.Scope {
	u := d.users[userID]
	everywhere := u.everywhere | d.anyone
	anywhere := everywhere
	for _, in := range u.in {
		if strings.HasPrefix(in.domain, orgPrefix) {
			anywhere |= in.roles
		}
	}
	var s nap.Scope
	if anywhere&d.grants[nap.ReadPublishedPartner] != 0 {
		s.Published = append(s.Published, nap.VisibilityPartners)
	}
	if anywhere&d.grants[nap.ReadPublishedPublic] != 0 {
		s.Published = append(s.Published, nap.VisibilityPublic)
	}
	s.DraftPlans = anywhere&d.grants[nap.ReadDraftPlans] != 0
	if everywhere&d.grants[nap.ReadUpdates] != 0 {
		s.AllOrganizations = true
		return s
	}
	for _, in := range u.in {
		if org, ok := strings.CutPrefix(in.domain, orgPrefix); ok && in.roles&d.grants[nap.ReadUpdates] != 0 {
			s.Organizations = append(s.Organizations, org)
		}
	}
	return s
}

// holders lists, in order, the users the table knows who hold a role that grants p in domain.
// Unless anyone may, only users with a role in domain or in "*", or whose own domain it is,
// can: a review step asks about one organization among thousands, not every user.
func (d *decisions) holders(domain string, p nap.Permission) []string {
	var candidates []string
	if d.grants[p]&d.anyone != 0 {
		candidates = slices.Collect(maps.Keys(d.users))
	} else {
		candidates = slices.Concat(d.everywhere, d.in[domain])
		if own, ok := strings.CutPrefix(domain, subjectPrefix); ok {
			if _, known := d.users[own]; known {
				candidates = append(candidates, own)
			}
		}
	}
	var out []string
	for _, id := range candidates {
		if d.can(id, domain, p) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// orgPrefix turns an organization id into its domain (nap.OrganizationDomain).
var orgPrefix = nap.OrganizationDomain("")

// subjectPrefix turns a user id into a casbin subject (nap.Subject).
var subjectPrefix = nap.Subject("")

// compile builds the decision table from a policy's "p" lines (role, object, action) and role
// links ("g" lines: subject, role, domain), as casbin holds them after loading.
func compile(policy, links [][]string) (*decisions, error) {
	d := &decisions{grants: map[nap.Permission]roleSet{}, users: make(map[string]heldRoles, len(links))}
	roles := map[string]roleSet{}
	for _, line := range policy {
		if len(line) != 3 {
			return nil, fmt.Errorf("policy line %q is not \"role, object, action\"", line)
		}
		role := line[0]
		if strings.HasPrefix(role, subjectPrefix) {
			// The matcher would grant it to that user directly; the table knows only roles.
			return nil, fmt.Errorf("policy line %q grants to a user, not a role", line)
		}
		bit, ok := roles[role]
		if !ok {
			if len(roles) == 64 {
				return nil, fmt.Errorf("policy has more than 64 roles")
			}
			bit = 1 << len(roles)
			roles[role] = bit
		}
		d.grants[nap.Permission{Object: line[1], Action: line[2]}] |= bit
	}
	d.self = roles[selfRole]
	d.anyone = roles[anonymousRole]

	linked := map[string]bool{} // every role some subject is linked to
	for _, link := range links {
		if len(link) != 3 {
			return nil, fmt.Errorf("role link %q is not \"subject, role, domain\"", link)
		}
		linked[link[1]] = true
		bit := roles[link[1]]
		userID, ok := strings.CutPrefix(link[0], subjectPrefix)
		if bit == 0 || !ok {
			continue // a role the policy grants nothing to, or a subject no request names
		}
		u := d.users[userID]
		if link[2] == nap.DomainAll {
			u.everywhere |= bit
		} else {
			u.in = addIn(u.in, link[2], bit)
		}
		d.users[userID] = u
	}
	d.in = map[string][]string{}
	for id, u := range d.users {
		if u.everywhere != 0 {
			d.everywhere = append(d.everywhere, id)
		}
		for _, in := range u.in {
			d.in[in.domain] = append(d.in[in.domain], id)
		}
	}
	// Casbin's role manager follows links from role to role; the table holds one step only.
	for _, link := range links {
		if linked[link[0]] {
			return nil, fmt.Errorf("role %q is linked to further roles, which the decision table does not follow", link[0])
		}
	}
	return d, nil
}

func addIn(in []domainRoles, domain string, bit roleSet) []domainRoles {
	for i := range in {
		if in[i].domain == domain {
			in[i].roles |= bit
			return in
		}
	}
	return append(in, domainRoles{domain: domain, roles: bit})
}

// checkModel refuses a model that means something other than the one the table implements.
func checkModel(m model.Model) error {
	want, err := model.NewModelFromString(decisionModel)
	if err != nil {
		return err
	}
	for _, sec := range []string{"r", "p", "g", "e", "m"} {
		if len(m[sec]) != len(want[sec]) {
			return fmt.Errorf("access model: section %q has %d definitions; the decision table implements %d", sec, len(m[sec]), len(want[sec]))
		}
		for key, w := range want[sec] {
			got, ok := m[sec][key]
			if !ok || got.Value != w.Value {
				return fmt.Errorf("access model: %s.%s is not the one the decision table implements: %q", sec, key, w.Value)
			}
		}
	}
	return nil
}
