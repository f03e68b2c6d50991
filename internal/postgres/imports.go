package postgres

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/naptracker/naptracker/internal/nap"
)

// PlanMeasures returns every measure of a plan: its id, code, and the organizations that lead
// and co-implement it (the lead first).
func (db *DB) PlanMeasures(ctx context.Context, planID string) ([]nap.MeasureRef, error) {
	var rows []struct {
		ID, Code string
		Orgs     jsonOf[[]string]
	}
	err := db.conn(ctx).Raw(`SELECT m.id, m.code, to_jsonb(array_prepend(m.lead_id, ARRAY(SELECT mo.organization_id
			FROM measure_organizations mo WHERE mo.measure_id = m.id AND mo.role = 'co_implementer'
			ORDER BY mo.organization_id))) AS orgs
		FROM measures m WHERE m.plan_id = ? ORDER BY m.code, m.id`, planID).Scan(&rows).Error
	out := make([]nap.MeasureRef, len(rows))
	for i, r := range rows {
		out[i] = nap.MeasureRef{ID: r.ID, Code: r.Code, Organizations: r.Orgs.V}
	}
	return out, err
}

// OpenUpdates returns the updates of a period still in the works (draft, submitted, signed
// off or returned): at most one per measure and organization.
func (db *DB) OpenUpdates(ctx context.Context, periodID string) ([]nap.OpenUpdate, error) {
	var rows []struct {
		ID, MeasureID, ReportingOrgID, State string
		Version                              int
		Narrative                            jsonOf[nap.Text]
	}
	err := db.conn(ctx).Raw(`SELECT id, measure_id, reporting_org_id, state, version, narrative FROM progress_updates
		WHERE period_id = ? AND state IN ('draft', 'submitted', 'signed_off', 'returned')`, periodID).Scan(&rows).Error
	out := make([]nap.OpenUpdate, len(rows))
	for i, r := range rows {
		out[i] = nap.OpenUpdate{ID: r.ID, MeasureID: r.MeasureID, OrganizationID: r.ReportingOrgID,
			State: nap.UpdateState(r.State), Version: r.Version, Narrative: r.Narrative.V}
	}
	return out, err
}

// SaveDrafts writes drafts for a period in the caller's transaction, all in a statement or
// two whatever their number: a draft with an UpdateID edits that update, if it is still at
// its Version and still draft or returned (EPRECONDITION otherwise); any other is a new
// update, written by actorID. It returns the ids of the new ones, in order.
func (db *DB) SaveDrafts(ctx context.Context, actorID, periodID string, drafts []nap.Draft) ([]string, error) {
	var create, edit struct {
		ids, measures, orgs, statuses, progress, narratives []string
		versions                                            []string
	}
	for _, d := range drafts {
		narrative, err := json.Marshal(d.Narrative)
		if err != nil {
			return nil, err
		}
		progress := ""
		if d.Progress != nil {
			progress = strconv.Itoa(*d.Progress)
		}
		target := &create
		id := newID()
		if d.UpdateID != "" {
			target, id = &edit, d.UpdateID
		}
		target.ids = append(target.ids, id)
		target.measures = append(target.measures, d.MeasureID)
		target.orgs = append(target.orgs, d.OrganizationID)
		target.statuses = append(target.statuses, string(d.Status))
		target.progress = append(target.progress, progress)
		target.narratives = append(target.narratives, string(narrative))
		target.versions = append(target.versions, strconv.Itoa(d.Version))
	}
	tx := db.conn(ctx)
	if len(create.ids) > 0 {
		err := tx.Exec(`INSERT INTO progress_updates (id, measure_id, period_id, reporting_org_id, author_id, last_editor_id,
				proposed_status, progress_percent, narrative, visibility, provenance, created_by, updated_by)
			SELECT d.id::uuid, d.measure::uuid, ?, d.org::uuid, ?, ?, d.status, nullif(d.progress, '')::smallint,
				d.narrative::jsonb, 'internal', 'sourced', ?, ?
			FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS d (id, measure, org, status, progress, narrative)`,
			periodID, nullable(actorID), nullable(actorID), nullable(actorID), nullable(actorID),
			TextArray(create.ids), TextArray(create.measures), TextArray(create.orgs), TextArray(create.statuses),
			TextArray(create.progress), TextArray(create.narratives)).Error
		if err != nil {
			return nil, err
		}
	}
	if len(edit.ids) > 0 {
		res := tx.Exec(`UPDATE progress_updates u SET proposed_status = d.status, progress_percent = nullif(d.progress, '')::smallint,
				narrative = d.narrative::jsonb, last_editor_id = ?, updated_by = ?, updated_at = now(), version = u.version + 1
			FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS d (id, status, progress, narrative, version)
			WHERE u.id = d.id::uuid AND u.version = d.version::int AND u.state IN ('draft', 'returned')`,
			nullable(actorID), nullable(actorID), TextArray(edit.ids), TextArray(edit.statuses), TextArray(edit.progress),
			TextArray(edit.narratives), TextArray(edit.versions))
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected != int64(len(edit.ids)) {
			return nil, nap.Errorf(nap.EPRECONDITION, "a draft the import edits changed meanwhile; read the matrix again")
		}
	}
	return create.ids, nil
}
