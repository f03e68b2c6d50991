package service

import (
	"context"

	"github.com/naptracker/naptracker/internal/nap"
)

// ListMeasures returns a page of a plan's measures that match f, as the database renders it.
func (s *Service) ListMeasures(ctx context.Context, planID string, f nap.MeasureFilter, page nap.PageRequest) (nap.JSONPage, error) {
	if f.DueBefore != nil && f.DueAfter != nil && f.DueAfter.After(*f.DueBefore) {
		return nap.JSONPage{}, nap.Errorf(nap.EINVALID, "due_after (%s) is later than due_before (%s)",
			f.DueAfter.Format(nap.DateLayout), f.DueBefore.Format(nap.DateLayout))
	}
	return s.store.ListMeasuresJSON(ctx, s.scope(ctx), planID, f, s.today(), page)
}

// GetMeasure returns a measure; ENOTFOUND if there is none or the caller may not read it.
func (s *Service) GetMeasure(ctx context.Context, id string) (nap.Measure, error) {
	return s.store.GetMeasure(ctx, s.scope(ctx), id, s.today())
}

// GetMeasureJSON returns a measure as the database renders it, with the state its ETag is
// made of; ENOTFOUND if there is none or the caller may not read it.
func (s *Service) GetMeasureJSON(ctx context.Context, id string) ([]byte, nap.MeasureState, error) {
	return s.store.GetMeasureJSON(ctx, s.scope(ctx), id, s.today())
}

// MeasureVersion returns a measure's version, its status as the caller sees it and whether it
// is overdue today: what its ETag is made of. ENOTFOUND if there is none or the caller may not
// read it.
func (s *Service) MeasureVersion(ctx context.Context, id string) (nap.MeasureState, error) {
	return s.store.MeasureVersion(ctx, s.scope(ctx), id, s.today())
}

// ListIndicators returns a page of a measure's indicators.
func (s *Service) ListIndicators(ctx context.Context, measureID string, page nap.PageRequest) (nap.Page[nap.Indicator], error) {
	return s.store.ListIndicators(ctx, s.scope(ctx), measureID, page)
}
