package authz_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/seed"
)

// TestPolicyNamesTheCodesPermissions keeps policies/policy.csv and nap.Permissions one
// vocabulary: every permission an operation can require is granted to some role, and the
// policy grants nothing the code does not know, to no role that does not exist.
func TestPolicyNamesTheCodesPermissions(t *testing.T) {
	policy, err := authz.Policy()
	if err != nil {
		t.Fatal(err)
	}
	granted := map[nap.Permission]bool{}
	for role, perms := range policy {
		if role != "self" && !nap.Role(role).Valid() {
			t.Errorf("policy grants to unknown role %q", role)
		}
		for _, p := range perms {
			if !slices.Contains(nap.Permissions, p) {
				t.Errorf("policy grants %s to %s, a permission no operation requires", p, role)
			}
			granted[p] = true
		}
	}
	for _, p := range nap.Permissions {
		if !granted[p] {
			t.Errorf("no role is granted %s", p)
		}
	}
}

func open(t testing.TB) (*postgres.DB, string) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	ds, err := seed.Reference()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db.Gorm(), ds); err != nil {
		t.Fatal(err)
	}
	user := func(role nap.Role, org string) (string, string) {
		u, err := db.CreateUser(ctx, "", fmt.Sprintf("%s%s@example.org", role, org), string(role))
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.GrantMembership(ctx, "", u.ID, role, org, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID, m.OrganizationID
	}
	coordinator, _ := user(nap.RoleCoordinator, "")
	focal, ms := user(nap.RoleFocalPoint, "MS")
	admin, _ := user(nap.RoleAdmin, "")
	_, mfa := user(nap.RoleViewer, "MFA")
	e, err := authz.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, domain string
		perm         nap.Permission
		want         bool
	}{
		{coordinator, nap.DomainAll, nap.CreatePlan, true},
		{coordinator, nap.OrganizationDomain(ms), nap.UpdateMeasure, true}, // global roles hold in every domain
		{coordinator, nap.DomainAll, nap.CreateOrganization, false},
		{focal, nap.DomainAll, nap.CreatePlan, false},
		{focal, nap.OrganizationDomain(ms), nap.UpdateMeasure, false},
		{focal, nap.OrganizationDomain(ms), nap.CreateUpdate, true},
		{focal, nap.OrganizationDomain(mfa), nap.CreateUpdate, false}, // a role holds only in its organization
		{focal, nap.DomainAll, nap.CreateUpdate, false},
		{coordinator, nap.OrganizationDomain(ms), nap.CreateUpdate, false},
		{coordinator, nap.OrganizationDomain(mfa), nap.ApproveUpdate, true},
		{focal, nap.UserDomain(focal), nap.RevokeToken, true}, // "self"
		{focal, nap.UserDomain(coordinator), nap.RevokeToken, false},
		{focal, nap.UserDomain(focal), nap.IssueToken, false},
		{admin, nap.UserDomain(focal), nap.RevokeToken, true},
		{admin, nap.DomainAll, nap.CreateOrganization, true},
	}
	for _, c := range cases {
		got, err := e.Can(c.user, c.domain, c.perm)
		if err != nil || got != c.want {
			t.Errorf("Can(%s, %s, %s) = %v, %v; want %v", c.user[:8], c.domain, c.perm, got, err, c.want)
		}
	}
}

// TestMembershipsEndByTheClock checks that a membership that ends at a time, with no write
// announcing it, is denied once that time passes.
func TestMembershipsEndByTheClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, dsn := open(t)
	u, err := db.CreateUser(ctx, "", "temp@example.org", "Temporary")
	if err != nil {
		t.Fatal(err)
	}
	ends := time.Now().Add(1500 * time.Millisecond)
	if _, err := db.GrantMembership(ctx, "", u.ID, nap.RoleCoordinator, "", nil, &ends); err != nil {
		t.Fatal(err)
	}
	e, err := authz.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	go e.Watch(ctx, dsn)
	if ok, _ := e.Can(u.ID, nap.DomainAll, nap.CreatePlan); !ok {
		t.Fatal("a live membership is denied")
	}
	deadline := ends.Add(time.Second)
	for {
		ok, _ := e.Can(u.ID, nap.DomainAll, nap.CreatePlan)
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a membership that ended is still allowed a second later")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchReloadsOnChange checks that a change made through another connection (as by
// another server) reaches the enforcer through LISTEN/NOTIFY within a second.
func TestWatchReloadsOnChange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, dsn := open(t)
	u, err := db.CreateUser(ctx, "", "watched@example.org", "Watched")
	if err != nil {
		t.Fatal(err)
	}
	e, err := authz.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	go e.Watch(ctx, dsn)
	time.Sleep(200 * time.Millisecond) // listening

	other, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	m, err := other.GrantMembership(ctx, "", u.ID, nap.RoleCoordinator, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the grant", func() bool { ok, _ := e.Can(u.ID, nap.DomainAll, nap.CreatePlan); return ok })
	if err := other.RevokeMembership(ctx, "", u.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revocation", func() bool { ok, _ := e.Can(u.ID, nap.DomainAll, nap.CreatePlan); return !ok })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not take effect within a second", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkCan measures one decision with 20,000 memberships over 40 organizations.
func BenchmarkCan(b *testing.B) {
	ctx := context.Background()
	db, _ := open(b)
	err := db.Gorm().Exec(`
		INSERT INTO organizations (id, code, kind, name, provenance)
		SELECT gen_random_uuid(), 'ORG' || i, 'ministry', jsonb_build_object('en', 'Ministry ' || i), 'illustrative'
		FROM generate_series(1, 40) i;
		INSERT INTO users (id, email, name) SELECT gen_random_uuid(), 'u' || i || '@example.org', 'User ' || i
		FROM generate_series(1, 20000) i;
		INSERT INTO memberships (id, user_id, organization_id, role)
		SELECT gen_random_uuid(), u.id, o.id, (ARRAY['approver', 'focal_point', 'viewer'])[1 + n % 3]
		FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users) u
		JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM organizations) o ON o.k = u.n % 40;`).Error
	if err != nil {
		b.Fatal(err)
	}
	var probe struct{ UserID, OrganizationID string }
	if err := db.Gorm().Raw(`SELECT user_id, organization_id FROM memberships LIMIT 1`).Scan(&probe).Error; err != nil {
		b.Fatal(err)
	}
	e, err := authz.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	domain := nap.OrganizationDomain(probe.OrganizationID)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Can(probe.UserID, domain, nap.UpdateMeasure); err != nil {
			b.Fatal(err)
		}
	}
}
