package authz_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
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
		if role != "self" && role != nap.RoleAnonymous && !nap.Role(role).Valid() {
			t.Errorf("policy grants to unknown role %q", role)
		}
		for _, p := range perms {
			if !slices.Contains(nap.Permissions, p) && !slices.Contains(nap.ReadRights, p) {
				t.Errorf("policy grants %s to %s, a permission no operation requires and no read right", p, role)
			}
			granted[p] = true
		}
	}
	for _, p := range append(slices.Clone(nap.Permissions), nap.ReadRights...) {
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
	go e.Watch(ctx, dsn, authz.Hooks{})
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
	// The watcher reloads once it listens: from then on no change is missed.
	listening := make(chan struct{})
	var once sync.Once
	go e.Watch(ctx, dsn, authz.Hooks{Reloaded: func() { once.Do(func() { close(listening) }) }})
	<-listening

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

// TestReloadRevokesAtOnce checks that a decision after Reload follows the new memberships,
// while other goroutines keep deciding (run it with -race).
func TestReloadRevokesAtOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	u, err := db.CreateUser(ctx, "", "revoked@example.org", "Revoked")
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.GrantMembership(ctx, "", u.ID, nap.RoleCoordinator, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := authz.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var deciders sync.WaitGroup
	for range 2 {
		deciders.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					if _, err := e.Can(u.ID, nap.DomainAll, nap.CreatePlan); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	defer func() { close(stop); deciders.Wait() }()

	for range 3 {
		if err := e.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := e.Can(u.ID, nap.DomainAll, nap.CreatePlan); !ok {
			t.Fatal("a live membership is denied after a reload")
		}
	}
	if err := db.RevokeMembership(ctx, "", u.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.Can(u.ID, nap.DomainAll, nap.CreatePlan); ok {
		t.Fatal("a revoked membership is allowed after the reload")
	}
	if ok, _ := e.Can(u.ID, nap.UserDomain(u.ID), nap.RevokeToken); !ok {
		t.Fatal("a user without memberships may no longer revoke their own tokens")
	}
}

// populate adds memberships of the usual shape over orgs organizations: three users in four
// hold one role in one organization, the fourth holds two there, and one user in 500 holds a
// global role instead. It returns the number of memberships.
func populate(b *testing.B, db *postgres.DB, memberships, orgs int) int {
	b.Helper()
	users := memberships * 4 / 5
	for _, stmt := range []struct {
		sql string
		arg int
	}{
		{`INSERT INTO organizations (id, code, kind, name, provenance)
		SELECT gen_random_uuid(), 'ORG' || i, 'ministry', jsonb_build_object('en', 'Ministry ' || i), 'illustrative'
		FROM generate_series(1, ?) i`, orgs},
		{`INSERT INTO users (id, email, name) SELECT gen_random_uuid(), 'u' || i || '@example.org', 'User ' || i
		FROM generate_series(1, ?) i`, users},
		{`WITH u AS (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users),
		o AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM organizations),
		roles AS (SELECT u.id AS user_id, o.id AS org, u.n, r.second FROM u JOIN o ON o.k = u.n % ?
			CROSS JOIN LATERAL (SELECT false AS second UNION ALL SELECT true WHERE u.n % 4 = 0) r)
		INSERT INTO memberships (id, user_id, organization_id, role)
		SELECT gen_random_uuid(), user_id,
			CASE WHEN n % 500 = 0 THEN NULL ELSE org END,
			CASE WHEN n % 500 = 0 THEN (ARRAY['coordinator', 'auditor'])[1 + second::int]
				WHEN second THEN 'approver' ELSE (ARRAY['focal_point', 'viewer', 'approver'])[1 + n % 3] END
		FROM roles`, orgs},
	} {
		if err := db.Gorm().Exec(stmt.sql, stmt.arg).Error; err != nil {
			b.Fatal(err)
		}
	}
	var n int
	if err := db.Gorm().Raw(`SELECT count(*) FROM memberships`).Scan(&n).Error; err != nil {
		b.Fatal(err)
	}
	return n
}

// request is one question of the benchmarks: a user, in the domain of one of their
// memberships, about a permission that may or may not be granted there.
type request struct {
	user, domain string
	perm         nap.Permission
}

func requests(b *testing.B, db *postgres.DB) []request {
	b.Helper()
	var rows []struct{ UserID, OrganizationID string }
	if err := db.Gorm().Raw(`SELECT user_id::text, coalesce(organization_id::text, '') AS organization_id
		FROM memberships ORDER BY md5(id::text) LIMIT 1024`).Scan(&rows).Error; err != nil {
		b.Fatal(err)
	}
	perms := []nap.Permission{nap.CreateUpdate, nap.SignOffUpdate, nap.UpdateMeasure, nap.ApproveUpdate}
	out := make([]request, len(rows))
	for i, r := range rows {
		domain := nap.DomainAll
		if r.OrganizationID != "" {
			domain = nap.OrganizationDomain(r.OrganizationID)
		}
		out[i] = request{r.UserID, domain, perms[i%len(perms)]}
	}
	return out
}

// BenchmarkCan measures one decision with 1,000, 20,000 and 50,000 memberships over 400
// organizations: the cost should not grow with the number of memberships.
func BenchmarkCan(b *testing.B) {
	for _, n := range []int{1_000, 20_000, 50_000} {
		b.Run(fmt.Sprintf("memberships=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db, _ := open(b)
			populate(b, db, n, 400)
			e, err := authz.New(ctx, db)
			if err != nil {
				b.Fatal(err)
			}
			reqs := requests(b, db)
			allowed := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := reqs[i%len(reqs)]
				ok, err := e.Can(r.user, r.domain, r.perm)
				if err != nil {
					b.Fatal(err)
				}
				if ok {
					allowed++
				}
				i++
			}
			if allowed == 0 || allowed == i {
				b.Fatalf("%d of %d requests allowed: the benchmark asks too easy a question", allowed, i)
			}
		})
	}
}

// BenchmarkReload measures a reload at 50,000 memberships over 400 organizations: reading
// the memberships alone, and reading them and compiling the decision table.
func BenchmarkReload(b *testing.B) {
	ctx := context.Background()
	db, _ := open(b)
	n := populate(b, db, 50_000, 400)
	e, err := authz.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("LiveMemberships", func(b *testing.B) {
		b.ReportMetric(float64(n), "memberships")
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := db.LiveMemberships(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Reload", func(b *testing.B) {
		b.ReportMetric(float64(n), "memberships")
		b.ReportAllocs()
		for b.Loop() {
			if err := e.Reload(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
