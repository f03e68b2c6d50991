package nap

import (
	"encoding/json"
	"time"
)

// AuditEvent is one link of the audit trail: a change to one object, who made it, and the
// object before and after, chained to the previous link by its hash.
type AuditEvent struct {
	Seq        int64
	At         time.Time
	ActorID    string
	Action     string // entity.verb, such as measure.update or progress_update.state.approved
	EntityType string
	EntityID   string
	Before     json.RawMessage // null for a creation
	After      json.RawMessage // null for a deletion
	RequestID  string
	PrevHash   string
	Hash       string
}

// AuditFilter narrows the audit trail; zero fields do not filter.
type AuditFilter struct {
	EntityType string
	EntityID   string
	ActorID    string
	Action     string
	Since      *time.Time
	Until      *time.Time
}

// AuditVerification is the result of re-walking the chain.
type AuditVerification struct {
	Valid           bool
	Events          int64
	Head            string // hash of the last link
	FirstInvalidSeq *int64 // the first link whose hash or link to the previous one is wrong
}

// Change is an entry of the change feed: an object that was created, updated or deleted.
type Change struct {
	ID         int64 // the feed's cursor: resume after it
	At         time.Time
	EntityType string
	EntityID   string
	Op         string // created, updated or deleted
}

// ChangePage is a page of the feed. Next is where to resume; More says whether more
// changes can be read now.
type ChangePage struct {
	Items []Change
	Next  int64
	More  bool
}
