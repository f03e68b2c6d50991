package postgres

import (
	"context"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

type indicatorRow struct {
	RowMeta
	RowSource
	MeasureID       string
	Code            string
	Title           jsonOf[nap.Text]
	Kind            string
	Unit            string
	Baseline        *float64
	Target          *float64
	TargetDate      *time.Time
	Disaggregations jsonOf[[]string]
}

func (r indicatorRow) sortKey() string { return r.Code }

func (r indicatorRow) toNap() nap.Indicator {
	return nap.Indicator{
		Meta: r.RowMeta.toNap(), MeasureID: r.MeasureID, Code: r.Code, Title: r.Title.V,
		Kind: r.Kind, Unit: r.Unit, Baseline: r.Baseline, Target: r.Target, TargetDate: r.TargetDate,
		Disaggregations: r.Disaggregations.V, Source: r.RowSource.toNap(),
	}
}

// ListIndicators returns a page of a measure's indicators in code order.
func (db *DB) ListIndicators(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.Indicator], error) {
	var n int64
	visible := db.gorm.WithContext(ctx).Table("measures m").
		Joins("JOIN plans p ON p.id = m.plan_id").Where("m.id = ?", measureID)
	if err := visiblePlans(visible, scope).Count(&n).Error; err != nil {
		return nap.Page[nap.Indicator]{}, err
	}
	if n == 0 {
		return nap.Page[nap.Indicator]{}, nap.Errorf(nap.ENOTFOUND, "measure not found")
	}
	q := db.gorm.WithContext(ctx).Table("indicators i").
		Select(`i.id, i.version, i.created_at, i.updated_at, i.provenance, i.provenance_note,
			i.measure_id, i.code, i.title, i.kind, i.unit, i.baseline::float8 AS baseline,
			i.target::float8 AS target, i.target_date, to_jsonb(i.disaggregations) AS disaggregations`).
		Where("i.measure_id = ?", measureID)
	q, err := paginate(q, "i.code", "i.id", page)
	if err != nil {
		return nap.Page[nap.Indicator]{}, err
	}
	var rows []indicatorRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.Indicator]{}, err
	}
	return pageOf(rows, page.Limit, indicatorRow.toNap), nil
}
