package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"

	"github.com/naptracker/naptracker/internal/changefeed"
	"github.com/naptracker/naptracker/internal/nap"
)

// Change is an entry of the change feed.
type Change struct {
	ID         int64     `json:"id" doc:"Resume after this change: after=<id>, or Last-Event-ID on the stream"`
	At         time.Time `json:"at"`
	EntityType string    `json:"entity_type" enum:"organization,recommendation,plan,reporting_period,measure,indicator,progress_update,evidence"`
	EntityID   string    `json:"entity_id" format:"uuid"`
	Op         string    `json:"op" enum:"created,updated,deleted"`
}

func toChange(c nap.Change) Change { return Change(c) }

// ListChangesInput asks for changes after a cursor.
type ListChangesInput struct {
	After int64 `query:"after" minimum:"0" doc:"The id of the last change already seen; 0 or absent for the start"`
	Limit int   `query:"limit" default:"100" minimum:"1" maximum:"500"`
}

// ChangeList is a run of the change feed.
type ChangeList struct {
	Items      []Change `json:"items"`
	NextCursor int64    `json:"next_cursor" doc:"Pass as after to read on; it stays put when nothing new is visible yet"`
	More       bool     `json:"more" doc:"Whether more changes can be read now"`
}

// StreamChangesInput says where a stream resumes.
type StreamChangesInput struct {
	After       int64 `query:"after" minimum:"0" doc:"The id of the last change already seen"`
	LastEventID int64 `header:"Last-Event-ID" minimum:"0" doc:"Sent by an EventSource on reconnection; wins over after"`
}

// Heartbeat says a stream is alive and where it stands; it is sent when the stream opens and
// when it has been quiet a while.
type Heartbeat struct {
	Cursor int64 `json:"cursor" doc:"The id of the last change sent, or where the stream started"`
}

// Waker wakes whoever waits on it when something happens.
type Waker = changefeed.Waker

// streamHeartbeat is how long a stream stays quiet before it says it is alive.
const streamHeartbeat = 5 * time.Second

func registerChanges(api huma.API, d Deps) {
	register(api, d, renders[ChangeList](api, huma.Operation{
		OperationID: "list-changes",
		Method:      http.MethodGet,
		Path:        "/changes",
		Summary:     "Read the change feed",
		Description: "Changes the caller may see, oldest first, after a cursor. Follow next_cursor to miss none: a change shows up only once every transaction that could come before it has finished, so none is ever skipped or shown uncommitted. Anonymous callers see public changes.",
		Tags:        []string{tagChanges},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}), access{public: true}, func(ctx context.Context, in *ListChangesInput) (*RenderedOutput, error) {
		body, err := d.Service.ListChangesJSON(ctx, in.After, in.Limit)
		if err != nil {
			return nil, err
		}
		return &RenderedOutput{Body: sendJSON(body)}, nil
	})

	streams := newStreamSlots(d.Limits)
	if d.Observer != nil {
		streams.report = d.Observer.StreamsOpen
	}
	op := guarded(api, d, huma.Operation{
		OperationID: "stream-changes",
		Method:      http.MethodGet,
		Path:        "/changes/stream",
		Summary:     "Stream the change feed",
		Description: "The change feed as server-sent events, each event's id the change's id: reconnecting with Last-Event-ID resumes without loss. " +
			"Woken by the database as changes commit. What it delivers follows the caller's access as it is now, as polling the feed would: " +
			"a change of the caller's roles narrows or widens it within a second, and a revoked or expired token or a deactivated user ends it. " +
			"A token, or an anonymous client's address, holds a limited number of streams at once (429 beyond, with Retry-After).",
		Tags:   []string{tagChanges},
		Errors: []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true})
	op.Middlewares = append(op.Middlewares, streams.hold(api))
	defer eventNamesAsEnums(api, op.OperationID)
	sse.Register(api, op, map[string]any{"change": Change{}, "heartbeat": Heartbeat{}}, func(ctx context.Context, in *StreamChangesInput, send sse.Sender) {
		streamChanges(ctx, d, max(in.After, in.LastEventID), send)
	})
}

// streamChanges sends the changes after cursor as the caller may see them, until the client
// goes, the server stops, or the caller's token stops working. It catches up by its own
// queries, then follows the server's one reader of the feed (d.Feed) along with every stream
// of the same scope; it catches up again when the caller's scope changes or when it fell
// behind. Before each delivery, and whenever access changes, the caller is looked up again,
// so that what it sees follows its access as it is now.
func streamChanges(ctx context.Context, d Deps, cursor int64, send sse.Sender) {
	if send.Data(Heartbeat{Cursor: cursor}) != nil {
		return
	}
	s := &changeStream{d: d, send: send, cursor: cursor, heartbeat: time.NewTimer(streamHeartbeat)}
	defer s.heartbeat.Stop()
	for {
		// Waited on before reading, so that no wake-up falls in between.
		accessChanged := d.Access.Wait()
		now, err := d.Service.Recheck(ctx)
		if err != nil || !s.catchUp(now) || !s.follow(now, accessChanged) {
			return
		}
	}
}

// changeStream is one open change stream.
type changeStream struct {
	d         Deps
	send      sse.Sender
	cursor    int64 // the last change sent, or where the stream started
	heartbeat *time.Timer
}

// catchUp sends, by the stream's own queries, what the caller of ctx may see after the
// cursor; false when the stream ends.
func (s *changeStream) catchUp(ctx context.Context) bool {
	for {
		p, err := s.d.Service.ListChanges(ctx, s.cursor, 100)
		if err != nil || !s.sendAll(p.Items) {
			return false
		}
		if !p.More {
			return true
		}
	}
}

// follow sends what the feed's reader delivers for the scope of ctx's caller while that
// caller's access leaves the scope as it is; true when the stream must catch up by itself
// again (its scope changed, or it fell behind), false when it ends.
func (s *changeStream) follow(ctx context.Context, accessChanged <-chan struct{}) bool {
	scope := s.d.Service.Scope(ctx)
	key := scope.Key()
	f := s.d.Feed.Follow(scope, s.cursor)
	defer f.Close()
	expires := expiry(ctx)
	for {
		var pending []nap.Change
		select {
		case <-ctx.Done():
			return false
		case <-s.d.Stopping:
			return false
		case <-s.heartbeat.C:
			if s.send.Data(Heartbeat{Cursor: s.cursor}) != nil {
				return false
			}
			s.heartbeat.Reset(streamHeartbeat)
			continue
		case batch, ok := <-f.C:
			if !ok {
				return true // it fell behind
			}
			pending = batch
		case <-accessChanged:
			accessChanged = s.d.Access.Wait()
		case <-expires:
			expires = nil
		}
		// A batch, a change of access or the token's expiry: the caller still reads what it
		// did, or the stream stops or catches up anew.
		if same, err := s.sameScope(ctx, key); err != nil || !same {
			return err == nil
		}
		if !s.sendAll(pending) {
			return false
		}
	}
}

// sameScope looks ctx's caller up again and reports whether it reads what key names; an error
// when its token no longer works.
func (s *changeStream) sameScope(ctx context.Context, key string) (bool, error) {
	now, err := s.d.Service.Recheck(ctx)
	if err != nil {
		return false, err
	}
	return s.d.Service.Scope(now).Key() == key, nil
}

func (s *changeStream) sendAll(items []nap.Change) bool {
	for _, c := range items {
		if s.send(sse.Message{ID: int(c.ID), Data: toChange(c)}) != nil {
			return false
		}
		s.cursor = c.ID
	}
	if len(items) > 0 {
		s.heartbeat.Reset(streamHeartbeat)
	}
	return true
}

// expiry fires when the token of ctx's caller expires; never for anonymous callers and tokens
// that do not expire.
func expiry(ctx context.Context) <-chan time.Time {
	if a := nap.ActorFromContext(ctx); a != nil && a.TokenExpires != nil {
		return time.After(time.Until(*a.TokenExpires))
	}
	return nil
}

// streamSlots bounds the streams open at once: per token (or, for anonymous clients, per
// address) and in all.
type streamSlots struct {
	perClient, total int // 0: no bound

	mu     sync.Mutex
	open   map[string]int
	opened int
	report func(opened int) // when set, told of opened whenever it changes
}

// streamRetry is how long a client refused a stream is asked to wait.
const streamRetry = 10

func newStreamSlots(l Limits) *streamSlots {
	return &streamSlots{perClient: l.StreamsPerClient, total: l.Streams, open: map[string]int{}}
}

// hold is the stream operation's middleware: it takes a slot for the stream's life, or
// answers 429.
func (s *streamSlots) hold(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		key := "ip:" + clientIP(ctx.RemoteAddr())
		if a := nap.ActorFromContext(ctx.Context()); a != nil {
			key = "token:" + a.TokenID
		}
		if err := s.take(key); err != nil {
			ctx.SetHeader("Retry-After", strconv.Itoa(streamRetry))
			writeError(api, ctx, err)
			return
		}
		defer s.give(key)
		next(ctx)
	}
}

func (s *streamSlots) take(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.total > 0 && s.opened >= s.total:
		return nap.Errorf(nap.ETOOMANY, "the server holds as many streams as it may; retry in %d s", streamRetry)
	case s.perClient > 0 && s.open[key] >= s.perClient:
		return nap.Errorf(nap.ETOOMANY, "you hold %d streams already, as many as one client may; close one or retry in %d s", s.perClient, streamRetry)
	}
	s.open[key]++
	s.opened++
	s.changed()
	return nil
}

func (s *streamSlots) give(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened--
	if s.open[key]--; s.open[key] == 0 {
		delete(s.open, key)
	}
	s.changed()
}

func (s *streamSlots) changed() {
	if s.report != nil {
		s.report(s.opened)
	}
}

// eventNamesAsEnums rewrites the event names of a registered stream from const, which the
// OpenAPI 3.0 document may not carry, to one-value enums, which both versions read alike.
func eventNamesAsEnums(api huma.API, operationID string) {
	for _, item := range api.OpenAPI().Paths {
		if op := item.Get; op != nil && op.OperationID == operationID {
			for _, mt := range op.Responses["200"].Content {
				if mt.Schema == nil || mt.Schema.Items == nil {
					continue
				}
				events, _ := mt.Schema.Items.Extensions["oneOf"].([]*huma.Schema)
				for _, event := range events {
					if name := event.Properties["event"]; name != nil && name.Extensions["const"] != nil {
						name.Enum = []any{name.Extensions["const"]}
						delete(name.Extensions, "const")
					}
				}
			}
		}
	}
}
