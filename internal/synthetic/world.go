package synthetic

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/nap"
)

type id = [16]byte

// rng is the one source of every choice and identifier: a PCG seeded by the options' seed
// and a stream per part of the dataset, so a plan's rows do not depend on how many rows came
// before it.
type rng struct{ *rand.Rand }

func newRNG(seed, stream uint64) rng {
	return rng{rand.New(rand.NewPCG(seed, stream))} //nolint:gosec // reproducible test data, not secrets
}

// id returns a version 7 UUID of the time at, its random bits from the generator: ordered by
// time like the ids the API gives, and the same for the same seed.
func (r rng) id(at time.Time) id {
	var b id
	binary.BigEndian.PutUint64(b[0:], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	ms := uint64(at.UnixMilli()) //nolint:gosec // every synthetic time is after 1970
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], ms)
	copy(b[:6], stamp[2:])
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	return b
}

func (r rng) chance(percent int) bool { return r.IntN(100) < percent }

// between returns a time from at+min to at+max.
func (r rng) between(at time.Time, minimum, maximum time.Duration) time.Time {
	return at.Add(minimum + time.Duration(r.Int64N(int64(maximum-minimum)+1))).Truncate(time.Second)
}

func str(i id) string { return uuid.UUID(i).String() }

// jsonText encodes multilingual text the way the store does.
func jsonText(t nap.Text) []byte {
	if t == nil {
		t = nap.Text{}
	}
	b, _ := json.Marshal(t) // a map of strings always encodes
	return b
}

func text(en, ru string) nap.Text { return nap.Text{"en": en, "ru": ru} }

type organization struct {
	id   id
	code string
	kind string
}

// world is what every plan shares: organizations and the people in them.
type world struct {
	opts         Options
	created      time.Time
	orgs         []organization
	stateBodies  []int // organizations that lead, co-implement and report
	supporters   []int // partners of measures
	focal        [][]id
	approvers    [][]id
	coordinators []id
	rows         batch
}

// globalUsers is how many users hold a global role rather than one in an organization.
func globalUsers(users int) int {
	return 2*max(1, users/2500) + max(1, users/10000) + 1
}

func orgKind(i int) string {
	switch {
	case i == 0:
		return "coordinating_body"
	case i%10 == 0:
		return "ministry"
	case i%10 == 5 || i%10 == 6:
		return "local_government"
	case i%10 == 7:
		return "ngo"
	case i%10 == 8:
		return "international_org"
	default:
		return "agency"
	}
}

func orgName(i int, kind string) nap.Text {
	d := domains[(i/10)%len(domains)]
	switch kind {
	case "coordinating_body":
		return text("Synthetic Coordination Council", "Синтетический координационный совет")
	case "ministry":
		return text(fmt.Sprintf("Synthetic Ministry of %s %d", d.en, i), fmt.Sprintf("Синтетическое министерство %s %d", d.ru, i))
	case "agency":
		return text(fmt.Sprintf("Synthetic %s Agency %d", d.en, i), fmt.Sprintf("Синтетическое агентство %s %d", d.ru, i))
	case "local_government":
		r := regions[i%len(regions)]
		return text(fmt.Sprintf("Synthetic local administration %d (%s)", i, r.en), fmt.Sprintf("Синтетическая местная администрация %d (%s)", i, r.ru))
	case "ngo":
		return text(fmt.Sprintf("Synthetic NGO %d", i), fmt.Sprintf("Синтетическая НКО %d", i))
	default:
		return text(fmt.Sprintf("Synthetic International Organization %d", i), fmt.Sprintf("Синтетическая международная организация %d", i))
	}
}

// newWorld generates the organizations, users and memberships.
func newWorld(o Options) *world {
	r := newRNG(o.Seed, 0)
	w := &world{opts: o, created: time.Date(2019, 1, 10, 9, 0, 0, 0, time.UTC), rows: batch{}}
	for i := range o.Organizations {
		at := w.created.Add(time.Duration(i) * time.Minute)
		kind := orgKind(i)
		org := organization{id: r.id(at), code: fmt.Sprintf("%s%04d", OrganizationPrefix, i+1), kind: kind}
		w.orgs = append(w.orgs, org)
		var parent any
		if kind == "agency" && i >= 10 {
			parent = w.orgs[i-i%10].id
		}
		switch kind {
		case "ministry", "agency", "local_government":
			w.stateBodies = append(w.stateBodies, i)
		case "ngo", "international_org":
			w.supporters = append(w.supporters, i)
		}
		w.rows.add(organizationsTable, org.id, org.code, kind, jsonText(orgName(i, kind)), parent, true,
			string(nap.Illustrative), Note, at, at)
	}

	w.focal = make([][]id, o.Organizations)
	w.approvers = make([][]id, o.Organizations)
	coordinators, partners := max(1, o.Users/2500), max(1, o.Users/2500)
	auditors := max(1, o.Users/10000)
	global := globalUsers(o.Users)
	for j := range o.Users {
		at := w.created.Add(time.Hour + time.Duration(j)*time.Second)
		uid := r.id(at)
		var org any
		var role nap.Role
		var name string
		switch {
		case j < coordinators:
			role, name = nap.RoleCoordinator, fmt.Sprintf("Synthetic Coordinator %d", j+1)
			w.coordinators = append(w.coordinators, uid)
		case j < coordinators+partners:
			role, name = nap.RolePartner, fmt.Sprintf("Synthetic Partner %d", j+1)
		case j < coordinators+partners+auditors:
			role, name = nap.RoleAuditor, fmt.Sprintf("Synthetic Auditor %d", j+1)
		case j < global:
			role, name = nap.RoleAdmin, fmt.Sprintf("Synthetic Admin %d", j+1)
		default:
			k := j - global
			oi := k % o.Organizations
			org = w.orgs[oi].id
			switch (k / o.Organizations) % 10 {
			case 0, 2:
				role = nap.RoleFocalPoint
				w.focal[oi] = append(w.focal[oi], uid)
			case 1:
				role = nap.RoleApprover
				w.approvers[oi] = append(w.approvers[oi], uid)
			default:
				role = nap.RoleViewer
			}
			name = fmt.Sprintf("Synthetic %s %d (%s)", role, j+1, w.orgs[oi].code)
		}
		w.rows.add(usersTable, uid, fmt.Sprintf("synthetic.user%06d%s", j+1, EmailDomain), name, true, at, at)
		w.rows.add(membershipsTable, r.id(at), uid, org, string(role), at, at)
	}
	return w
}
