package postgres

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type refRow struct {
	ID        string `json:"id"`
	Document  string `json:"document"`
	Code      string `json:"code"`
	Paragraph string `json:"paragraph"`
}

type measureRow struct {
	RowMeta
	RowSource
	PlanID          string
	Code            string
	Title           jsonOf[nap.Text]
	Description     jsonOf[nap.Text]
	ExpectedResult  jsonOf[nap.Text]
	DeadlineText    jsonOf[nap.Text]
	DueStart        *time.Time
	DueEnd          *time.Time
	Lead            string
	CoImplementers  jsonOf[[]string]
	Partners        jsonOf[[]string]
	Recommendations jsonOf[[]refRow]
	Articles        jsonOf[[]int]
	CurrentStatus   string
	ProgressPercent *int
	Overdue         bool
}

// dests are where a row of measureColumns scans to, in the order of the columns.
func (r *measureRow) dests() []any {
	return []any{&r.ID, &r.Version, &r.CreatedAt, &r.UpdatedAt, &r.Provenance, &r.ProvenanceNote,
		&r.PlanID, &r.Code, &r.Title, &r.Description, &r.ExpectedResult, &r.DeadlineText,
		&r.DueStart, &r.DueEnd, &r.Lead, &r.Articles, &r.CurrentStatus, &r.ProgressPercent, &r.Overdue,
		&r.CoImplementers, &r.Partners, &r.Recommendations}
}

// scanMeasures reads the rows of q, which selects measureColumns, by position: gorm's
// reflective scan was a fifth of the cost of a page of measures.
func scanMeasures(q *gorm.DB) ([]measureRow, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []measureRow
	for rows.Next() {
		var r measureRow
		if err := rows.Scan(r.dests()...); err != nil {
			return nil, translate(err)
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
}

func (r measureRow) toNap() nap.Measure {
	refs := make([]nap.RecommendationRef, len(r.Recommendations.V))
	for i, ref := range r.Recommendations.V {
		refs[i] = nap.RecommendationRef(ref)
	}
	return nap.Measure{
		Meta: r.RowMeta.toNap(), PlanID: r.PlanID, Code: r.Code,
		Title: r.Title.V, Description: r.Description.V, ExpectedResult: r.ExpectedResult.V,
		DeadlineText: r.DeadlineText.V, DueStart: r.DueStart, DueEnd: r.DueEnd,
		Lead: r.Lead, CoImplementers: r.CoImplementers.V, Partners: r.Partners.V,
		Recommendations: refs, Articles: r.Articles.V, Source: r.RowSource.toNap(),
		CurrentStatus: nap.Status(r.CurrentStatus), ProgressPercent: r.ProgressPercent, Overdue: r.Overdue,
	}
}

// closedStatuses are the statuses in which a measure is never overdue.
var closedStatuses = func() []string {
	var s []string
	for _, st := range nap.Statuses {
		if st.Closed() {
			s = append(s, string(st))
		}
	}
	return s
}()

// overdue is true for a measure m whose status (an SQL expression) is not closed and whose
// due date is before the day given as its first argument; closedStatuses is its second.
func overdue(status string) string {
	return `(m.due_end IS NOT NULL AND m.due_end < ? AND ` + status + ` NOT IN ?)`
}

// derivation is where the status and progress of measures m, as one scope sees them, come
// from: SQL expressions, and the join that makes them when no kept column holds them.
type derivation struct {
	status, progress string
	join             string
	args             []any
}

// keptAudiences are the scopes whose derived status and progress measures keep in columns
// (status_<name>, progress_<name>), so that they are read rather than worked out.
var keptAudiences = []struct {
	name  string
	scope nap.Scope
}{
	{"public", nap.Scope{Published: []nap.Visibility{nap.VisibilityPublic}}},
	{"partners", nap.Scope{Published: []nap.Visibility{nap.VisibilityPartners, nap.VisibilityPublic}}},
	{"all", nap.Scope{AllOrganizations: true}},
}

// derived is scope's derivation: a kept audience's columns when scope reads the same
// approved updates, else the latest approved update scope reads, worked out as it is read.
func derived(scope nap.Scope) derivation {
	for _, a := range keptAudiences {
		if sameApproved(scope, a.scope) {
			return derivation{status: "m.status_" + a.name, progress: "m.progress_" + a.name}
		}
	}
	return latestApproved(scope, nil, "ms")
}

// sameApproved reports whether two scopes read the same approved updates.
func sameApproved(a, b nap.Scope) bool {
	if a.AllOrganizations || b.AllOrganizations {
		return a.AllOrganizations == b.AllOrganizations
	}
	return len(a.Organizations) == 0 && len(b.Organizations) == 0 &&
		slices.Equal(slices.Sorted(slices.Values(a.Published)), slices.Sorted(slices.Values(b.Published)))
}

// latestApproved derives a measure m's status and progress from its latest approved update
// that scope reads, by period and then approval, among the periods that end by until (all
// when nil); no_information when there is none. It is the one rule of derived status: the
// kept columns are made by it too (DeriveStatuses). alias names the join.
//
// A period's end is looked up for each update by its key: a measure has few approved updates,
// and joining the periods instead had the planner hash all of them, three times in an
// approval's recomputation, which took it twice as long.
func latestApproved(scope nap.Scope, until *time.Time, alias string) derivation {
	const periodEnd = `(SELECT rp.ends_on FROM reporting_periods rp WHERE rp.id = u.period_id)`
	cond, args := visibleBeyondOrg(scope, "u")
	if until != nil {
		cond += " AND " + periodEnd + " <= ?::date"
		args = append(args, until.Format(nap.DateLayout))
	}
	return derivation{status: "coalesce(" + alias + ".proposed_status, 'no_information')", progress: alias + ".progress_percent",
		join: `LEFT JOIN LATERAL (SELECT u.proposed_status, u.progress_percent
			FROM progress_updates u
			WHERE u.measure_id = m.id AND u.state = 'approved' AND ` + cond + `
			ORDER BY ` + periodEnd + ` DESC, u.approved_at DESC LIMIT 1) ` + alias + ` ON true`, args: args}
}

// from adds the derivation's join to q, which reads measures m.
func (d derivation) from(q *gorm.DB) *gorm.DB {
	if d.join == "" {
		return q
	}
	return q.Joins(d.join, d.args...)
}

// measureColumns selects a measure m, with its status and progress as d derives them and
// overdue as of the day given as its first argument (closedStatuses the second). Each
// measure's organizations and recommendations come as JSON from subqueries, so a page is
// one statement however many measures it holds. They are json, not jsonb: the text is what
// a rendered measure (measureJSON) and a scan both want, and building none costs less.
func measureColumns(d derivation) string {
	return `m.id, m.version, m.created_at, m.updated_at, m.provenance, m.provenance_note,
	m.plan_id, m.code, m.title, m.description, m.expected_result, m.deadline_text,
	m.due_start, m.due_end, lead.code AS lead, to_json(m.articles) AS articles,
	` + d.status + ` AS current_status, ` + d.progress + ` AS progress_percent, ` + overdue(d.status) + ` AS overdue,
	coalesce((SELECT json_agg(o.code ORDER BY o.code) FROM measure_organizations mo
		JOIN organizations o ON o.id = mo.organization_id
		WHERE mo.measure_id = m.id AND mo.role = 'co_implementer'), '[]') AS co_implementers,
	coalesce((SELECT json_agg(o.code ORDER BY o.code) FROM measure_organizations mo
		JOIN organizations o ON o.id = mo.organization_id
		WHERE mo.measure_id = m.id AND mo.role = 'partner'), '[]') AS partners,
	coalesce((SELECT json_agg(json_build_object('id', r.id, 'document', d.symbol, 'code', r.code,
			'paragraph', r.paragraph) ORDER BY d.symbol, r.code)
		FROM measure_recommendations mr
		JOIN recommendations r ON r.id = mr.recommendation_id
		JOIN source_documents d ON d.id = r.document_id
		WHERE mr.measure_id = m.id), '[]') AS recommendations`
}

// measures reads measures m as scope sees them, with their derivation d (derived(scope)).
func (db *DB) measures(ctx context.Context, scope nap.Scope, d derivation, today time.Time) *gorm.DB {
	q := db.conn(ctx).Table("measures m").
		Select(measureColumns(d), today, closedStatuses).
		Joins("JOIN organizations lead ON lead.id = m.lead_id").
		Joins("JOIN plans p ON p.id = m.plan_id")
	return visiblePlans(d.from(q), scope)
}

func filterMeasures(q *gorm.DB, d derivation, f nap.MeasureFilter, today time.Time) *gorm.DB {
	if f.Code != "" {
		q = q.Where("m.code = ?", f.Code)
	}
	if f.Lead != "" {
		q = q.Where("lead.code = ?", f.Lead)
	}
	if f.Organization != "" {
		q = q.Where(`(lead.code = ? OR EXISTS (SELECT 1 FROM measure_organizations mo
			JOIN organizations o ON o.id = mo.organization_id
			WHERE mo.measure_id = m.id AND mo.role = 'co_implementer' AND o.code = ?))`,
			f.Organization, f.Organization)
	}
	if len(f.Statuses) > 0 {
		q = q.Where(d.status+" IN ?", f.Statuses)
	}
	if f.Article != 0 {
		q = q.Where("m.articles @> ARRAY[?]::smallint[]", f.Article)
	}
	if f.Recommendation != "" {
		match, value := "r.code = ?", f.Recommendation
		if id, ok := canonicalUUID(f.Recommendation); ok {
			match, value = "r.id = ?", id
		}
		q = q.Where(`EXISTS (SELECT 1 FROM measure_recommendations mr
			JOIN recommendations r ON r.id = mr.recommendation_id
			WHERE mr.measure_id = m.id AND `+match+`)`, value)
	}
	if f.Overdue != nil {
		cond := overdue(d.status)
		if !*f.Overdue {
			cond = "NOT " + cond
		}
		q = q.Where(cond, today, closedStatuses)
	}
	if f.DueBefore != nil {
		q = q.Where("m.due_end <= ?", *f.DueBefore)
	}
	if f.DueAfter != nil {
		q = q.Where("m.due_end >= ?", *f.DueAfter)
	}
	for _, word := range strings.Fields(strings.ToLower(f.Query)) {
		q = q.Where(`m.search_text LIKE ? ESCAPE '\'`, "%"+escapeLike(word)+"%")
	}
	return q
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string { return likeLiteral.Replace(s) }

var likeLiteral = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// GetMeasure returns the measure with the given id if scope may read it. Overdue is judged
// as of today.
func (db *DB) GetMeasure(ctx context.Context, scope nap.Scope, id string, today time.Time) (nap.Measure, error) {
	rows, err := scanMeasures(db.measures(ctx, scope, derived(scope), today).Where("m.id = ?", id))
	if err != nil {
		return nap.Measure{}, err
	}
	if len(rows) == 0 {
		return nap.Measure{}, nap.Errorf(nap.ENOTFOUND, "measure not found")
	}
	return rows[0].toNap(), nil
}

// MeasureVersion returns the version of the measure with the given id, its status and
// progress as scope sees them, and whether it is overdue today, if scope may read it: what a
// client's cached copy is checked against, for a fraction of the cost of reading the
// measure.
func (db *DB) MeasureVersion(ctx context.Context, scope nap.Scope, id string, today time.Time) (nap.MeasureState, error) {
	query, args, err := db.measureStatement("version", scope, id, today, func() *gorm.DB {
		d := derived(scope)
		q := db.conn(ctx).Table("measures m").
			Select("m.version, "+d.status+", "+d.progress+", "+overdue(d.status), today, closedStatuses).
			Joins("JOIN plans p ON p.id = m.plan_id")
		return visiblePlans(d.from(q), scope).Where("m.id = ?", id)
	}, func(version string) string { return version })
	var st nap.MeasureState
	if err == nil {
		err = db.queryRow(ctx, query, args, &st.Version, &st.Status, &st.ProgressPercent, &st.Overdue)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nap.MeasureState{}, nap.Errorf(nap.ENOTFOUND, "measure not found")
	}
	return st, translate(err)
}

// MeasurePlace returns the plan of the measure with the given id and the organizations that
// lead and co-implement it, if scope may read it.
func (db *DB) MeasurePlace(ctx context.Context, scope nap.Scope, id string) (nap.Place, error) {
	var row struct {
		PlanID string
		Orgs   jsonOf[[]string]
	}
	q := db.conn(ctx).Table("measures m").
		Select(`m.plan_id, to_jsonb(array_prepend(m.lead_id, ARRAY(SELECT mo.organization_id FROM measure_organizations mo
			WHERE mo.measure_id = m.id AND mo.role = 'co_implementer'))) AS orgs`).
		Joins("JOIN plans p ON p.id = m.plan_id").Where("m.id = ?", id)
	if err := visiblePlans(q, scope).Take(&row).Error; err != nil {
		return nap.Place{}, notFound(err, "measure")
	}
	return nap.Place{PlanID: row.PlanID, Organizations: row.Orgs.V}, nil
}
