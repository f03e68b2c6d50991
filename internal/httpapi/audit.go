package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/checkpoint"
	"github.com/naptracker/naptracker/internal/nap"
)

// AuditEvent is one link of the audit trail.
type AuditEvent struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id,omitempty" format:"uuid" doc:"Absent for changes made outside the API (the reference data, an operator)"`
	Action     string    `json:"action" example:"progress_update.state.approved"`
	EntityType string    `json:"entity_type" example:"progress_update"`
	EntityID   string    `json:"entity_id,omitempty" format:"uuid"`
	Before     Snapshot  `json:"before" doc:"The object before the change; null when created"`
	After      Snapshot  `json:"after" doc:"The object after the change; null when deleted"`
	RequestID  string    `json:"request_id,omitempty" doc:"The server's id of the request that made the change, as its X-Request-ID response header said"`
	// A client's own label, kept beside the server's id; it names no request by itself.
	ClientRequestID string `json:"client_request_id,omitempty" doc:"The X-Request-ID the client sent with that request, if any: the client's label, kept beside the server's id"`
	PrevHash        string `json:"prev_hash"`
	Hash            string `json:"hash" doc:"SHA-256 of the previous hash and this event, as the chain's verification recomputes it"`
}

func toAuditEvent(e nap.AuditEvent) AuditEvent {
	return AuditEvent{Seq: e.Seq, At: e.At, ActorID: e.ActorID, Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID,
		Before: Snapshot(e.Before), After: Snapshot(e.After), RequestID: e.RequestID, ClientRequestID: e.ClientRequestID,
		PrevHash: e.PrevHash, Hash: e.Hash}
}

// Snapshot is an object as the audit trail keeps it, or null where there is none.
type Snapshot json.RawMessage

// MarshalJSON writes the object as it is kept.
func (s Snapshot) MarshalJSON() ([]byte, error) { return json.RawMessage(s).MarshalJSON() }

// Schema is any object, or null.
func (Snapshot) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, Nullable: true, AdditionalProperties: true}
}

// ListAuditEventsInput filters the audit trail.
type ListAuditEventsInput struct {
	PageParams
	EntityType string    `query:"entity_type" maxLength:"64" example:"measure"`
	EntityID   string    `query:"entity_id" format:"uuid"`
	Actor      string    `query:"actor" format:"uuid" doc:"User id"`
	Action     string    `query:"action" maxLength:"64" example:"measure.update"`
	Since      time.Time `query:"since" doc:"Only events at or after this time"`
	Until      time.Time `query:"until" doc:"Only events before this time"`
}

// VerifyOutput is the result of re-walking the audit chain.
type VerifyOutput struct {
	Body AuditVerification
}

// AuditVerification says whether the audit trail holds.
type AuditVerification struct {
	Valid           bool     `json:"valid" doc:"Whether nothing was found wrong"`
	Events          int64    `json:"events"`
	Head            string   `json:"head" doc:"Hash of the last event"`
	FirstInvalidSeq *int64   `json:"first_invalid_seq" doc:"The first event whose hash or link is wrong; null when the chain is whole"`
	Evidence        []string `json:"evidence_mismatches" doc:"Evidence whose stored bytes no longer hash to its recorded SHA-256"`
	Checkpoints     int      `json:"checkpoints" doc:"How many signed checkpoints the trail was checked against"`
	Problems        []string `json:"problems" doc:"Everything found wrong, in words"`
}

// Checkpoint is a signed statement of the audit trail's head. Keep copies of them: a
// checkpoint proves later that the trail still reaches its event and was not rewritten before
// it (naptracker audit verify --checkpoint FILE).
type Checkpoint struct {
	Seq       int64     `json:"seq" doc:"The sequence number of the audit event it covers"`
	Head      string    `json:"head" doc:"That event's hash, in hex"`
	SignedAt  time.Time `json:"signed_at"`
	KeyID     string    `json:"key_id" doc:"The first 16 hex digits of the SHA-256 of the public key"`
	PublicKey string    `json:"public_key" doc:"The Ed25519 public key, base64"`
	Signature string    `json:"signature" doc:"Ed25519 signature, base64, of the text: naptracker audit checkpoint LF seq <seq> LF head <head> LF signed_at <signed_at, RFC 3339 with the fraction, UTC> LF"`
}

// CheckpointOf is a checkpoint as the API shows it.
func CheckpointOf(cp nap.Checkpoint) Checkpoint {
	return Checkpoint{Seq: cp.Seq, Head: cp.Head, SignedAt: cp.SignedAt, KeyID: cp.KeyID,
		PublicKey: base64.StdEncoding.EncodeToString(cp.PublicKey), Signature: base64.StdEncoding.EncodeToString(cp.Signature)}
}

// Nap is the checkpoint the API showed.
func (c Checkpoint) Nap() (nap.Checkpoint, error) {
	pub, err := base64.StdEncoding.DecodeString(c.PublicKey)
	if err != nil {
		return nap.Checkpoint{}, fmt.Errorf("public_key: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		return nap.Checkpoint{}, fmt.Errorf("signature: %w", err)
	}
	return nap.Checkpoint{Seq: c.Seq, Head: c.Head, SignedAt: c.SignedAt.UTC(), KeyID: c.KeyID, PublicKey: pub, Signature: sig}, nil
}

// AuditKeyOutput is the key checkpoints are signed with.
type AuditKeyOutput struct {
	Body AuditKey
}

// AuditKey is the public key checkpoints are signed with.
type AuditKey struct {
	Algorithm string `json:"algorithm" enum:"Ed25519"`
	KeyID     string `json:"key_id" doc:"The first 16 hex digits of the SHA-256 of the public key"`
	PublicKey string `json:"public_key" doc:"The raw 32-byte public key, base64"`
	PEM       string `json:"pem" doc:"The public key as a PEM block (SubjectPublicKeyInfo)"`
}

func registerAudit(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "list-audit-events",
		Method:      http.MethodGet,
		Path:        "/audit-events",
		Summary:     "List the audit trail",
		Description: "Every change, oldest first, with who made it, in which request, and the object before and after; filtered by entity, actor, action and time.",
		Tags:        []string{tagAudit},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.ReadAudit}, func(ctx context.Context, in *ListAuditEventsInput) (*PageOutput[AuditEvent], error) {
		f := nap.AuditFilter{EntityType: in.EntityType, EntityID: in.EntityID, ActorID: in.Actor, Action: in.Action}
		if !in.Since.IsZero() {
			f.Since = &in.Since
		}
		if !in.Until.IsZero() {
			f.Until = &in.Until
		}
		p, err := d.Service.ListAuditEvents(ctx, f, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toAuditEvent), nil
	})

	register(api, d, huma.Operation{
		OperationID: "verify-audit-chain",
		Method:      http.MethodGet,
		Path:        "/audit-events/verify",
		Summary:     "Verify the audit chain",
		Description: "Re-walks the whole chain: every event's hash must be what its content and the previous hash give. Reports the first event that breaks it.",
		Tags:        []string{tagAudit},
		Errors:      []int{internalError},
	}, access{permission: nap.ReadAudit}, func(ctx context.Context, _ *struct{}) (*VerifyOutput, error) {
		v, err := d.Service.VerifyAudit(ctx, nil, nil)
		if err != nil {
			return nil, err
		}
		return &VerifyOutput{Body: AuditVerification{Valid: v.Valid(), Events: v.Events, Head: v.Head, FirstInvalidSeq: v.FirstInvalidSeq,
			Evidence: nonNil(v.Evidence), Checkpoints: v.Checkpoints, Problems: nonNil(v.Problems)}}, nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-audit-checkpoints",
		Method:      http.MethodGet,
		Path:        "/audit/checkpoints",
		Summary:     "List the signed checkpoints of the audit trail",
		Description: "Newest first. The server signs its trail's head every few minutes when it has grown. Keep copies: each proves later that the trail still reaches its event and was not rewritten before it, which nobody, not even whoever runs the database, can then hide.",
		Tags:        []string{tagAudit},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *PageParams) (*PageOutput[Checkpoint], error) {
		p, err := d.Service.ListCheckpoints(ctx, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, CheckpointOf), nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-audit-public-key",
		Method:      http.MethodGet,
		Path:        "/audit/public-key",
		Summary:     "Get the key checkpoints are signed with",
		Description: "The Ed25519 public key that checks the signatures of the audit trail's checkpoints; 404 when the server signs none.",
		Tags:        []string{tagAudit},
		Errors:      []int{http.StatusNotFound, internalError},
	}, access{public: true}, func(ctx context.Context, _ *struct{}) (*AuditKeyOutput, error) {
		pub, err := d.Service.AuditKey()
		if err != nil {
			return nil, err
		}
		pemText, err := checkpoint.PublicPEM(pub)
		if err != nil {
			return nil, err
		}
		return &AuditKeyOutput{Body: AuditKey{Algorithm: "Ed25519", KeyID: checkpoint.ID(pub),
			PublicKey: base64.StdEncoding.EncodeToString(pub), PEM: pemText}}, nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-measure-history",
		Method:      http.MethodGet,
		Path:        "/measures/{id}/history",
		Summary:     "A measure's history",
		Description: "The changes of the measure, its organizations, recommendations and indicators, and of its progress updates as far as the caller may read them: an update's every step for its organization and the coordinating roles, its publication for others.",
		Tags:        []string{tagAudit},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListIndicatorsInput) (*PageOutput[AuditEvent], error) {
		p, err := d.Service.MeasureHistory(ctx, in.ID, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toAuditEvent), nil
	})
}
