package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/changefeed"
	"github.com/naptracker/naptracker/internal/checkpoint"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgnotify"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/seed"
	"github.com/naptracker/naptracker/internal/service"
	"github.com/naptracker/naptracker/policies"
)

// fixture is the API over a fresh database loaded with the reference data, served on a real
// listener as the role `migrate up --app-role` grants. db is the database's owner, which loads
// the data and looks (or tampers) behind the API's back; app and dsn are the server's.
type fixture struct {
	t      testing.TB
	clock  *clock
	dsn    string
	db     *postgres.DB
	app    *postgres.DB
	authz  *authz.Enforcer
	svc    *service.Service
	srv    *httptest.Server
	ds     seed.Dataset
	planID string
	sent   *statementLog // what app sends
}

// today is the day the fixture's clock tells unless a test sets another.
var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, now time.Time) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureOptions{now: now})
}

// fixtureOptions change what newFixtureWith makes: the policy lines (policies/policy.csv when
// ""), and the mail server notifications are sent through (none when nil).
type fixtureOptions struct {
	now    time.Time
	policy string
	mailer service.Mailer
}

// clock is the fixture's time, which a test may move.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// newFixtureWith is newFixture as o says.
func newFixtureWith(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	if o.policy == "" {
		o.policy = policies.Policy
	}
	clock := &clock{now: o.now}
	ctx := context.Background()
	owner := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ds, err := seed.Reference()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db.Gorm(), ds); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.AppDSN(owner)
	sent := &statementLog{}
	app, err := postgres.Open(ctx, dsn, postgres.WithTracer(sent))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	enforcer, err := authz.NewWithPolicy(ctx, app, o.policy)
	if err != nil {
		t.Fatal(err)
	}
	key, err := checkpoint.Generate()
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: app, Blobs: app.Blobs(), Authorizer: enforcer, Signer: key, Now: clock.Now,
		MaxUploadBytes: fixtureUploadLimit, Mailer: o.mailer, PublicURL: "http://naptracker.test"})
	h, err := httpapi.New(listening(t, dsn, enforcer, httpapi.Deps{Service: svc, Authorizer: enforcer, Ready: app.Ping}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	f := &fixture{t: t, clock: clock, dsn: dsn, db: db, app: app, authz: enforcer, svc: svc, srv: srv, ds: ds, sent: sent}
	var plans page[struct{ ID string }]
	f.getJSON("/v1/plans?code="+url.QueryEscape(ds.Plan.Code), &plans)
	if len(plans.Items) != 1 {
		t.Fatalf("seeded plan not listed: %+v", plans)
	}
	f.planID = plans.Items[0].ID
	return f
}

// listening completes d as a server does: streams are woken by the database's notifications of
// changes and, once the enforcer has reloaded, of changes of access (the callers the service
// remembers forgotten as the notification comes), until the test ends.
func listening(t testing.TB, dsn string, enforcer *authz.Enforcer, d httpapi.Deps) httpapi.Deps {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var running sync.WaitGroup
	t.Cleanup(func() {
		stop()
		running.Wait()
	})
	changes, access := pgnotify.NewBroadcaster(), pgnotify.NewBroadcaster()
	// Each listener tells first when it listens (the access watcher once it has reloaded
	// after that), so that the test begins only when no notification can be missed.
	feedHeard, accessReloaded := make(chan struct{}), make(chan struct{})
	once := func(ready chan struct{}, then func()) func() {
		var o sync.Once
		return func() { o.Do(func() { close(ready) }); then() }
	}
	running.Go(func() { pgnotify.Listen(ctx, dsn, postgres.ChangesChannel, once(feedHeard, changes.Notify)) })
	running.Go(func() {
		enforcer.Watch(ctx, dsn, authz.Hooks{Heard: d.Service.ForgetCallers, Reloaded: once(accessReloaded, access.Notify)})
	})
	for _, ready := range []chan struct{}{feedHeard, accessReloaded} {
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			t.Fatal("the listeners did not start listening")
		}
	}
	d.Feed, d.Access = changefeed.New(d.Service.ListChangesIn, changes), access
	running.Go(func() { d.Feed.Run(ctx) })
	if d.Stopping == nil {
		d.Stopping = make(chan struct{})
	}
	return d
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

type problem struct {
	Status int             `json:"status"`
	Title  string          `json:"title"`
	Detail string          `json:"detail"`
	Errors []problemDetail `json:"errors"`
}

type problemDetail struct {
	Message  string `json:"message"`
	Location string `json:"location"`
}

// get sends a GET with optional header name/value pairs and returns the response and body.
func (f *fixture) get(path string, header ...string) (*http.Response, []byte) {
	f.t.Helper()
	return f.do(http.MethodGet, path, header...)
}

func (f *fixture) do(method, path string, header ...string) (*http.Response, []byte) {
	f.t.Helper()
	return f.send(method, path, nil, header...)
}

// send sends body, when not nil, as JSON.
func (f *fixture) send(method, path string, body any, header ...string) (*http.Response, []byte) {
	f.t.Helper()
	if body == nil {
		return f.sendRaw(method, path, "", nil, header...)
	}
	b, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.sendRaw(method, path, "application/json", b, header...)
}

// sendRaw sends body, when not nil, as contentType.
func (f *fixture) sendRaw(method, path, contentType string, body []byte, header ...string) (*http.Response, []byte) {
	f.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return res, got
}

// getJSON GETs path, requires 200 and decodes the body into v.
func (f *fixture) getJSON(path string, v any) {
	f.t.Helper()
	res, body := f.get(path)
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		f.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// getProblem GETs path, requires the status and a problem body, and returns the problem.
func (f *fixture) getProblem(path string, status int, header ...string) problem {
	f.t.Helper()
	res, body := f.get(path, header...)
	return f.mustProblem(res, body, status)
}

func (f *fixture) mustProblem(res *http.Response, body []byte, status int) problem {
	f.t.Helper()
	if res.StatusCode != status {
		f.t.Fatalf("%s %s: status %d, want %d: %s", res.Request.Method, res.Request.URL, res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		f.t.Fatalf("%s: Content-Type %q, want application/problem+json", res.Request.URL, ct)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		f.t.Fatalf("%s: %v in %s", res.Request.URL, err, body)
	}
	if p.Status != status || p.Title == "" {
		f.t.Fatalf("%s: problem %+v", res.Request.URL, p)
	}
	return p
}

// walk follows next_cursor from path (which has a query) and returns every item's code in
// the order served. between runs after each page, before the next is asked for.
func (f *fixture) walk(path string, between func()) []string {
	f.t.Helper()
	var codes []string
	next := path
	for pages := 0; ; pages++ {
		if pages > 1000 {
			f.t.Fatal("cursor walk does not end")
		}
		var p page[struct{ Code string }]
		f.getJSON(next, &p)
		for _, it := range p.Items {
			codes = append(codes, it.Code)
		}
		if p.NextCursor == "" {
			return codes
		}
		if between != nil {
			between()
		}
		next = path + "&cursor=" + url.QueryEscape(p.NextCursor)
	}
}

// caller is someone who calls the API: a user with one role and a token, or anonymous.
type caller struct {
	name   string
	role   nap.Role // "" for anonymous
	org    string   // organization code of an organization's role
	userID string
	token  string
}

// auth returns the Authorization header of the caller, if any, as header pairs.
func (c caller) auth() []string {
	if c.token == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + c.token}
}

// newCaller creates a user holding role (in org, for an organization's role) with a token,
// and makes the enforcer see the membership.
func (f *fixture) newCaller(role nap.Role, org string) caller {
	f.t.Helper()
	ctx := context.Background()
	name := string(role)
	if org != "" {
		name += "@" + org
	}
	u, err := f.svc.CreateUser(ctx, fmt.Sprintf("%s.%s@example.org", strings.ReplaceAll(name, "@", "."), uuid.NewString()[:8]), name)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.GrantMembership(ctx, u.ID, role, org, nil, nil); err != nil {
		f.t.Fatal(err)
	}
	_, secret, err := f.svc.IssueToken(ctx, u.ID, "test", time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.authz.Reload(ctx); err != nil {
		f.t.Fatal(err)
	}
	return caller{name: name, role: role, org: org, userID: u.ID, token: secret}
}

// fixtureUploadLimit is the evidence file limit of the test server.
const fixtureUploadLimit = 1 << 20

// as returns a context in which c is the authenticated caller, for calling the service
// directly.
func (f *fixture) as(c caller) context.Context {
	f.t.Helper()
	a, err := f.svc.Authenticate(context.Background(), c.token)
	if err != nil {
		f.t.Fatal(err)
	}
	return nap.NewContextWithActor(context.Background(), a)
}

// streamStatus opens an endless response and returns its status.
func (f *fixture) streamStatus(path string, header ...string) int {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode
}
