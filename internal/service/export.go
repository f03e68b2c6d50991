package service

import (
	"context"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// ExportStore reads what exports and reports are made of.
type ExportStore interface {
	// Snapshot runs fn in a read-only transaction that sees one moment of the database.
	Snapshot(ctx context.Context, fn func(ctx context.Context) error) error
	AuditHead(ctx context.Context) (nap.AuditHead, error)
	PlanPeriod(ctx context.Context, planID, key string) (nap.ReportingPeriod, error)
	MatrixRows(ctx context.Context, scope nap.Scope, planID string, until *time.Time, day time.Time, page nap.PageRequest) (nap.Page[nap.MatrixRow], error)
	PlanRecommendations(ctx context.Context, planID string) ([]nap.Recommendation, error)
}

// matrixPage is how many measures a matrix reads per statement: few statements for a plan of
// any size, and bounded memory however large it is.
const matrixPage = 200

// Matrix reads a plan's implementation matrix as the caller may see it: start receives its
// heading once the plan (and the period, by id or label, when one is given) is found, then
// emit receives each row in code order, a page at a time. When Matrix fails before calling
// start, nothing was read. No transaction spans the pages, so that a client slow to take an
// export holds no connection: keyset pages still give every measure exactly once.
func (s *Service) Matrix(ctx context.Context, planID, period string, start func(nap.Matrix) error, emit func(nap.MatrixRow) error) error {
	scope := s.scope(ctx)
	plan, err := s.store.GetPlan(ctx, scope, planID)
	if err != nil {
		return err
	}
	m := nap.Matrix{Plan: plan, AsOf: s.today(), Read: s.now().UTC()}
	var until *time.Time
	if period != "" {
		p, err := s.store.PlanPeriod(ctx, planID, period)
		if err != nil {
			return err
		}
		m.Period, until = &p, &p.EndsOn
		// A period not yet over is judged as of today.
		if p.EndsOn.Before(m.AsOf) {
			m.AsOf = p.EndsOn
		}
	}
	if m.Audit, err = s.store.AuditHead(ctx); err != nil {
		return err
	}
	if err := start(m); err != nil {
		return err
	}
	page := nap.PageRequest{Limit: matrixPage}
	for {
		p, err := s.store.MatrixRows(ctx, scope, planID, until, m.AsOf, page)
		if err != nil {
			return err
		}
		for _, r := range p.Items {
			if err := emit(r); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		page.Cursor = p.Next
	}
}

// Report reads a plan's report by recommendation as the caller may see it, from one
// snapshot of the database: it is built in memory before a byte is sent.
func (s *Service) Report(ctx context.Context, planID, period string) (nap.Report, error) {
	var r nap.Report
	err := s.store.Snapshot(ctx, func(ctx context.Context) error {
		err := s.Matrix(ctx, planID, period, func(m nap.Matrix) error {
			r.Matrix = m
			return nil
		}, func(row nap.MatrixRow) error {
			r.Rows = append(r.Rows, row)
			return nil
		})
		if err == nil {
			r.Recommendations, err = s.store.PlanRecommendations(ctx, planID)
		}
		return err
	})
	if err != nil {
		return nap.Report{}, err
	}
	return r, nil
}
