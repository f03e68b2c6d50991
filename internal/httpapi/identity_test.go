package httpapi_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/service"
)

func TestTokenLifecycle(t *testing.T) {
	f := newFixture(t, today)
	admin := f.newCaller(nap.RoleAdmin, "")
	partner := f.newCaller(nap.RolePartner, "")

	res, body := f.send("POST", "/v1/users/"+partner.userID+"/tokens", map[string]any{"name": "IOM dashboard", "ttl_hours": 2}, admin.auth()...)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("issue: %d %s", res.StatusCode, body)
	}
	var issued struct {
		Token  struct{ ID, Name string }
		Secret string
	}
	if err := json.Unmarshal(body, &issued); err != nil || !strings.HasPrefix(issued.Secret, nap.TokenPrefix) {
		t.Fatalf("issued: %v %s", err, body)
	}
	bearer := []string{"Authorization", "Bearer " + issued.Secret}

	var me struct {
		User        struct{ ID string }
		Memberships []struct{ Role string }
	}
	res, body = f.get("/v1/me", bearer...)
	if err := json.Unmarshal(body, &me); err != nil || res.StatusCode != 200 || me.User.ID != partner.userID ||
		len(me.Memberships) != 1 || me.Memberships[0].Role != "partner" {
		t.Fatalf("me with the new token: %d %s", res.StatusCode, body)
	}

	// The secret is nowhere in the database; its hash is.
	var tables []string
	if err := f.db.Gorm().Raw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var n int64
		err := f.db.Gorm().Raw(`SELECT count(*) FROM `+table+` t WHERE strpos(t::text, ?) > 0`, issued.Secret).Scan(&n).Error
		if err != nil || n != 0 {
			t.Errorf("the secret appears in %s (%d rows, %v)", table, n, err)
		}
	}
	var stored struct{ Hash string }
	if err := f.db.Gorm().Raw(`SELECT encode(secret_hash, 'hex') AS hash FROM api_tokens WHERE id = ?`, issued.Token.ID).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if stored.Hash != hex.EncodeToString(nap.HashToken(issued.Secret)) {
		t.Error("the stored hash is not the SHA-256 of the secret")
	}
	var used struct{ At *time.Time }
	if err := f.db.Gorm().Raw(`SELECT last_used_at AS at FROM api_tokens WHERE id = ?`, issued.Token.ID).Scan(&used).Error; err != nil || used.At == nil {
		t.Errorf("last_used_at not recorded: %v", err)
	}

	// Expired: 401. (The expiry changes behind the server's back, so it forgets its callers.)
	if err := f.db.Gorm().Exec(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ?`, issued.Token.ID).Error; err != nil {
		t.Fatal(err)
	}
	f.svc.ForgetCallers()
	f.getProblem("/v1/me", http.StatusUnauthorized, bearer...)
	if err := f.db.Gorm().Exec(`UPDATE api_tokens SET expires_at = now() + interval '1 hour' WHERE id = ?`, issued.Token.ID).Error; err != nil {
		t.Fatal(err)
	}
	if res, _ := f.get("/v1/me", bearer...); res.StatusCode != 200 {
		t.Fatalf("token unexpired again: %d", res.StatusCode)
	}

	// Revoked by its own user: 401 at once, and revoking again is a conflict.
	res, body = f.do("DELETE", "/v1/tokens/"+issued.Token.ID, bearer...)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke own token: %d %s", res.StatusCode, body)
	}
	f.getProblem("/v1/me", http.StatusUnauthorized, bearer...)
	res, body = f.do("DELETE", "/v1/tokens/"+issued.Token.ID, admin.auth()...)
	f.mustProblem(res, body, http.StatusConflict)

	// A deactivated user's tokens stop working.
	var u struct{ Version int }
	if err := json.Unmarshal(mustBody(f, "/v1/users/"+partner.userID, admin), &u); err != nil {
		t.Fatal(err)
	}
	res, body = f.send("PATCH", "/v1/users/"+partner.userID, map[string]any{"active": false},
		append(admin.auth(), "If-Match", fmt.Sprintf(`"%d"`, u.Version))...)
	if res.StatusCode != 200 {
		t.Fatalf("deactivate: %d %s", res.StatusCode, body)
	}
	f.getProblem("/v1/me", http.StatusUnauthorized, partner.auth()...)

	// Malformed and unknown tokens, and other schemes.
	for _, h := range []string{"Bearer napt_short", "Bearer " + nap.TokenPrefix + strings.Repeat("A", 43), "Basic YWRtaW46YWRtaW4=", "Bearer"} {
		f.getProblem("/v1/plans", http.StatusUnauthorized, "Authorization", h)
	}
}

func mustBody(f *fixture, path string, c caller) []byte {
	f.t.Helper()
	res, body := f.get(path, c.auth()...)
	if res.StatusCode != 200 {
		f.t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	return body
}

// TestConcurrentPatchesOneWins sends the same change with the same ETag from many clients at
// once: exactly one succeeds, the others get 412, and the version rises by exactly one.
func TestConcurrentPatchesOneWins(t *testing.T) {
	f := newFixture(t, today)
	coordinator := f.newCaller(nap.RoleCoordinator, "")
	res, _ := f.get("/v1/plans/"+f.planID, coordinator.auth()...)
	tag := res.Header.Get("ETag")
	var before struct{ Version int }
	f.getJSON("/v1/plans/"+f.planID, &before)

	const writers = 8
	statuses := make([]int, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			res, _ := f.send("PATCH", "/v1/plans/"+f.planID,
				map[string]any{"legal_basis": map[string]string{"en": fmt.Sprintf("writer %d", i)}},
				append(coordinator.auth(), "If-Match", tag)...)
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusPreconditionFailed:
		default:
			t.Errorf("status %d", s)
		}
	}
	var after struct{ Version int }
	f.getJSON("/v1/plans/"+f.planID, &after)
	if won != 1 || after.Version != before.Version+1 {
		t.Fatalf("%d writers won, version %d -> %d: %v", won, before.Version, after.Version, statuses)
	}

	// Without If-Match: 428; with a stale one: 412.
	res, body := f.send("PATCH", "/v1/plans/"+f.planID, map[string]any{"requires_sign_off": true}, coordinator.auth()...)
	f.mustProblem(res, body, http.StatusPreconditionRequired)
	res, body = f.send("PATCH", "/v1/plans/"+f.planID, map[string]any{"requires_sign_off": true}, append(coordinator.auth(), "If-Match", tag)...)
	f.mustProblem(res, body, http.StatusPreconditionFailed)
}

// TestReplicasAgreeWithinASecond runs two servers on one database: a membership revoked
// through one is denied by the other within a second, and so is a revoked token, though the
// other server remembered its caller.
func TestReplicasAgreeWithinASecond(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pgtest.NewDatabase(t)
	server := func() (*httptest.Server, *service.Service) {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		e, err := authz.New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(service.Deps{Store: db, Blobs: db.Blobs(), Authorizer: e})
		h, err := httpapi.New(listening(t, dsn, e, httpapi.Deps{Service: svc, Authorizer: e, Ready: db.Ping}))
		if err != nil {
			t.Fatal(err)
		}
		srv := serve(t, h)
		return srv, svc
	}
	a, svc := server()
	b, _ := server()

	admin, err := svc.CreateUser(ctx, "admin@example.org", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantMembership(ctx, admin.ID, nap.RoleAdmin, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	_, adminToken, _ := svc.IssueToken(ctx, admin.ID, "admin", time.Hour)
	coordinator, _ := svc.CreateUser(ctx, "coordinator@example.org", "Coordinator")
	m, err := svc.GrantMembership(ctx, coordinator.ID, nap.RoleCoordinator, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, coordinatorToken, _ := svc.IssueToken(ctx, coordinator.ID, "coordinator", time.Hour)

	createPlan := func(srv *httptest.Server, n int) int {
		body := fmt.Sprintf(`{"code": "R-%d", "title": {"en": "Replica test"}, "period_start": "2030-01-01", "period_end": "2030-12-31"}`, n)
		req, _ := http.NewRequest("POST", srv.URL+"/v1/plans", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+coordinatorToken)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitStatus := func(srv *httptest.Server, want int) time.Duration {
		start := time.Now()
		for n := 0; ; n++ {
			if createPlan(srv, int(start.UnixNano())+n) == want {
				return time.Since(start)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("server did not answer %d within a second", want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Both servers know the grants before the revocation: A the admin's, B the coordinator's.
	waitStatus(a, http.StatusCreated)
	waitStatus(b, http.StatusCreated)

	req, _ := http.NewRequest("DELETE", a.URL+"/v1/users/"+coordinator.ID+"/memberships/"+m.ID, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := a.Client().Do(req)
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke through server A: %v %v", err, res.StatusCode)
	}
	res.Body.Close()
	took := waitStatus(b, http.StatusForbidden)
	t.Logf("server B denied %s after the revocation through server A", took.Round(time.Millisecond))

	me := func(srv *httptest.Server) int {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+coordinatorToken)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := me(b); got != http.StatusOK {
		t.Fatalf("server B: %d before the token's revocation", got)
	}
	tokens, err := svc.ListTokens(ctx, coordinator.ID)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens: %v %v", tokens, err)
	}
	// Both servers are busy with the token while it is revoked: lookups in flight at the
	// revocation must not put it back in their memory.
	type call struct {
		at     time.Time
		status int
	}
	// The notification of the commit needs a moment to reach both servers: calls begun
	// 100 ms after the revocation (settled) must all be refused.
	var (
		mu      sync.Mutex
		calls   []call
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		started = make(chan struct{}, 8)   // each caller's first call is done
		late    = make(chan struct{}, 512) // a call begun after settled is done
		settled atomic.Int64               // in Unix nanoseconds; 0 until the revocation
	)
	for i := range 8 {
		srv := []*httptest.Server{a, b}[i%2]
		wg.Go(func() {
			for first := true; ; first = false {
				select {
				case <-stop:
					return
				default:
				}
				at := time.Now()
				status := me(srv)
				mu.Lock()
				calls = append(calls, call{at, status})
				mu.Unlock()
				if first {
					started <- struct{}{}
				}
				if s := settled.Load(); s != 0 && at.UnixNano() > s {
					select {
					case late <- struct{}{}:
					default:
					}
				}
			}
		})
	}
	for range 8 {
		<-started
	}
	req, _ = http.NewRequest("DELETE", a.URL+"/v1/tokens/"+tokens[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if res, err = a.Client().Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke the token through server A: %v %v", err, res.StatusCode)
	}
	res.Body.Close()
	revoked := time.Now()
	settled.Store(revoked.Add(100 * time.Millisecond).UnixNano())
	for range 40 {
		select {
		case <-late:
		case <-time.After(30 * time.Second):
			t.Fatal("the callers stopped calling")
		}
	}
	close(stop)
	wg.Wait()
	after := time.Unix(0, settled.Load())
	var last time.Time
	for _, c := range calls {
		if c.status == http.StatusOK && c.at.After(last) {
			last = c.at
		}
		if c.status == http.StatusOK && c.at.After(after) {
			t.Errorf("the revoked token was accepted %s after its revocation", c.at.Sub(revoked).Round(time.Millisecond))
		}
	}
	t.Logf("%d calls; the last accepted began %s after the revocation", len(calls), last.Sub(revoked).Round(time.Millisecond))
}

func TestAbuseLimits(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := authz.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: db, Blobs: db.Blobs(), Authorizer: e})
	h, err := httpapi.New(listening(t, dsn, e, httpapi.Deps{Service: svc, Authorizer: e, Ready: db.Ping,
		Limits: httpapi.Limits{MaxBodyBytes: 2048, PerSecond: 1, Burst: 3}}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)

	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(logging.New(&logs, slog.LevelInfo))
	defer slog.SetDefault(prev)

	get := func(header ...string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/organizations", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	statuses := []int{}
	for range 5 {
		statuses = append(statuses, get().StatusCode)
	}
	if statuses[0] != 200 || statuses[4] != http.StatusTooManyRequests {
		t.Fatalf("anonymous burst of 5 with burst 3: %v", statuses)
	}
	if ra := get().Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q", ra)
	}

	// A token has its own bucket.
	u, _ := svc.CreateUser(ctx, "admin@example.org", "Admin")
	_, _ = svc.GrantMembership(ctx, u.ID, nap.RoleAdmin, "", nil, nil)
	_, secret, _ := svc.IssueToken(ctx, u.ID, "admin", time.Hour)
	if s := get("Authorization", "Bearer "+secret).StatusCode; s != 200 {
		t.Errorf("a token's first request after the address's bucket ran dry: %d", s)
	}

	// A body of exactly the limit is taken; one byte more is 413, and creates nothing.
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	organization := func(code string, size int) int {
		body := fmt.Sprintf(`{"code": %q, "kind": "ngo", "name": {"en": ""}}`, code)
		body = strings.Replace(body, `""`, `"`+strings.Repeat("x", size-len(body))+`"`, 1)
		req, _ := http.NewRequest("POST", srv.URL+"/v1/organizations", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := organization("EXACT", 2048); s != http.StatusCreated {
		t.Errorf("a body of exactly the limit: %d", s)
	}
	if s := organization("OVER", 2049); s != http.StatusRequestEntityTooLarge {
		t.Errorf("a body one byte over the limit: %d", s)
	}
	if _, err := svc.GetOrganization(ctx, "OVER"); nap.ErrorCode(err) != nap.ENOTFOUND {
		t.Errorf("a refused body created its organization: %v", err)
	}

	// A failed authentication is logged without what was sent, even a real secret sent
	// without its scheme.
	bad := nap.TokenPrefix + strings.Repeat("Z", 43)
	get("Authorization", "Bearer "+bad)
	get("Authorization", secret)
	get("Authorization", "Bearer\t"+secret)
	if !strings.Contains(logs.String(), "authentication failed") || strings.Contains(logs.String(), bad) || strings.Contains(logs.String(), secret[8:]) {
		t.Errorf("authentication log:\n%s", logs.String())
	}
	// Failures are limited by address, before any lookup: the burst of 3 is spent.
	if res := get("Authorization", "Bearer "+bad); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("a fourth failed authentication: %d", res.StatusCode)
	}
}
