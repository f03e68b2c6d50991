package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type valueRow struct {
	IndicatorID    string            `json:"indicator_id"`
	Indicator      string            `json:"indicator"`
	Value          *float64          `json:"value"`
	Text           string            `json:"text"`
	Disaggregation map[string]string `json:"disaggregation"`
	Note           string            `json:"note"`
}

type updateRow struct {
	RowMeta
	RowSource
	MeasureID        string
	PlanID           string
	PeriodID         string
	Period           string
	ReportingOrgID   string
	ReportingOrg     string
	AuthorID         *string
	LastEditorID     *string
	SignedOffBy      *string
	ApprovedBy       *string
	State            string
	ProposedStatus   string
	ProgressPercent  *int
	Narrative        jsonOf[nap.Text]
	Challenges       jsonOf[nap.Text]
	NextSteps        jsonOf[nap.Text]
	IndicatorValues  jsonOf[[]valueRow]
	Visibility       string
	Supersedes       *string
	CorrectionReason string
	SupersededBy     *string
	ContentSHA256    *string `gorm:"column:content_sha256"`
	SubmittedAt      *time.Time
	ApprovedAt       *time.Time

	PlanRequiresSignOff bool
	PeriodLocked        bool
	MeasureCode         string
	MeasureTitle        jsonOf[nap.Text]
}

func (r updateRow) sortKey() string { return r.Period }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (r updateRow) toNap() nap.ProgressUpdate {
	values := make([]nap.IndicatorValue, len(r.IndicatorValues.V))
	for i, v := range r.IndicatorValues.V {
		values[i] = nap.IndicatorValue(v)
	}
	return nap.ProgressUpdate{
		Meta: r.RowMeta.toNap(), MeasureID: r.MeasureID, PlanID: r.PlanID, PeriodID: r.PeriodID, Period: r.Period,
		ReportingOrgID: r.ReportingOrgID, ReportingOrg: r.ReportingOrg, AuthorID: deref(r.AuthorID),
		LastEditorID: deref(r.LastEditorID), SignedOffBy: deref(r.SignedOffBy), ApprovedBy: deref(r.ApprovedBy),
		State: nap.UpdateState(r.State), ProposedStatus: nap.Status(r.ProposedStatus), ProgressPercent: r.ProgressPercent,
		Narrative: r.Narrative.V, Challenges: r.Challenges.V, NextSteps: r.NextSteps.V, IndicatorValues: values,
		Visibility: nap.Visibility(r.Visibility), Supersedes: deref(r.Supersedes), CorrectionReason: r.CorrectionReason,
		SupersededBy: deref(r.SupersededBy), ContentSHA256: deref(r.ContentSHA256), SubmittedAt: r.SubmittedAt,
		ApprovedAt: r.ApprovedAt, Source: r.RowSource.toNap(),
		PlanRequiresSignOff: r.PlanRequiresSignOff, PeriodLocked: r.PeriodLocked,
		MeasureCode: r.MeasureCode, MeasureTitle: r.MeasureTitle.V,
	}
}

const updateColumns = `u.id, u.version, u.created_at, u.updated_at, u.provenance, u.provenance_note,
	u.measure_id, m.plan_id, u.period_id, rp.label AS period, u.reporting_org_id, o.code AS reporting_org,
	u.author_id, u.last_editor_id, u.signed_off_by, u.approved_by, u.state, u.proposed_status,
	u.progress_percent, u.narrative, u.challenges, u.next_steps, u.visibility, u.supersedes,
	u.correction_reason, u.superseded_by, u.content_sha256, u.submitted_at, u.approved_at,
	p.requires_sign_off AS plan_requires_sign_off, rp.state = 'locked' AS period_locked,
	m.code AS measure_code, m.title AS measure_title,
	coalesce((SELECT jsonb_agg(jsonb_build_object('indicator_id', iv.indicator_id, 'indicator', i.code,
			'value', iv.value, 'text', iv.text, 'disaggregation', iv.disaggregation, 'note', iv.note)
			ORDER BY i.code, iv.disaggregation::text)
		FROM indicator_values iv JOIN indicators i ON i.id = iv.indicator_id
		WHERE iv.update_id = u.id), '[]') AS indicator_values`

// publishedTo lists the visibilities of approved updates and evidence scope reads beyond its
// own organizations; never empty, so that "IN ?" always has a value to compare.
func publishedTo(scope nap.Scope) []string {
	out := []string{""}
	for _, v := range scope.Published {
		out = append(out, string(v))
	}
	return out
}

// orgsOrNone lists the organizations whose updates scope reads in every state; never empty,
// so that "IN ?" always has a value to compare.
func orgsOrNone(scope nap.Scope) []string {
	return append([]string{"00000000-0000-0000-0000-000000000000"}, scope.Organizations...)
}

// visibleUpdates limits q, which names progress_updates u and plans p, to what scope reads:
// its own organizations' updates in every state; others' once approved, as their visibility
// allows; everything for the coordinating roles. Nothing of a plan in draft for the public.
func visibleUpdates(q *gorm.DB, scope nap.Scope) *gorm.DB {
	q = visiblePlans(q, scope)
	if scope.AllOrganizations {
		return q
	}
	published := `(u.state IN ('approved', 'superseded') AND u.visibility IN ?)`
	if len(scope.Organizations) == 0 {
		return q.Where(published, publishedTo(scope))
	}
	return q.Where("("+published+" OR u.reporting_org_id IN ?)", publishedTo(scope), scope.Organizations)
}

func (db *DB) updates(ctx context.Context, scope nap.Scope) *gorm.DB {
	q := db.conn(ctx).Table("progress_updates u").Select(updateColumns).
		Joins("JOIN measures m ON m.id = u.measure_id").
		Joins("JOIN plans p ON p.id = m.plan_id").
		Joins("JOIN reporting_periods rp ON rp.id = u.period_id").
		Joins("JOIN organizations o ON o.id = u.reporting_org_id")
	return visibleUpdates(q, scope)
}

// GetUpdate returns a progress update if scope may read it.
func (db *DB) GetUpdate(ctx context.Context, scope nap.Scope, id string) (nap.ProgressUpdate, error) {
	var row updateRow
	if err := db.updates(ctx, scope).Where("u.id = ?", id).Take(&row).Error; err != nil {
		return nap.ProgressUpdate{}, notFound(err, "progress update")
	}
	return row.toNap(), nil
}

// ListUpdates returns a page of the updates of a measure that scope may read, by period.
func (db *DB) ListUpdates(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.ProgressUpdate], error) {
	q, err := paginate(db.updates(ctx, scope).Where("u.measure_id = ?", measureID), "rp.label", "u.id", page)
	if err != nil {
		return nap.Page[nap.ProgressUpdate]{}, err
	}
	var rows []updateRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.ProgressUpdate]{}, err
	}
	return pageOf(rows, page.Limit, updateRow.toNap), nil
}

func updateColumnsOf(ch nap.UpdateChange) (columns, error) {
	c := columns{}
	setString(c, "period_id", ch.PeriodID)
	if ch.ProposedStatus != nil {
		c["proposed_status"] = string(*ch.ProposedStatus)
	}
	if ch.ProgressPercent != nil {
		c["progress_percent"] = *ch.ProgressPercent
	}
	c.text("narrative", ch.Narrative)
	c.text("challenges", ch.Challenges)
	c.text("next_steps", ch.NextSteps)
	if ch.Visibility != nil {
		c["visibility"] = string(*ch.Visibility)
	}
	setString(c, "supersedes", ch.Supersedes)
	setString(c, "correction_reason", ch.CorrectionReason)
	return c, c.clear(ch.Clear, map[string]string{"progress_percent": "progress_percent"})
}

func replaceValues(tx *gorm.DB, updateID string, values *[]nap.IndicatorValue) error {
	if values == nil {
		return nil
	}
	if err := tx.Exec(`DELETE FROM indicator_values WHERE update_id = ?`, updateID).Error; err != nil {
		return err
	}
	for _, v := range *values {
		dis, err := json.Marshal(v.Disaggregation)
		if err != nil {
			return err
		}
		if v.Disaggregation == nil {
			dis = []byte("{}")
		}
		err = tx.Exec(`INSERT INTO indicator_values (id, update_id, indicator_id, value, text, disaggregation, note)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, newID(), updateID, v.IndicatorID, v.Value, v.Text, string(dis), v.Note).Error
		if nap.ErrorCode(err) == nap.ECONFLICT {
			return nap.Errorf(nap.EINVALID, "indicator %s has two values for the same disaggregation", v.Indicator)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CreateUpdate adds a draft update of a measure, reported by an organization and written by
// actorID, with its indicator values. ECONFLICT when the organization has an update of that
// measure and period in the works already.
func (db *DB) CreateUpdate(ctx context.Context, actorID, measureID, orgID string, ch nap.UpdateChange, source nap.Source) (string, error) {
	var id string
	err := db.InTx(ctx, func(ctx context.Context) error {
		c, err := updateColumnsOf(ch)
		if err != nil {
			return err
		}
		c["measure_id"], c["reporting_org_id"] = measureID, orgID
		c["author_id"], c["last_editor_id"] = nullable(actorID), nullable(actorID)
		c["provenance"], c["provenance_note"] = string(source.Provenance), source.Note
		id, err = create(db.conn(ctx), "progress_updates", actorID, c)
		if nap.ErrorCode(err) == nap.ECONFLICT {
			return nap.Errorf(nap.ECONFLICT, "your organization has an update of this measure for this period in the works already")
		}
		if err != nil {
			return err
		}
		return replaceValues(db.conn(ctx), id, ch.IndicatorValues)
	})
	return id, err
}

// EditUpdate changes an update still at version and still editable (draft or returned):
// EPRECONDITION when its version moved on, ECONFLICT when it went into review meanwhile.
func (db *DB) EditUpdate(ctx context.Context, actorID, id string, version int, ch nap.UpdateChange) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		c, err := updateColumnsOf(ch)
		if err != nil {
			return err
		}
		c["last_editor_id"] = nullable(actorID)
		c["version"], c["updated_at"], c["updated_by"] = gorm.Expr("version + 1"), gorm.Expr("now()"), nullable(actorID)
		editable := []string{string(nap.UpdateDraft), string(nap.UpdateReturned)}
		res := db.conn(ctx).Table("progress_updates").Where("id = ? AND version = ? AND state IN ?", id, version, editable).
			Updates(map[string]any(c))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var cur struct {
				Version int
				State   string
			}
			if err := db.conn(ctx).Raw(`SELECT version, state FROM progress_updates WHERE id = ?`, id).Scan(&cur).Error; err != nil {
				return err
			}
			switch {
			case cur.State == "":
				return nap.Errorf(nap.ENOTFOUND, "progress update not found")
			case cur.Version != version:
				return nap.Errorf(nap.EPRECONDITION, "the progress update has changed since version %d; read it again", version)
			default:
				return nap.Errorf(nap.ECONFLICT, "an update that is %s cannot be changed; only draft or returned updates can", cur.State)
			}
		}
		return replaceValues(db.conn(ctx), id, ch.IndicatorValues)
	})
}

// TransitionUpdate takes review step r on u, as read at the version the step was decided on,
// and records it, in one statement, with what the step fixes: who submitted, signed off or
// approved the update, and when; on approval, digest. The step applies to that version (whose
// content digest covers): ECONFLICT when the update is no longer that version in state r.From,
// as when someone acted first, or it went back, was edited and came back to the same state.
// It returns u as the step left it, with the columns the step wrote as PostgreSQL returned
// them; nothing else of an update changes in a step.
func (db *DB) TransitionUpdate(ctx context.Context, u nap.ProgressUpdate, r nap.Review, digest string) (nap.ProgressUpdate, error) {
	set := "state = @to, version = version + 1, updated_at = now(), updated_by = @actor"
	switch r.Action {
	case nap.ActionSubmit:
		set += ", submitted_at = now(), signed_off_by = NULL"
	case nap.ActionSignOff:
		set += ", signed_off_by = @actor"
	case nap.ActionApprove:
		set += ", approved_by = @actor, approved_at = now(), content_sha256 = @digest"
	}
	var w struct {
		Version                 int
		UpdatedAt               time.Time
		State                   string
		SignedOffBy, ApprovedBy *string
		ContentSHA256           *string `gorm:"column:content_sha256"`
		SubmittedAt, ApprovedAt *time.Time
	}
	// The step and its record are one statement: the review is recorded only where the update
	// moved, and a review step costs one round trip to the database fewer.
	err := db.InTx(ctx, func(ctx context.Context) error {
		res := db.conn(ctx).Raw(`WITH stepped AS (
				UPDATE progress_updates SET `+set+`
				WHERE id = @id AND state = @from AND version = @version
				RETURNING version, updated_at, state, signed_off_by, approved_by, content_sha256, submitted_at, approved_at
			), recorded AS (
				INSERT INTO review_actions (id, update_id, actor_id, action, from_state, to_state, comment)
				SELECT CAST(@review AS uuid), CAST(@id AS uuid), CAST(@actor AS uuid), CAST(@action AS text),
					CAST(@from AS text), CAST(@to AS text), CAST(@comment AS text) FROM stepped
			)
			SELECT * FROM stepped`,
			map[string]any{"id": u.ID, "from": string(r.From), "version": u.Version, "to": string(r.To),
				"actor": nullable(r.ActorID), "digest": digest, "review": newID(), "action": string(r.Action),
				"comment": r.Comment}).Scan(&w)
		if res.Error == nil && res.RowsAffected == 0 {
			return nap.Errorf(nap.ECONFLICT, "the update changed since it was read (version %d, %s); read it again", u.Version, r.From)
		}
		return res.Error
	})
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	u.Version, u.UpdatedAt, u.State = w.Version, w.UpdatedAt, nap.UpdateState(w.State)
	u.SignedOffBy, u.ApprovedBy, u.ContentSHA256 = deref(w.SignedOffBy), deref(w.ApprovedBy), deref(w.ContentSHA256)
	u.SubmittedAt, u.ApprovedAt = w.SubmittedAt, w.ApprovedAt
	return u, nil
}

// Supersede marks the approved update id as replaced by the approved correction by.
func (db *DB) Supersede(ctx context.Context, actorID, id, by string) error {
	res := db.conn(ctx).Exec(`UPDATE progress_updates SET state = 'superseded', superseded_by = ?,
			version = version + 1, updated_at = now(), updated_by = ?
		WHERE id = ? AND state = 'approved'`, by, nullable(actorID), id)
	if res.Error == nil && res.RowsAffected == 0 {
		return nap.Errorf(nap.ECONFLICT, "the update this corrects is no longer approved")
	}
	return res.Error
}

// RecomputeMeasure derives a measure's status and progress anew for every audience; see
// DeriveStatuses.
func (db *DB) RecomputeMeasure(ctx context.Context, measureID string) error {
	return DeriveStatuses(db.conn(ctx), measureID)
}

// DeriveStatuses derives the status and progress of a measure (of every measure when
// measureID is "") that measures keep for each of keptAudiences, by latestApproved. Only
// values that change are written, and they are not people's changes: the measure's version
// stays.
func DeriveStatuses(tx *gorm.DB, measureID string) error {
	var set, changed, derivedCols, joins []string
	var args []any
	for i, a := range keptAudiences {
		d := latestApproved(a.scope, nil, fmt.Sprintf("ms%d", i))
		joins, args = append(joins, d.join), append(args, d.args...)
		derivedCols = append(derivedCols, d.status+" AS status_"+a.name, d.progress+" AS progress_"+a.name)
		set = append(set, fmt.Sprintf("status_%[1]s = d.status_%[1]s, progress_%[1]s = d.progress_%[1]s", a.name))
		changed = append(changed, fmt.Sprintf("(t.status_%[1]s, t.progress_%[1]s) IS DISTINCT FROM (d.status_%[1]s, d.progress_%[1]s)", a.name))
	}
	// One measure by its key, or all: a condition on id::text would read every measure.
	which := "true"
	if measureID != "" {
		which, args = "m.id = ?", append(args, measureID)
	}
	return tx.Exec(`UPDATE measures t SET `+strings.Join(set, ", ")+`
		FROM (SELECT m.id, `+strings.Join(derivedCols, ", ")+` FROM measures m `+strings.Join(joins, " ")+`
			WHERE `+which+`) d
		WHERE t.id = d.id AND (`+strings.Join(changed, " OR ")+`)`, args...).Error
}

// ListReviews returns the steps of an update's review, oldest first.
func (db *DB) ListReviews(ctx context.Context, updateID string) ([]nap.Review, error) {
	var rows []struct {
		ID, UpdateID      string
		ActorID           *string
		Action, FromState string
		ToState, Comment  string
		At                time.Time
	}
	err := db.conn(ctx).Raw(`SELECT id, update_id, actor_id, action, from_state, to_state, comment, at
		FROM review_actions WHERE update_id = ? ORDER BY at, id`, updateID).Scan(&rows).Error
	out := make([]nap.Review, len(rows))
	for i, r := range rows {
		out[i] = nap.Review{ID: r.ID, UpdateID: r.UpdateID, ActorID: deref(r.ActorID), Action: nap.ReviewAction(r.Action),
			From: nap.UpdateState(r.FromState), To: nap.UpdateState(r.ToState), Comment: r.Comment, At: r.At}
	}
	return out, err
}
