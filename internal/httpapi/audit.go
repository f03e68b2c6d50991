package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// AuditEvent is one link of the audit trail.
type AuditEvent struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    string          `json:"actor_id,omitempty" format:"uuid" doc:"Absent for changes made outside the API (the reference data, an operator)"`
	Action     string          `json:"action" example:"progress_update.state.approved"`
	EntityType string          `json:"entity_type" example:"progress_update"`
	EntityID   string          `json:"entity_id,omitempty" format:"uuid"`
	Before     json.RawMessage `json:"before" doc:"The object before the change; null when created"`
	After      json.RawMessage `json:"after" doc:"The object after the change; null when deleted"`
	RequestID  string          `json:"request_id,omitempty"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash" doc:"SHA-256 of the previous hash and this event, as the chain's verification recomputes it"`
}

func toAuditEvent(e nap.AuditEvent) AuditEvent { return AuditEvent(e) }

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

// AuditVerification says whether the audit chain is whole.
type AuditVerification struct {
	Valid           bool   `json:"valid"`
	Events          int64  `json:"events"`
	Head            string `json:"head" doc:"Hash of the last event"`
	FirstInvalidSeq *int64 `json:"first_invalid_seq" doc:"The first event whose hash or link is wrong; null when the chain is whole"`
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
		v, err := d.Service.VerifyAudit(ctx)
		if err != nil {
			return nil, err
		}
		out := &VerifyOutput{}
		out.Body.Valid, out.Body.Events, out.Body.Head, out.Body.FirstInvalidSeq = v.Valid, v.Events, v.Head, v.FirstInvalidSeq
		return out, nil
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
