// Package service holds naptracker's use cases. It decides who may read what and owns the
// rules that span more than one object; it declares the storage it needs as interfaces.
package service

import (
	"context"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Store reads naptracker's data. Every method that reads plan content takes the caller's
// scope, and the store, not its callers, keeps out what the scope may not read.
type Store interface {
	ListOrganizations(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Organization], error)
	GetOrganization(ctx context.Context, code string) (nap.Organization, error)
	ListSourceDocuments(ctx context.Context, page nap.PageRequest) (nap.Page[nap.SourceDocument], error)
	ListRecommendations(ctx context.Context, f nap.RecommendationFilter, page nap.PageRequest) (nap.Page[nap.Recommendation], error)
	GetRecommendation(ctx context.Context, id string) (nap.Recommendation, error)
	ListPlans(ctx context.Context, scope nap.Scope, f nap.PlanFilter, page nap.PageRequest) (nap.Page[nap.Plan], error)
	GetPlan(ctx context.Context, scope nap.Scope, id string) (nap.Plan, error)
	ListPeriods(ctx context.Context, scope nap.Scope, planID string, page nap.PageRequest) (nap.Page[nap.ReportingPeriod], error)
	ListMeasures(ctx context.Context, scope nap.Scope, planID string, f nap.MeasureFilter, today time.Time, page nap.PageRequest) (nap.Page[nap.Measure], error)
	GetMeasure(ctx context.Context, scope nap.Scope, id string, today time.Time) (nap.Measure, error)
	ListIndicators(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.Indicator], error)
	PlanSummary(ctx context.Context, scope nap.Scope, planID string, today time.Time) (nap.PlanSummary, error)
}

// Service carries out naptracker's use cases.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns a Service over store. now tells the time; nil means the system clock.
func New(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// today is the date against which deadlines are judged, in UTC.
func (s *Service) today() time.Time {
	y, m, d := s.now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// scope is what the caller of ctx may read. Until callers authenticate, everyone reads what
// the public reads: nothing of a plan still in draft.
func (s *Service) scope(context.Context) nap.Scope {
	return nap.Scope{}
}
