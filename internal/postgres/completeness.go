package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

type expectedRow struct {
	OrganizationID   string
	Organization     string
	OrganizationName jsonOf[nap.Text]
	MeasureID        string
	MeasureCode      string
	MeasureTitle     jsonOf[nap.Text]
	Role             string
	UpdateID         *string
	UpdateState      *string
	Visibility       *string
	SubmittedAt      *time.Time
	Detailed         bool
}

// ExpectedReports returns the reports a period expects, in organization and measure code
// order (only org's, when it is not ""): each organization's on each measure of the period's
// plan it leads or co-implements that is open in the period, that is, started by the period's
// end and not implemented or cancelled, as its latest approved update says, by the period's
// start. Each report stands as its organization's latest update for the measure and period
// stands (an approved one wins), late as of day. What scope may not see of it in detail, it
// sees only as approved when the approval is published to it.
func (db *DB) ExpectedReports(ctx context.Context, scope nap.Scope, period nap.ReportingPeriod, day time.Time, org string) ([]nap.ExpectedReport, error) {
	before := period.StartsOn.AddDate(0, 0, -1)
	closed := latestApproved(nap.Everything, &before, "closed")
	detailed, detailedArgs := "true", []any(nil)
	if !scope.AllOrganizations {
		detailed, detailedArgs = "e.org_id IN ?", []any{orgsOrNone(scope)}
	}
	args := append(detailedArgs, period.ID, period.ID, period.ID)
	args = append(append(args, closed.args...), period.PlanID, period.EndsOn, closedStatuses)
	where := ""
	if org != "" {
		where, args = " AND o.code = ?", append(args, org)
	}
	var rows []expectedRow
	err := db.conn(ctx).Raw(`SELECT o.id AS organization_id, o.code AS organization, o.name AS organization_name,
			m.id AS measure_id, m.code AS measure_code, m.title AS measure_title, e.role,
			r.id AS update_id, r.state AS update_state, r.visibility, first.at AS submitted_at,
			`+detailed+` AS detailed
		FROM measures m
		JOIN LATERAL (SELECT m.lead_id AS org_id, 'lead' AS role
			UNION ALL SELECT mo.organization_id, 'co_implementer' FROM measure_organizations mo
			WHERE mo.measure_id = m.id AND mo.role = 'co_implementer') e ON true
		JOIN organizations o ON o.id = e.org_id
		LEFT JOIN LATERAL (SELECT u.id, u.state, u.visibility FROM progress_updates u
			WHERE u.measure_id = m.id AND u.period_id = ? AND u.reporting_org_id = e.org_id AND u.state <> 'withdrawn'
			ORDER BY u.state IN ('approved', 'superseded') DESC, u.created_at DESC LIMIT 1) r ON true
		LEFT JOIN LATERAL (SELECT min(at) AS at FROM (
				SELECT ra.at FROM review_actions ra JOIN progress_updates u ON u.id = ra.update_id
				WHERE ra.action = 'submit' AND u.measure_id = m.id AND u.period_id = ? AND u.reporting_org_id = e.org_id
				UNION ALL SELECT u.submitted_at FROM progress_updates u
				WHERE u.measure_id = m.id AND u.period_id = ? AND u.reporting_org_id = e.org_id) s) first ON true
		`+closed.join+`
		WHERE m.plan_id = ? AND (m.due_start IS NULL OR m.due_start <= ?) AND `+closed.status+` NOT IN ?`+where+`
		ORDER BY o.code, m.code, m.id`, args...).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	published := publishedTo(scope)
	due := period.SubmissionDeadline.AddDate(0, 0, 1) // the deadline's day is the last
	out := make([]nap.ExpectedReport, len(rows))
	for i, r := range rows {
		e := nap.ExpectedReport{OrganizationID: r.OrganizationID, Organization: r.Organization, OrganizationName: r.OrganizationName.V,
			MeasureID: r.MeasureID, MeasureCode: r.MeasureCode, MeasureTitle: r.MeasureTitle.V, Role: r.Role, Detailed: r.Detailed}
		approved := r.UpdateState != nil && nap.UpdateState(*r.UpdateState).Published()
		switch {
		case r.Detailed:
			e.State, e.UpdateID, e.SubmittedAt = nap.ReportMissing, deref(r.UpdateID), r.SubmittedAt
			if r.UpdateState != nil {
				e.State = nap.ReportState(*r.UpdateState)
			}
			if approved {
				e.State = nap.ReportApproved
			}
			e.Late = r.SubmittedAt == nil && !day.Before(due) || r.SubmittedAt != nil && !r.SubmittedAt.Before(due)
		case approved && slices.Contains(published, deref(r.Visibility)):
			e.State, e.UpdateID = nap.ReportApproved, deref(r.UpdateID)
		}
		out[i] = e
	}
	return out, nil
}
