package postgres

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// columns collects the columns a change sets.
type columns map[string]any

func (c columns) text(name string, v *nap.Text) {
	if v != nil {
		c[name] = Text(*v)
	}
}

func (c columns) value(name string, v any, set bool) {
	if set {
		c[name] = v
	}
}

func setString(c columns, name string, v *string) {
	if v != nil {
		c.value(name, *v, true)
	}
}

func setDate(c columns, name string, v *time.Time) {
	if v != nil {
		c.value(name, *v, true)
	}
}

// clear empties the columns of the fields named, which must be among clearable (field →
// column); EINVALID names any other.
func (c columns) clear(fields []string, clearable map[string]string) error {
	for _, f := range fields {
		col, ok := clearable[f]
		if !ok {
			return nap.Errorf(nap.EINVALID, "clear: %q cannot be emptied", f)
		}
		c[col] = nil
	}
	return nil
}

func setSource(c columns, p *nap.Provenance, note *string) {
	if p != nil {
		c["provenance"] = string(*p)
	}
	setString(c, "provenance_note", note)
}

// orgID resolves an organization code; "" resolves to NULL, an unknown code is EINVALID.
func orgID(tx *gorm.DB, field, code string) (any, error) {
	if code == "" {
		return nil, nil
	}
	var o struct{ ID string }
	err := tx.Table("organizations").Select("id").Where("code = ?", code).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nap.Errorf(nap.EINVALID, "%s: organization %s does not exist", field, code)
	}
	return o.ID, err
}

// create inserts a row of a new object with its id, creator and version 1.
func create(tx *gorm.DB, table, actorID string, c columns) (string, error) {
	id := newID()
	c["id"] = id
	c["created_by"], c["updated_by"] = nullable(actorID), nullable(actorID)
	return id, tx.Table(table).Create(map[string]any(c)).Error
}

func organizationColumns(tx *gorm.DB, ch nap.OrganizationChange) (columns, error) {
	c := columns{}
	setString(c, "code", ch.Code)
	setString(c, "kind", ch.Kind)
	c.text("name", ch.Name)
	for field, code := range map[string]*string{"parent_id": ch.Parent, "successor_id": ch.Successor} {
		if code != nil {
			id, err := orgID(tx, field[:len(field)-3], *code)
			if err != nil {
				return nil, err
			}
			c[field] = id
		}
	}
	if ch.Active != nil {
		c["active"] = *ch.Active
	}
	setDate(c, "valid_from", ch.ValidFrom)
	setDate(c, "valid_to", ch.ValidTo)
	setSource(c, ch.Provenance, ch.ProvenanceNote)
	return c, c.clear(ch.Clear, map[string]string{"parent": "parent_id", "successor": "successor_id",
		"valid_from": "valid_from", "valid_to": "valid_to"})
}

// CreateOrganization adds an organization.
func (db *DB) CreateOrganization(ctx context.Context, actorID string, ch nap.OrganizationChange) (nap.Organization, error) {
	tx := db.conn(ctx)
	c, err := organizationColumns(tx, ch)
	if err == nil {
		_, err = create(tx, "organizations", actorID, c)
	}
	if err != nil {
		return nap.Organization{}, err
	}
	return db.GetOrganization(ctx, *ch.Code)
}

// UpdateOrganization changes the organization with the given code if it is still at version.
func (db *DB) UpdateOrganization(ctx context.Context, actorID, code string, version int, ch nap.OrganizationChange) (nap.Organization, error) {
	org, err := db.GetOrganization(ctx, code)
	if err != nil {
		return nap.Organization{}, err
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		tx := db.conn(ctx)
		c, err := organizationColumns(tx, ch)
		if err != nil {
			return err
		}
		if err := db.updateWith(tx, "organizations", "organization", actorID, org.ID, version, c); err != nil {
			return err
		}
		if ch.Code != nil && *ch.Code != org.Code {
			// The measures it leads or takes part in show its code: their ETags, their plans'
			// summaries and the change feed must see them change.
			err := tx.Exec(`UPDATE measures SET version = version + 1, updated_at = now(), updated_by = nullif(?, '')::uuid
				WHERE lead_id = ? OR id IN (SELECT measure_id FROM measure_organizations WHERE organization_id = ?)`,
				actorID, org.ID, org.ID).Error
			if err != nil {
				return err
			}
		}
		return noCycle(tx, org.ID)
	})
	if err != nil {
		return nap.Organization{}, err
	}
	if ch.Code != nil {
		code = *ch.Code
	}
	return db.GetOrganization(ctx, code)
}

// noCycle fails when an organization is its own ancestor or its own successor's successor.
func noCycle(tx *gorm.DB, id string) error {
	for _, link := range []string{"parent_id", "successor_id"} {
		var cyclic bool
		err := tx.Raw(`WITH RECURSIVE chain(id, depth) AS (
				SELECT `+link+`, 1 FROM organizations WHERE id = ?
				UNION ALL
				SELECT o.`+link+`, chain.depth + 1 FROM organizations o JOIN chain ON o.id = chain.id WHERE chain.depth < 100)
			SELECT EXISTS (SELECT 1 FROM chain WHERE id = ?)`, id, id).Scan(&cyclic).Error
		if err != nil {
			return err
		}
		if cyclic {
			return nap.Errorf(nap.EINVALID, "%s: the organizations would form a cycle", link[:len(link)-3])
		}
	}
	return nil
}

func planColumns(tx *gorm.DB, ch nap.PlanChange) (columns, error) {
	c := columns{}
	setString(c, "code", ch.Code)
	c.text("title", ch.Title)
	setDate(c, "period_start", ch.PeriodStart)
	setDate(c, "period_end", ch.PeriodEnd)
	setDate(c, "extended_to", ch.ExtendedTo)
	setDate(c, "approved_on", ch.ApprovedOn)
	if ch.ApprovedBy != nil {
		id, err := orgID(tx, "approved_by", *ch.ApprovedBy)
		if err != nil {
			return nil, err
		}
		c["approved_by_id"] = id
	}
	c.text("legal_basis", ch.LegalBasis)
	if ch.Status != nil {
		c["status"] = string(*ch.Status)
	}
	if ch.SubmissionDays != nil {
		c["submission_days"] = *ch.SubmissionDays
	}
	if ch.ReviewDays != nil {
		c["review_days"] = *ch.ReviewDays
	}
	if ch.RequiresSignOff != nil {
		c["requires_sign_off"] = *ch.RequiresSignOff
	}
	setSource(c, ch.Provenance, ch.ProvenanceNote)
	return c, c.clear(ch.Clear, map[string]string{"extended_to": "extended_to", "approved_on": "approved_on",
		"approved_by": "approved_by_id"})
}

// CreatePlan adds a plan.
func (db *DB) CreatePlan(ctx context.Context, actorID string, ch nap.PlanChange) (nap.Plan, error) {
	tx := db.conn(ctx)
	c, err := planColumns(tx, ch)
	var id string
	if err == nil {
		id, err = create(tx, "plans", actorID, c)
	}
	if err != nil {
		return nap.Plan{}, err
	}
	return db.GetPlan(ctx, nap.Everything, id)
}

// UpdatePlan changes a plan if it is still at version.
func (db *DB) UpdatePlan(ctx context.Context, actorID, id string, version int, ch nap.PlanChange) (nap.Plan, error) {
	tx := db.conn(ctx)
	c, err := planColumns(tx, ch)
	if err == nil {
		err = db.updateWith(tx, "plans", "plan", actorID, id, version, c)
	}
	if err != nil {
		return nap.Plan{}, err
	}
	return db.GetPlan(ctx, nap.Everything, id)
}

// CreatePeriod adds a reporting period to a plan, open, with its deadlines given.
func (db *DB) CreatePeriod(ctx context.Context, actorID, planID string, in nap.PeriodInput) (nap.ReportingPeriod, error) {
	id, err := create(db.conn(ctx), "reporting_periods", actorID, columns{
		"plan_id": planID, "label": in.Label, "starts_on": in.StartsOn, "ends_on": in.EndsOn,
		"submission_deadline": *in.SubmissionDeadline, "review_deadline": *in.ReviewDeadline,
	})
	if err != nil {
		return nap.ReportingPeriod{}, err
	}
	return db.GetPeriod(ctx, id)
}

// UpdatePeriod changes a reporting period's deadlines at version.
func (db *DB) UpdatePeriod(ctx context.Context, actorID, id string, version int, ch nap.PeriodChange) (nap.ReportingPeriod, error) {
	c := columns{}
	if ch.SubmissionDeadline != nil {
		c["submission_deadline"] = *ch.SubmissionDeadline
	}
	if ch.ReviewDeadline != nil {
		c["review_deadline"] = *ch.ReviewDeadline
	}
	if err := db.update(ctx, "reporting_periods", "reporting period", actorID, id, version, c); err != nil {
		return nap.ReportingPeriod{}, err
	}
	return db.GetPeriod(ctx, id)
}

// GetPeriod returns a reporting period.
func (db *DB) GetPeriod(ctx context.Context, id string) (nap.ReportingPeriod, error) {
	var row periodRow
	err := db.conn(ctx).Table("reporting_periods rp").Select(periodColumns).Where("rp.id = ?", id).Take(&row).Error
	if err != nil {
		return nap.ReportingPeriod{}, notFound(err, "reporting period")
	}
	return row.toNap(), nil
}

// SetPeriodState locks or opens a period; ECONFLICT when it is in that state already.
func (db *DB) SetPeriodState(ctx context.Context, actorID, id, state string) (nap.ReportingPeriod, error) {
	res := db.conn(ctx).Exec(`UPDATE reporting_periods
		SET state = ?, version = version + 1, updated_at = now(), updated_by = ?
		WHERE id = ? AND state <> ?`, state, nullable(actorID), id, state)
	if res.Error != nil {
		return nap.ReportingPeriod{}, res.Error
	}
	p, err := db.GetPeriod(ctx, id)
	if err == nil && res.RowsAffected == 0 {
		err = nap.Errorf(nap.ECONFLICT, "the period %s is %s already", p.Label, state)
	}
	return p, err
}

func measureColumnsOf(tx *gorm.DB, ch nap.MeasureChange) (columns, error) {
	c := columns{}
	setString(c, "code", ch.Code)
	c.text("title", ch.Title)
	c.text("description", ch.Description)
	c.text("expected_result", ch.ExpectedResult)
	c.text("deadline_text", ch.DeadlineText)
	setDate(c, "due_start", ch.DueStart)
	setDate(c, "due_end", ch.DueEnd)
	if ch.Lead != nil {
		id, err := orgID(tx, "lead", *ch.Lead)
		if err != nil {
			return nil, err
		}
		c["lead_id"] = id
	}
	if ch.Articles != nil {
		c["articles"] = IntArray(*ch.Articles)
	}
	setSource(c, ch.Provenance, ch.ProvenanceNote)
	return c, c.clear(ch.Clear, map[string]string{"due_start": "due_start", "due_end": "due_end"})
}

// replaceLinks replaces the organizations and recommendations of a measure that ch names.
// The organization lists are replaced together, so an organization can move from one list to
// the other in one change.
func replaceLinks(tx *gorm.DB, measureID string, ch nap.MeasureChange) error {
	if ch.CoImplementers != nil || ch.Partners != nil {
		lists := map[string]*[]string{"co_implementer": ch.CoImplementers, "partner": ch.Partners}
		for role, codes := range lists {
			if codes != nil {
				continue
			}
			var current []string
			err := tx.Raw(`SELECT o.code FROM measure_organizations mo JOIN organizations o ON o.id = mo.organization_id
				WHERE mo.measure_id = ? AND mo.role = ?`, measureID, role).Scan(&current).Error
			if err != nil {
				return err
			}
			lists[role] = &current
		}
		if err := tx.Exec(`DELETE FROM measure_organizations WHERE measure_id = ?`, measureID).Error; err != nil {
			return err
		}
		for role, codes := range lists {
			for _, code := range *codes {
				id, err := orgID(tx, role+"s", code)
				if err != nil {
					return err
				}
				err = tx.Exec(`INSERT INTO measure_organizations (measure_id, organization_id, role) VALUES (?, ?, ?)`,
					measureID, id, role).Error
				if nap.ErrorCode(err) == nap.ECONFLICT {
					return nap.Errorf(nap.EINVALID, "organization %s is listed twice", code)
				}
				if err != nil {
					return err
				}
			}
		}
	}
	if ch.Recommendations != nil {
		if err := tx.Exec(`DELETE FROM measure_recommendations WHERE measure_id = ?`, measureID).Error; err != nil {
			return err
		}
		for _, id := range *ch.Recommendations {
			err := tx.Exec(`INSERT INTO measure_recommendations (measure_id, recommendation_id) VALUES (?, ?)`, measureID, id).Error
			switch nap.ErrorCode(err) {
			case "":
			case nap.ECONFLICT:
				return nap.Errorf(nap.EINVALID, "recommendation %s is listed twice", id)
			case nap.EINVALID:
				return nap.Errorf(nap.EINVALID, "recommendation %s does not exist", id)
			default:
				return err
			}
		}
	}
	return nil
}

// CreateMeasure adds a measure to a plan with its organizations and recommendations.
func (db *DB) CreateMeasure(ctx context.Context, actorID, planID string, ch nap.MeasureChange, today time.Time) (nap.Measure, error) {
	var id string
	err := db.InTx(ctx, func(ctx context.Context) error {
		tx := db.conn(ctx)
		c, err := measureColumnsOf(tx, ch)
		if err != nil {
			return err
		}
		c["plan_id"] = planID
		if id, err = create(tx, "measures", actorID, c); err != nil {
			return err
		}
		return replaceLinks(tx, id, ch)
	})
	if err != nil {
		return nap.Measure{}, err
	}
	return db.GetMeasure(ctx, nap.Everything, id, today)
}

// UpdateMeasure changes a measure if it is still at version.
func (db *DB) UpdateMeasure(ctx context.Context, actorID, id string, version int, ch nap.MeasureChange, today time.Time) (nap.Measure, error) {
	err := db.InTx(ctx, func(ctx context.Context) error {
		tx := db.conn(ctx)
		c, err := measureColumnsOf(tx, ch)
		if err != nil {
			return err
		}
		if err := db.updateWith(tx, "measures", "measure", actorID, id, version, c); err != nil {
			return err
		}
		return replaceLinks(tx, id, ch)
	})
	if err != nil {
		return nap.Measure{}, err
	}
	return db.GetMeasure(ctx, nap.Everything, id, today)
}

func indicatorColumns(ch nap.IndicatorChange) (columns, error) {
	c := columns{}
	setString(c, "code", ch.Code)
	c.text("title", ch.Title)
	setString(c, "kind", ch.Kind)
	setString(c, "unit", ch.Unit)
	c.value("baseline", ch.Baseline, ch.Baseline != nil)
	c.value("target", ch.Target, ch.Target != nil)
	setDate(c, "target_date", ch.TargetDate)
	if ch.Disaggregations != nil {
		c["disaggregations"] = TextArray(*ch.Disaggregations)
	}
	setSource(c, ch.Provenance, ch.ProvenanceNote)
	return c, c.clear(ch.Clear, map[string]string{"baseline": "baseline", "target": "target", "target_date": "target_date"})
}

// CreateIndicator adds an indicator to a measure.
func (db *DB) CreateIndicator(ctx context.Context, actorID, measureID string, ch nap.IndicatorChange) (nap.Indicator, error) {
	c, err := indicatorColumns(ch)
	if err != nil {
		return nap.Indicator{}, err
	}
	c["measure_id"] = measureID
	id, err := create(db.conn(ctx), "indicators", actorID, c)
	if err != nil {
		return nap.Indicator{}, err
	}
	return db.GetIndicator(ctx, nap.Everything, id)
}

// UpdateIndicator changes an indicator if it is still at version.
func (db *DB) UpdateIndicator(ctx context.Context, actorID, id string, version int, ch nap.IndicatorChange) (nap.Indicator, error) {
	c, err := indicatorColumns(ch)
	if err == nil {
		err = db.update(ctx, "indicators", "indicator", actorID, id, version, c)
	}
	if err != nil {
		return nap.Indicator{}, err
	}
	return db.GetIndicator(ctx, nap.Everything, id)
}
