package service

import (
	"context"

	"github.com/naptracker/naptracker/internal/nap"
)

// AuditStore reads the audit trail, which the database writes with every change.
type AuditStore interface {
	ListAuditEvents(ctx context.Context, f nap.AuditFilter, page nap.PageRequest) (nap.Page[nap.AuditEvent], error)
	MeasureHistory(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.AuditEvent], error)
	VerifyAudit(ctx context.Context) (nap.AuditVerification, error)
	ListChanges(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error)
	EditedUpdate(ctx context.Context, userID, updateID string) (bool, error)
}

// ListAuditEvents returns a page of the audit trail.
func (s *Service) ListAuditEvents(ctx context.Context, f nap.AuditFilter, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	if f.Since != nil && f.Until != nil && !f.Until.After(*f.Since) {
		return nap.Page[nap.AuditEvent]{}, nap.Errorf(nap.EINVALID, "until must be after since")
	}
	return s.store.ListAuditEvents(ctx, f, page)
}

// MeasureHistory returns the changes of a measure and its progress updates that the caller
// may read.
func (s *Service) MeasureHistory(ctx context.Context, measureID string, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	return s.store.MeasureHistory(ctx, s.scope(ctx), measureID, page)
}

// VerifyAudit re-walks the audit chain.
func (s *Service) VerifyAudit(ctx context.Context) (nap.AuditVerification, error) {
	return s.store.VerifyAudit(ctx)
}

// ListChanges returns the changes the caller may see after the change after, oldest first.
func (s *Service) ListChanges(ctx context.Context, after int64, limit int) (nap.ChangePage, error) {
	return s.store.ListChanges(ctx, s.scope(ctx), after, limit)
}
