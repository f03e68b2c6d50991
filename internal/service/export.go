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
	LinkCommitted(ctx context.Context) error
	AuditHead(ctx context.Context) (nap.AuditHead, error)
	PlanPeriod(ctx context.Context, planID, key string) (nap.ReportingPeriod, error)
	MatrixRows(ctx context.Context, scope nap.Scope, planID string, until *time.Time, day time.Time, page nap.PageRequest) (nap.Page[nap.MatrixRow], error)
	PlanRecommendations(ctx context.Context, planID string) ([]nap.Recommendation, error)
}

// matrixPage is how many measures a matrix reads per statement: few statements for a plan of
// any size.
const matrixPage = 200

// Matrix reads a plan's implementation matrix as the caller may see it (and the period, by id
// or label, when one is given), from one read-only snapshot of the database: the audit
// trail's head and latest checkpoint it names describe exactly its rows (the events of every
// change committed before the call are linked first, so that the head covers them). It is
// read whole before anything is sent, so that no transaction is held while a client takes its
// time; a snapshot takes no lock a writer waits for.
func (s *Service) Matrix(ctx context.Context, planID, period string) (nap.Matrix, []nap.MatrixRow, error) {
	scope := s.scope(ctx)
	var m nap.Matrix
	var rows []nap.MatrixRow
	if err := s.store.LinkCommitted(ctx); err != nil {
		return m, nil, err
	}
	err := s.store.Snapshot(ctx, func(ctx context.Context) error {
		plan, err := s.store.GetPlan(ctx, scope, planID)
		if err != nil {
			return err
		}
		m = nap.Matrix{Plan: plan, AsOf: s.today(), Read: s.now().UTC()}
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
		if m.Checkpoint, err = s.store.LatestCheckpoint(ctx, m.Audit.Seq); err != nil {
			return err
		}
		page := nap.PageRequest{Limit: matrixPage}
		for {
			p, err := s.store.MatrixRows(ctx, scope, planID, until, m.AsOf, page)
			if err != nil {
				return err
			}
			rows = append(rows, p.Items...)
			if p.Next == "" {
				return nil
			}
			page.Cursor = p.Next
		}
	})
	return m, rows, err
}

// Report reads a plan's report by recommendation as the caller may see it, from one
// snapshot of the database, which its first statement takes, after Matrix linked the trail.
func (s *Service) Report(ctx context.Context, planID, period string) (nap.Report, error) {
	var r nap.Report
	err := s.store.Snapshot(ctx, func(ctx context.Context) error {
		var err error
		if r.Matrix, r.Rows, err = s.Matrix(ctx, planID, period); err != nil {
			return err
		}
		r.Recommendations, err = s.store.PlanRecommendations(ctx, planID)
		return err
	})
	return r, err
}
