package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// Snapshot runs fn in one read-only transaction that sees the database as it was when the
// transaction began, so a long read (an export of many pages) is consistent with itself.
func (db *DB) Snapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	tx := db.gorm.WithContext(ctx).Begin(&sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if tx.Error != nil {
		return tx.Error
	}
	defer tx.Rollback()
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return err
	}
	return tx.Commit().Error
}

// AuditHead returns the last link of the audit trail; zero when it is empty.
func (db *DB) AuditHead(ctx context.Context) (nap.AuditHead, error) {
	var h nap.AuditHead
	err := db.conn(ctx).Raw(`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Row().Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nap.AuditHead{}, nil
	}
	return h, err
}

// PlanPeriod returns the plan's reporting period with the given id or label.
func (db *DB) PlanPeriod(ctx context.Context, planID, key string) (nap.ReportingPeriod, error) {
	var row periodRow
	q := db.conn(ctx).Table("reporting_periods rp").Select(periodColumns).Where("rp.plan_id = ?", planID)
	if id, ok := canonicalUUID(key); ok {
		q = q.Where("rp.id = ?", id)
	} else {
		q = q.Where("rp.label = ?", key)
	}
	if err := q.Take(&row).Error; err != nil {
		return nap.ReportingPeriod{}, notFound(err, "reporting period")
	}
	return row.toNap(), nil
}

type matrixRow struct {
	Measure  measureRow `gorm:"embedded"`
	LeadName jsonOf[nap.Text]
	Latest   jsonOf[*latestRow]
}

func (r matrixRow) sortKey() string { return r.Measure.Code }
func (r matrixRow) rowID() string   { return r.Measure.ID }

type latestRow struct {
	ID         string            `json:"id"`
	Period     string            `json:"period"`
	Narrative  nap.Text          `json:"narrative"`
	ApprovedAt time.Time         `json:"approved_at"`
	Evidence   []evidenceLinkRow `json:"evidence"`
}

type evidenceLinkRow struct {
	ID     string   `json:"id"`
	Title  nap.Text `json:"title"`
	URL    *string  `json:"url"`
	SHA256 *string  `json:"sha256"`
}

// MatrixRows returns a page of a plan's implementation matrix as scope may read it, in code
// order: statuses from the updates scope reads of periods that end by until (the current ones
// when nil), overdue as of day, and each measure's latest approved update scope may read, with
// the evidence scope may read. The caller checks that scope may read the plan. A page is one
// statement.
func (db *DB) MatrixRows(ctx context.Context, scope nap.Scope, planID string, until *time.Time, day time.Time, page nap.PageRequest) (nap.Page[nap.MatrixRow], error) {
	d := derived(scope)
	last := "9999-12-31"
	if until != nil {
		d, last = latestApproved(scope, until, "ms"), until.Format(nap.DateLayout)
	}
	updateVisible, updateArgs := visibleBeyondOrg(scope, "u")
	evidenceVisible, evidenceArgs := visibleBeyondOrg(scope, "e")
	args := append([]any{day, closedStatuses}, evidenceArgs...)
	args = append(append(args, last), updateArgs...)
	q := db.conn(ctx).Table("measures m").
		Select(measureColumns(d)+`, lead.name AS lead_name,
			(SELECT jsonb_build_object('id', u.id, 'period', rp.label, 'narrative', u.narrative,
					'approved_at', u.approved_at,
					'evidence', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'title', e.title,
							'url', e.url, 'sha256', e.sha256) ORDER BY e.created_at, e.id)
						FROM evidence e WHERE e.update_id = u.id AND `+evidenceVisible+`), '[]'))
				FROM progress_updates u JOIN reporting_periods rp ON rp.id = u.period_id
				WHERE u.measure_id = m.id AND u.state = 'approved' AND rp.ends_on <= ?::date AND `+updateVisible+`
				ORDER BY rp.ends_on DESC, u.approved_at DESC LIMIT 1) AS latest`, args...).
		Joins("JOIN organizations lead ON lead.id = m.lead_id").
		Joins("JOIN plans p ON p.id = m.plan_id").
		Where("m.plan_id = ?", planID)
	q, err := paginate(visiblePlans(d.from(q), scope), "m.code", "m.id", page)
	if err != nil {
		return nap.Page[nap.MatrixRow]{}, err
	}
	var rows []matrixRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.MatrixRow]{}, err
	}
	return pageOf(rows, page.Limit, func(r matrixRow) nap.MatrixRow {
		out := nap.MatrixRow{Measure: r.Measure.toNap(), LeadName: r.LeadName.V}
		if l := r.Latest.V; l != nil {
			p := &nap.ApprovedProgress{UpdateID: l.ID, Period: l.Period, Narrative: l.Narrative, ApprovedAt: l.ApprovedAt}
			for _, e := range l.Evidence {
				p.Evidence = append(p.Evidence, nap.Evidence{ID: e.ID, Title: e.Title, URL: deref(e.URL), SHA256: deref(e.SHA256)})
			}
			out.Latest = p
		}
		return out
	}), nil
}

// visibleBeyondOrg is the condition under which scope reads a row whose own visibility is
// alias.visibility (an update "u", or a piece of its evidence "e"), with its arguments:
// published to scope's tier, or reported by one of scope's organizations (the update must be
// named u). It decides nothing of the update's state.
func visibleBeyondOrg(scope nap.Scope, alias string) (string, []any) {
	switch {
	case scope.AllOrganizations:
		return "true", nil
	case len(scope.Organizations) == 0:
		return alias + ".visibility IN ?", []any{publishedTo(scope)}
	default:
		return "(" + alias + ".visibility IN ? OR u.reporting_org_id IN ?)", []any{publishedTo(scope), scope.Organizations}
	}
}

// PlanRecommendations returns the recommendations a plan's measures answer, in document and
// code order.
func (db *DB) PlanRecommendations(ctx context.Context, planID string) ([]nap.Recommendation, error) {
	var rows []recommendationRow
	err := db.recommendations(ctx).
		Where("r.id IN (SELECT mr.recommendation_id FROM measure_recommendations mr JOIN measures m ON m.id = mr.measure_id WHERE m.plan_id = ?)", planID).
		Order("d.symbol, r.code").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]nap.Recommendation, len(rows))
	for i, r := range rows {
		out[i] = r.toNap()
	}
	return out, nil
}
