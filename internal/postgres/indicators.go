package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"

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

func (db *DB) indicators(ctx context.Context, scope nap.Scope) *gorm.DB {
	q := db.conn(ctx).Table("indicators i").
		Select(`i.id, i.version, i.created_at, i.updated_at, i.provenance, i.provenance_note,
			i.measure_id, i.code, i.title, i.kind, i.unit, i.baseline::float8 AS baseline,
			i.target::float8 AS target, i.target_date, to_jsonb(i.disaggregations) AS disaggregations`).
		Joins("JOIN measures m ON m.id = i.measure_id").
		Joins("JOIN plans p ON p.id = m.plan_id")
	return visiblePlans(q, scope)
}

// ListIndicators returns a page of a measure's indicators in code order.
func (db *DB) ListIndicators(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.Indicator], error) {
	if _, err := db.MeasurePlace(ctx, scope, measureID); err != nil {
		return nap.Page[nap.Indicator]{}, err
	}
	q, err := paginate(db.indicators(ctx, scope).Where("i.measure_id = ?", measureID), "i.code", "i.id", page)
	if err != nil {
		return nap.Page[nap.Indicator]{}, err
	}
	var rows []indicatorRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.Indicator]{}, err
	}
	return pageOf(rows, page.Limit, indicatorRow.toNap), nil
}

// GetIndicator returns an indicator if scope may read its plan.
func (db *DB) GetIndicator(ctx context.Context, scope nap.Scope, id string) (nap.Indicator, error) {
	var row indicatorRow
	if err := db.indicators(ctx, scope).Where("i.id = ?", id).Take(&row).Error; err != nil {
		return nap.Indicator{}, notFound(err, "indicator")
	}
	return row.toNap(), nil
}
