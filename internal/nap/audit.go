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
	RequestID  string          // the server's id of the request that made the change
	// ClientRequestID is the id the client gave that request, if any: its own label, which
	// names no request by itself.
	ClientRequestID string
	PrevHash        string
	Hash            string
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

// AuditVerification is the result of checking the trail: re-walking the chain, re-hashing
// stored evidence, and checking the trail against signed checkpoints.
type AuditVerification struct {
	Events          int64
	Head            string // hash of the last link
	FirstInvalidSeq *int64 // the first link whose hash or link to the previous one is wrong
	// Evidence lists the evidence whose stored bytes no longer hash to its recorded digest.
	Evidence []string
	// Checkpoints is how many signed checkpoints the trail was checked against.
	Checkpoints int
	// Problems says, in words, everything found wrong; none when the trail holds.
	Problems []string
}

// Valid reports whether nothing was found wrong.
func (v AuditVerification) Valid() bool { return len(v.Problems) == 0 }

// Checkpoint is a signed statement of the audit trail's head: the hash of the event at Seq,
// as it was at SignedAt, signed with the Ed25519 key whose public half is PublicKey.
type Checkpoint struct {
	Seq       int64
	Head      string
	SignedAt  time.Time
	KeyID     string // the first 16 hex digits of the SHA-256 of PublicKey
	PublicKey []byte
	Signature []byte
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
