package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"

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

// ChangesOutput is a page of the change feed.
type ChangesOutput struct {
	Body ChangeList
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

// Waker wakes change-feed streams when a change is committed.
type Waker interface {
	Wait() <-chan struct{}
}

// streamRecheck bounds how long a stream waits without a notification, for changes held back
// by a transaction that was still running when the last notification came.
const streamRecheck = 5 * time.Second

func registerChanges(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "list-changes",
		Method:      http.MethodGet,
		Path:        "/changes",
		Summary:     "Read the change feed",
		Description: "Changes the caller may see, oldest first, after a cursor. Follow next_cursor to miss none: a change shows up only once every transaction that could come before it has finished, so none is ever skipped or shown uncommitted. Anonymous callers see public changes.",
		Tags:        []string{tagChanges},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListChangesInput) (*ChangesOutput, error) {
		p, err := d.Service.ListChanges(ctx, in.After, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &ChangesOutput{}
		out.Body.Items, out.Body.NextCursor, out.Body.More = convert(p.Items, toChange), p.Next, p.More
		return out, nil
	})

	op := guarded(api, d, huma.Operation{
		OperationID: "stream-changes",
		Method:      http.MethodGet,
		Path:        "/changes/stream",
		Summary:     "Stream the change feed",
		Description: "The change feed as server-sent events, each event's id the change's id: reconnecting with Last-Event-ID resumes without loss. Woken by the database as changes commit.",
		Tags:        []string{tagChanges},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true})
	defer eventNamesAsEnums(api, op.OperationID)
	sse.Register(api, op, map[string]any{"change": Change{}, "heartbeat": Heartbeat{}}, func(ctx context.Context, in *StreamChangesInput, send sse.Sender) {
		cursor := max(in.After, in.LastEventID)
		if send.Data(Heartbeat{Cursor: cursor}) != nil {
			return
		}
		for {
			wake := d.Changes.Wait() // before reading, so that no notification falls in between
			p, err := d.Service.ListChanges(ctx, cursor, 100)
			if err != nil {
				return
			}
			for _, c := range p.Items {
				if send(sse.Message{ID: int(c.ID), Data: toChange(c)}) != nil {
					return
				}
				cursor = c.ID
			}
			if p.More {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-time.After(streamRecheck):
				// A stream ends when its token stops working.
				if ok, err := d.Service.StillAuthenticated(ctx); err != nil || !ok {
					return
				}
				if send.Data(Heartbeat{Cursor: cursor}) != nil {
					return
				}
			}
		}
	})
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
