package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
)

// keepChanging makes a public change every few milliseconds, as the coordinator, until the
// test ends: streams then deliver all the time.
func (p *progressFixture) keepChanging(t *testing.T) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			res, b := p.send("POST", "/v1/measures/"+p.measureID+"/indicators", map[string]any{"code": fmt.Sprintf("k.%d", i),
				"title": map[string]string{"en": "Churn"}, "kind": "text"}, p.coordinator.auth()...)
			if res.StatusCode != http.StatusCreated {
				t.Errorf("a change: %d %s", res.StatusCode, b)
				return
			}
		}
	})
}

// ended waits for a stream to end and says how long after since it did.
func ended(t *testing.T, events <-chan sseEvent, since time.Time) time.Duration {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return time.Since(since)
			}
		case <-timeout:
			t.Fatal("the stream goes on")
		}
	}
}

// TestStreamEndsWhenItsCallerStops: a stream delivering all the time ends within a second of
// its token's revocation or expiry, or of its user's deactivation.
func TestStreamEndsWhenItsCallerStops(t *testing.T) {
	p := newProgressFixture(t)
	p.keepChanging(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	// stream opens a stream as a new coordinator, whose token lives for ttl, and waits until
	// it delivers.
	stream := func(ttl time.Duration) (caller, <-chan sseEvent) {
		t.Helper()
		c := p.newCaller(nap.RoleCoordinator, "")
		_, secret, err := p.svc.IssueToken(context.Background(), c.userID, "streaming", ttl)
		if err != nil {
			t.Fatal(err)
		}
		c.token = secret
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		events := p.openStream(t, ctx, c, 0)
		<-events
		return c, events
	}
	t.Run("revoked", func(t *testing.T) {
		c, events := stream(time.Hour)
		var tokens struct{ Items []struct{ ID, Name string } }
		_ = json.Unmarshal(p.expectStatus(c, 200, "GET", "/v1/users/"+c.userID+"/tokens", nil), &tokens)
		for _, tok := range tokens.Items {
			p.expectStatus(admin, 204, "DELETE", "/v1/tokens/"+tok.ID, nil)
		}
		if d := ended(t, events, time.Now()); d > time.Second {
			t.Errorf("the stream ended %s after its token was revoked", d)
		}
	})
	t.Run("expired", func(t *testing.T) {
		expires := time.Now().Add(3 * time.Second)
		_, events := stream(3 * time.Second)
		if d := ended(t, events, expires); d > time.Second {
			t.Errorf("the stream ended %s after its token expired", d)
		}
	})
	t.Run("deactivated", func(t *testing.T) {
		c, events := stream(time.Hour)
		res, _ := p.get("/v1/users/"+c.userID, admin.auth()...)
		p.expectStatus(admin, 200, "PATCH", "/v1/users/"+c.userID, map[string]any{"active": false}, "If-Match", res.Header.Get("ETag"))
		if d := ended(t, events, time.Now()); d > time.Second {
			t.Errorf("the stream ended %s after its user was deactivated", d)
		}
	})
}

// TestStreamFollowsMembership: what an open stream delivers narrows when its caller loses a
// role and widens when it gains one, as polling the feed would, once the change of access is
// in force; that is well within a second.
func TestStreamFollowsMembership(t *testing.T) {
	p := newProgressFixture(t)
	admin := p.newCaller(nap.RoleAdmin, "")
	viewer := p.newCaller(nap.RoleViewer, p.ds.Plan.Measures[0].Lead)
	_, _, start := p.readFeed(t, p.coordinator, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := p.openStream(t, ctx, viewer, start)
	delivered := func(id string) bool { // waits for a public change made after id, then says whether id came first
		t.Helper()
		seen := awaitEvents(t, events, p.createIndicator("m."+id[len(id)-6:]))
		return slices.ContainsFunc(seen, func(e sseEvent) bool { return strings.Contains(e.data, id) })
	}
	// inForce waits until the server's access policy says what want says of the viewer.
	lead := p.organizationID(p.ds.Plan.Measures[0].Lead)
	inForce := func(since time.Time, want bool) {
		t.Helper()
		for slices.Contains(p.authz.Scope(viewer.userID).Organizations, lead) != want {
			if time.Since(since) > 30*time.Second {
				t.Fatal("the change of access is not in force")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if d := time.Since(since); d > time.Second {
			t.Errorf("a change of access came into force after %s", d)
		}
	}
	draft := func() string {
		id, _ := p.draft(p.author)
		p.expectStatus(p.author, 200, "POST", "/v1/updates/"+id+"/withdraw", nil)
		return id
	}

	if id := draft(); !delivered(id) {
		t.Fatal("the viewer's stream does not deliver its organization's draft")
	}
	var ms struct {
		Items []struct{ ID, Organization string }
	}
	_ = json.Unmarshal(p.expectStatus(admin, 200, "GET", "/v1/users/"+viewer.userID+"/memberships", nil), &ms)
	at := time.Now()
	p.expectStatus(admin, 204, "DELETE", "/v1/users/"+viewer.userID+"/memberships/"+ms.Items[0].ID, nil)
	inForce(at, false)
	if id := draft(); delivered(id) {
		t.Error("the stream delivers an organization's draft after its caller left the organization")
	}
	at = time.Now()
	p.expectStatus(admin, 201, "POST", "/v1/users/"+viewer.userID+"/memberships", map[string]any{"role": "viewer", "organization": p.ds.Plan.Measures[0].Lead})
	inForce(at, true)
	if id := draft(); !delivered(id) {
		t.Error("the stream does not deliver an organization's draft after its caller joined it again")
	}
}

// organizationID is the id of the organization with the code.
func (f *fixture) organizationID(code string) string {
	var o struct{ ID string }
	f.getJSON("/v1/organizations/"+code, &o)
	return o.ID
}

// TestStreamsAreBounded: a token, or an anonymous address, holds a bounded number of streams;
// so does the server. Beyond either, 429 with Retry-After; a closed stream frees its place.
func TestStreamsAreBounded(t *testing.T) {
	p := newProgressFixture(t)
	h, err := httpapi.New(listening(t, p.dsn, p.authz, httpapi.Deps{Service: p.svc, Authorizer: p.authz, Ready: p.app.Ping,
		Limits: httpapi.Limits{StreamsPerClient: 2, Streams: 3}}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h) // after the streams' cleanups: it waits for them to end
	open := func(c caller) (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/changes/stream", nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cancel()
			res.Body.Close()
		})
		return res, cancel
	}
	refused := func(res *http.Response, why string) {
		t.Helper()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
			res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d, Retry-After %q", why, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	first, closeFirst := open(p.partner)
	second, _ := open(p.partner)
	if first.StatusCode != 200 || second.StatusCode != 200 {
		t.Fatalf("two streams of one token: %d, %d", first.StatusCode, second.StatusCode)
	}
	third, _ := open(p.partner)
	refused(third, "a token's third stream")
	if res, _ := open(p.anonymous); res.StatusCode != 200 {
		t.Fatalf("an anonymous stream beside them: %d", res.StatusCode)
	}
	fourth, _ := open(p.coordinator)
	refused(fourth, "a fourth stream on the server")

	// Its first stream closed, the token may open another once the server notices.
	closeFirst()
	for deadline := time.Now().Add(30 * time.Second); ; {
		res, cancel := open(p.partner)
		if res.StatusCode == 200 {
			break
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatal("a closed stream's place is not freed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// createIndicator makes a public change and returns the id of what changed.
func (p *progressFixture) createIndicator(code string) string {
	b := p.expectStatus(p.coordinator, 201, "POST", "/v1/measures/"+p.measureID+"/indicators", map[string]any{"code": code,
		"title": map[string]string{"en": "Streamed"}, "kind": "text"})
	var in struct{ ID string }
	_ = json.Unmarshal(b, &in)
	return in.ID
}

// awaitEvents waits until events delivers entity, and returns the events it delivered until
// then, that one included.
func awaitEvents(t *testing.T, events <-chan sseEvent, entity string) []sseEvent {
	t.Helper()
	var seen []sseEvent
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			seen = append(seen, e)
			if strings.Contains(e.data, entity) {
				return seen
			}
		case <-timeout:
			t.Fatalf("no event for %s within 30 s", entity)
		}
	}
}

// awaitEvent waits until events delivers entity, and returns the ids of the changes it
// delivered until then.
func awaitEvent(t *testing.T, events <-chan sseEvent, entity string) []int64 {
	t.Helper()
	var ids []int64
	for _, e := range awaitEvents(t, events, entity) {
		if e.id > 0 {
			ids = append(ids, e.id)
		}
	}
	return ids
}

// TestStreamsShareFeedQueries: the server reads the feed once per scope among its open
// streams for each change, however many streams follow it.
func TestStreamsShareFeedQueries(t *testing.T) {
	p := newProgressFixture(t)
	_, _, start := p.readFeed(t, p.coordinator, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const perScope, changes = 25, 5
	var streams []<-chan sseEvent
	for range perScope {
		streams = append(streams, p.openStream(t, ctx, p.anonymous, start), p.openStream(t, ctx, p.partner, start))
	}
	// Two changes every stream has delivered: past the first, each follows the shared feed.
	for _, code := range []string{"w.1", "w.2"} {
		id := p.createIndicator(code)
		for _, events := range streams {
			awaitEvent(t, events, id)
		}
	}
	queries := p.countStatements("feed_horizon")
	for i := range changes {
		id := p.createIndicator(fmt.Sprintf("q.%d", i))
		for _, events := range streams {
			awaitEvent(t, events, id)
		}
	}
	// Each change wakes the reader at least once; a transaction still running may hold a
	// change back for one more round.
	if n := queries.Load(); n == 0 || n > 2*2*changes {
		t.Errorf("%d streams of 2 scopes: %d feed queries for %d changes", len(streams), n, changes)
	}
}

// TestStreamsMissNothingWhileChangesCommit: streams opened from various cursors while changes
// commit deliver exactly what the feed lists after their cursor, without a gap or a repeat,
// as they go from catching up to following the shared feed.
func TestStreamsMissNothingWhileChangesCommit(t *testing.T) {
	p := newProgressFixture(t)
	_, _, start := p.readFeed(t, p.coordinator, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	writing := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(writing)
		for i := range 60 {
			p.createIndicator(fmt.Sprintf("c.%d", i))
		}
	})
	type opened struct {
		c      caller
		after  int64
		events <-chan sseEvent
	}
	var streams []opened
	for i := 0; ; i++ {
		select {
		case <-writing:
		default:
			// Each opens at where the feed stands now, or where the last opened one did.
			after := start
			if i%2 == 0 {
				_, _, after = p.readFeed(t, p.coordinator, start)
			} else if len(streams) > 0 {
				after = streams[len(streams)-1].after
			}
			for _, c := range []caller{p.anonymous, p.partner} {
				streams = append(streams, opened{c: c, after: after, events: p.openStream(t, ctx, c, after)})
			}
			continue
		}
		break
	}
	wg.Wait()
	last := p.createIndicator("c.last")
	for _, s := range streams {
		want, _ := p.awaitFeed(t, s.c, s.after, last)
		if got := awaitEvent(t, s.events, last); !slices.Equal(got, want) {
			t.Fatalf("a stream from %d delivered %v, the feed lists %v", s.after, got, want)
		}
	}
	if len(streams) < 4 {
		t.Errorf("only %d streams opened while changes committed", len(streams))
	}
}
