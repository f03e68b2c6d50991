package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

type feedPage struct {
	Items []struct {
		ID         int64
		EntityType string `json:"entity_type"`
		EntityID   string `json:"entity_id"`
		Op         string
	}
	NextCursor int64 `json:"next_cursor"`
	More       bool
}

// readFeed reads the feed as c from after until nothing more can be read now.
func (p *progressFixture) readFeed(t testing.TB, c caller, after int64) ([]int64, map[string]bool, int64) {
	t.Helper()
	var ids []int64
	entities := map[string]bool{}
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/changes?after=%d&limit=7", p.srv.URL, after), nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := p.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page feedPage
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("feed after %d: %d %v", after, res.StatusCode, err)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
			entities[it.EntityID] = true
		}
		after = page.NextCursor
		if !page.More {
			return ids, entities, after
		}
	}
}

func TestChangeFeedVisibility(t *testing.T) {
	p := newProgressFixture(t)
	_, _, start := p.readFeed(t, p.coordinator, 0)
	id, _ := p.draft(p.author)
	seen := p.feedsPast(t, start, p.createIndicator("feed.1"), p.anonymous, p.partner, p.coordinator, p.stranger, p.viewer)
	if seen[p.anonymous.name][id] || seen[p.partner.name][id] || seen[p.stranger.name][id] || !seen[p.coordinator.name][id] || !seen[p.viewer.name][id] {
		t.Fatalf("a draft's change seen by anonymous %v, partner %v, another ministry %v; by the coordinator %v, its organization %v",
			seen[p.anonymous.name][id], seen[p.partner.name][id], seen[p.stranger.name][id], seen[p.coordinator.name][id], seen[p.viewer.name][id])
	}
	// Published to partners: partners now see it, the public still not.
	for _, step := range []struct {
		who  caller
		verb string
	}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		p.expectStatus(step.who, 200, "POST", "/v1/updates/"+id+"/"+step.verb, nil)
	}
	seen = p.feedsPast(t, start, p.createIndicator("feed.2"), p.anonymous, p.partner)
	if seen[p.anonymous.name][id] || !seen[p.partner.name][id] {
		t.Fatalf("after publication to partners: anonymous %v, partner %v", seen[p.anonymous.name][id], seen[p.partner.name][id])
	}
}

// feedsPast reads each caller's feed after start until it lists marker, a public change made
// after those under test, and returns the entities each read listed by caller name. Whether
// a feed lists an earlier change then depends only on who reads it: a read that got past the
// marker was not holding that change back. (A feed may hold changes back for a moment even
// after another read listed them: a transaction of another database that ends while the
// horizon is worked out counts as one of this database.)
func (p *progressFixture) feedsPast(t *testing.T, start int64, marker string, callers ...caller) map[string]map[string]bool {
	t.Helper()
	seen := map[string]map[string]bool{}
	for _, c := range callers {
		_, seen[c.name] = p.awaitFeed(t, c, start, marker)
	}
	return seen
}

// awaitFeed reads c's feed after start until it lists a change of entity, which a transaction
// still running elsewhere may hold back a moment, and returns that read's change ids and
// entities.
func (p *progressFixture) awaitFeed(t *testing.T, c caller, start int64, entity string) ([]int64, map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ids, entities, _ := p.readFeed(t, c, start)
		if entities[entity] {
			return ids, entities
		}
		if time.Now().After(deadline) {
			t.Fatalf("no change of %s in the feed of %s within 30 s", entity, c.name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChangeFeedNeverSkips: writers commit while readers follow the feed; the union of what
// the readers saw is exactly the changes committed, each once. A transaction that started
// first but commits last holds the feed back instead of being skipped.
func TestChangeFeedNeverSkips(t *testing.T) {
	p := newProgressFixture(t)
	_, _, start := p.readFeed(t, p.coordinator, 0)

	// A slow writer: its change is in a transaction older than the others', committed last.
	slow := p.db.Gorm().Begin()
	slowEntity := uuid.NewString()
	if err := slow.Exec(`INSERT INTO changes (entity_type, entity_id, op, visibility) VALUES ('measure', ?, 'updated', 'public')`, slowEntity).Error; err != nil {
		t.Fatal(err)
	}

	// Eight writers, each drafting and taking through review its own updates, one period each.
	const writers, each = 8, 2
	periods := make([]string, writers)
	for w := range writers {
		y := 2600 + w
		b := p.expectStatus(p.coordinator, 201, "POST", "/v1/plans/"+p.planID+"/periods", map[string]any{"label": fmt.Sprintf("%d-Y", y),
			"starts_on": fmt.Sprintf("%d-01-01", y), "ends_on": fmt.Sprintf("%d-12-31", y), "due_on": fmt.Sprintf("%d-01-31", y+1)})
		var period struct{ ID string }
		_ = json.Unmarshal(b, &period)
		periods[w] = period.ID
	}
	_, _, start = p.readFeed(t, p.coordinator, start)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				res, b := p.send("POST", "/v1/measures/"+p.measureID+"/updates", map[string]any{"period_id": periods[w],
					"proposed_status": "ongoing", "visibility": "public"}, p.author.auth()...)
				if res.StatusCode != http.StatusCreated {
					t.Errorf("writer %d: %d %s", w, res.StatusCode, b)
					return
				}
				var u struct{ ID string }
				_ = json.Unmarshal(b, &u)
				for _, step := range []struct {
					who  caller
					verb string
				}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
					if res, b := p.send("POST", "/v1/updates/"+u.ID+"/"+step.verb, nil, step.who.auth()...); res.StatusCode != 200 {
						t.Errorf("writer %d, %s: %d %s", w, step.verb, res.StatusCode, b)
						return
					}
				}
			}
		})
	}
	seen := make([]map[int64]int, 2)
	stop := make(chan struct{})
	var lastCommitted atomic.Int64
	var readers sync.WaitGroup
	for r := range seen {
		seen[r] = map[int64]int{}
		readers.Go(func() {
			cursor := start
			for {
				ids, _, next := p.readFeed(t, p.coordinator, cursor)
				for _, id := range ids {
					seen[r][id]++
				}
				cursor = next
				select {
				case <-stop:
					// Read on until the last change committed shows up.
					for deadline := time.Now().Add(30 * time.Second); seen[r][lastCommitted.Load()] == 0 && time.Now().Before(deadline); {
						ids, _, next := p.readFeed(t, p.coordinator, cursor)
						for _, id := range ids {
							seen[r][id]++
						}
						cursor = next
						time.Sleep(20 * time.Millisecond)
					}
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
	// The writers are done, but the slow transaction holds the feed back.
	ids, _, _ := p.readFeed(t, p.coordinator, start)
	var slowID int64
	if err := slow.Raw(`SELECT id FROM changes WHERE entity_id = ?`, slowEntity).Scan(&slowID).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id > slowID {
			t.Fatalf("change %d, of a transaction younger than one still running, was shown", id)
		}
	}
	if err := slow.Commit().Error; err != nil {
		t.Fatal(err)
	}
	var lastID int64
	if err := p.db.Gorm().Raw(`SELECT id FROM changes ORDER BY xid DESC, id DESC LIMIT 1`).Scan(&lastID).Error; err != nil {
		t.Fatal(err)
	}
	lastCommitted.Store(lastID)
	close(stop)
	readers.Wait()

	var committed []int64
	// Committed after the readers' start, in the feed's order.
	if err := p.db.Gorm().Raw(`SELECT id FROM changes WHERE (xid, id) > (SELECT xid, id FROM changes WHERE id = ?) ORDER BY id`,
		start).Scan(&committed).Error; err != nil {
		t.Fatal(err)
	}
	if len(committed) < writers*each*4 {
		t.Fatalf("only %d changes committed", len(committed))
	}
	for r, s := range seen {
		for _, id := range committed {
			if s[id] != 1 {
				t.Errorf("reader %d saw change %d %d times", r, id, s[id])
			}
		}
		if len(s) != len(committed) {
			t.Errorf("reader %d saw %d changes, %d were committed", r, len(s), len(committed))
		}
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	id   int64
	data string
}

// openStream connects to the change stream and returns its events as they come.
func (p *progressFixture) openStream(t *testing.T, ctx context.Context, c caller, lastEventID int64) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.srv.URL+"/v1/changes/stream", nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if lastEventID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastEventID, 10))
	}
	res, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 1000)
	go func() {
		defer res.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				e.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "data: "):
				e.data = strings.TrimPrefix(line, "data: ")
			case line == "" && e.data != "":
				events <- e
				e = sseEvent{}
			}
		}
	}()
	return events
}

func TestChangeStream(t *testing.T) {
	p := newProgressFixture(t)
	_, _, start := p.readFeed(t, p.coordinator, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // an open stream would keep the test server from closing
	events := p.openStream(t, ctx, p.coordinator, start)

	first := p.createIndicator("s.1")
	delivered := awaitEvent(t, events, first)
	last := delivered[len(delivered)-1]
	cancel()

	// Changes made while disconnected arrive on reconnection with Last-Event-ID.
	missed := []string{p.createIndicator("s.2"), p.createIndicator("s.3")}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	events = p.openStream(t, ctx2, p.coordinator, last)
	for _, entity := range missed {
		awaitEvent(t, events, entity)
	}
	// And the stream goes on with what comes next.
	awaitEvent(t, events, p.createIndicator("s.4"))
}

// TestPublishingAPlanAnnouncesItsContent: what was prepared in a draft plan shows up in the
// public feed when the plan is adopted.
func TestPublishingAPlanAnnouncesItsContent(t *testing.T) {
	p := newProgressFixture(t)
	_, _, start := p.readFeed(t, p.coordinator, 0)
	var plan struct{ ID string }
	_ = json.Unmarshal(p.expectStatus(p.coordinator, 201, "POST", "/v1/plans", map[string]any{"code": "DRAFT-FEED",
		"title": map[string]string{"en": "Next plan"}, "period_start": "2030-01-01", "period_end": "2031-12-31"}), &plan)
	var m struct{ ID string }
	_ = json.Unmarshal(p.expectStatus(p.coordinator, 201, "POST", "/v1/plans/"+plan.ID+"/measures", map[string]any{"code": "1.1",
		"title": map[string]string{"en": "Prepared"}, "lead": "MS"}), &m)
	// Whether the public feed lists them, once it lists a public change made after them.
	_, seen := p.awaitFeed(t, p.anonymous, start, p.createIndicator("feed.1"))
	if seen[m.ID] || seen[plan.ID] {
		t.Fatal("the public feed shows a draft plan's content")
	}
	res, _ := p.get("/v1/plans/"+plan.ID, p.coordinator.auth()...)
	p.expectStatus(p.coordinator, 200, "PATCH", "/v1/plans/"+plan.ID, map[string]any{"status": "adopted"}, "If-Match", res.Header.Get("ETag"))
	_, seen = p.awaitFeed(t, p.anonymous, start, p.createIndicator("feed.2"))
	if !seen[m.ID] || !seen[plan.ID] {
		t.Fatalf("after adoption the public feed shows the plan %v, its measure %v", seen[plan.ID], seen[m.ID])
	}
}
