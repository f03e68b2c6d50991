package service

import (
	"context"

	"github.com/naptracker/naptracker/internal/nap"
)

// ListPlans returns a page of the plans the caller may read that match f.
func (s *Service) ListPlans(ctx context.Context, f nap.PlanFilter, page nap.PageRequest) (nap.Page[nap.Plan], error) {
	return s.store.ListPlans(ctx, s.scope(ctx), f, page)
}

// GetPlan returns a plan; ENOTFOUND if there is none or the caller may not read it.
func (s *Service) GetPlan(ctx context.Context, id string) (nap.Plan, error) {
	return s.store.GetPlan(ctx, s.scope(ctx), id)
}

// ListPeriods returns a page of a plan's reporting periods.
func (s *Service) ListPeriods(ctx context.Context, planID string, page nap.PageRequest) (nap.Page[nap.ReportingPeriod], error) {
	return s.store.ListPeriods(ctx, s.scope(ctx), planID, page)
}

// PlanSummary counts a plan's measures by status, lead, article and recommendation, as the
// database renders the counts.
func (s *Service) PlanSummary(ctx context.Context, planID string) ([]byte, error) {
	return s.store.PlanSummaryJSON(ctx, s.scope(ctx), planID, s.today())
}
