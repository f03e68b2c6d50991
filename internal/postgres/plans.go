package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type planRow struct {
	RowMeta
	RowSource
	Code            string
	Title           jsonOf[nap.Text]
	PeriodStart     time.Time
	PeriodEnd       time.Time
	ExtendedTo      *time.Time
	ApprovedOn      *time.Time
	ApprovedBy      string
	LegalBasis      jsonOf[nap.Text]
	Status          string
	RequiresSignOff bool
	SubmissionDays  int
	ReviewDays      int
}

func (r planRow) sortKey() string { return r.Code }

func (r planRow) toNap() nap.Plan {
	return nap.Plan{
		Meta: r.RowMeta.toNap(), Code: r.Code, Title: r.Title.V,
		PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, ExtendedTo: r.ExtendedTo,
		ApprovedOn: r.ApprovedOn, ApprovedBy: r.ApprovedBy, LegalBasis: r.LegalBasis.V,
		Status: nap.PlanStatus(r.Status), RequiresSignOff: r.RequiresSignOff, SubmissionDays: r.SubmissionDays,
		ReviewDays: r.ReviewDays, Source: r.RowSource.toNap(),
	}
}

// visiblePlans limits q, which names the plans table p, to the plans scope may read.
func visiblePlans(q *gorm.DB, scope nap.Scope) *gorm.DB {
	if scope.DraftPlans {
		return q
	}
	return q.Where("p.status <> ?", nap.PlanDraft)
}

func (db *DB) plans(ctx context.Context, scope nap.Scope) *gorm.DB {
	q := db.conn(ctx).Table("plans p").
		Select(`p.id, p.version, p.created_at, p.updated_at, p.provenance, p.provenance_note,
			p.code, p.title, p.period_start, p.period_end, p.extended_to, p.approved_on,
			coalesce(o.code, '') AS approved_by, p.legal_basis, p.status, p.requires_sign_off,
			p.submission_days, p.review_days`).
		Joins("LEFT JOIN organizations o ON o.id = p.approved_by_id")
	return visiblePlans(q, scope)
}

// ListPlans returns a page of the plans scope may read that match f, in code order.
func (db *DB) ListPlans(ctx context.Context, scope nap.Scope, f nap.PlanFilter, page nap.PageRequest) (nap.Page[nap.Plan], error) {
	q := db.plans(ctx, scope)
	if f.Code != "" {
		q = q.Where("p.code = ?", f.Code)
	}
	if f.Status != "" {
		q = q.Where("p.status = ?", f.Status)
	}
	q, err := paginate(q, "p.code", "p.id", page)
	if err != nil {
		return nap.Page[nap.Plan]{}, err
	}
	var rows []planRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.Plan]{}, err
	}
	return pageOf(rows, page.Limit, planRow.toNap), nil
}

// GetPlan returns the plan with the given id if scope may read it.
func (db *DB) GetPlan(ctx context.Context, scope nap.Scope, id string) (nap.Plan, error) {
	var row planRow
	if err := db.plans(ctx, scope).Where("p.id = ?", id).Take(&row).Error; err != nil {
		return nap.Plan{}, notFound(err, "plan")
	}
	return row.toNap(), nil
}

// checkPlan returns ENOTFOUND unless scope may read the plan with the given id.
func (db *DB) checkPlan(ctx context.Context, scope nap.Scope, id string) error {
	var n int64
	q := db.conn(ctx).Table("plans p").Where("p.id = ?", id)
	if err := visiblePlans(q, scope).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return nap.Errorf(nap.ENOTFOUND, "plan not found")
	}
	return nil
}

const periodColumns = `rp.id, rp.version, rp.created_at, rp.updated_at, rp.plan_id, rp.label,
	rp.starts_on, rp.ends_on, rp.submission_deadline, rp.review_deadline, rp.state`

type periodRow struct {
	RowMeta
	PlanID             string
	Label              string
	StartsOn           time.Time
	EndsOn             time.Time
	SubmissionDeadline time.Time
	ReviewDeadline     time.Time
	State              string
}

func (r periodRow) sortKey() string { return r.Label }

func (r periodRow) toNap() nap.ReportingPeriod {
	return nap.ReportingPeriod{
		Meta: r.RowMeta.toNap(), PlanID: r.PlanID, Label: r.Label,
		StartsOn: r.StartsOn, EndsOn: r.EndsOn, SubmissionDeadline: r.SubmissionDeadline, ReviewDeadline: r.ReviewDeadline,
		State: r.State,
	}
}

// ListPeriods returns a page of a plan's reporting periods in label order.
func (db *DB) ListPeriods(ctx context.Context, scope nap.Scope, planID string, page nap.PageRequest) (nap.Page[nap.ReportingPeriod], error) {
	if err := db.checkPlan(ctx, scope, planID); err != nil {
		return nap.Page[nap.ReportingPeriod]{}, err
	}
	q := db.conn(ctx).Table("reporting_periods rp").Select(periodColumns).Where("rp.plan_id = ?", planID)
	q, err := paginate(q, "rp.label", "rp.id", page)
	if err != nil {
		return nap.Page[nap.ReportingPeriod]{}, err
	}
	var rows []periodRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.ReportingPeriod]{}, err
	}
	return pageOf(rows, page.Limit, periodRow.toNap), nil
}
