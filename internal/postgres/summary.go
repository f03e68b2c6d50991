package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// PlanSummaryJSON counts a plan's measures by status, lead organization, ICRMW article and
// recommendation, as scope sees their statuses, with overdue judged as of today, and renders
// the counts as a PlanSummary. The summary of an audience whose statuses measures keep is
// remembered until a measure of the plan or its status changes, or the day does.
func (db *DB) PlanSummaryJSON(ctx context.Context, scope nap.Scope, planID string, today time.Time) ([]byte, error) {
	d := derived(scope)
	if d.join != "" { // worked out as it is read: nothing to remember it by
		if err := db.checkPlan(ctx, scope, planID); err != nil {
			return nil, err
		}
		return db.renderSummary(ctx, d, planID, today)
	}
	key := summaryKey{plan: planKey{id: planID, audience: d.status}, today: today}
	q := db.conn(ctx).Table("measures m").
		Select("count(*), coalesce(sum(m.version), 0), coalesce(sum(hashtext("+d.status+" || coalesce("+d.progress+"::text, ''))), 0)").
		Joins("JOIN plans p ON p.id = m.plan_id").Where("m.plan_id = ?", planID)
	if err := visiblePlans(q, scope).Row().Scan(&key.measures, &key.versions, &key.statuses); err != nil {
		return nil, translate(err)
	}
	if key.measures == 0 {
		if err := db.checkPlan(ctx, scope, planID); err != nil {
			return nil, err
		}
	}
	if s, ok := db.summaries.get(key); ok {
		return s, nil
	}
	s, err := db.renderSummary(ctx, d, planID, today)
	if err == nil {
		db.summaries.put(key, s)
	}
	return s, err
}

// planKey names a plan's summary as one audience sees it.
type planKey struct {
	id       string
	audience string // the column its statuses come from
}

// summaryKey is what a plan's summary depends on.
type summaryKey struct {
	plan                         planKey
	today                        time.Time
	measures, versions, statuses int64
}

// summaries remembers the latest summary of each plan for each audience, which a change to
// the plan replaces; when it holds maxSummaries and another comes, one of them, at random,
// makes room.
type summaries struct {
	mu sync.Mutex
	m  map[planKey]rememberedSummary
}

type rememberedSummary struct {
	key     summaryKey
	summary []byte
}

// maxSummaries bounds the memory summaries take: the summary of a plan of 500 measures that
// answer 1,250 recommendations takes about 200 KB.
const maxSummaries = 100

func (c *summaries) get(k summaryKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[k.plan]
	return r.summary, ok && r.key == k
}

func (c *summaries) put(k summaryKey, s []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[planKey]rememberedSummary)
	}
	if _, known := c.m[k.plan]; !known && len(c.m) >= maxSummaries {
		for plan := range c.m { // any one: map order is random
			delete(c.m, plan)
			break
		}
	}
	c.m[k.plan] = rememberedSummary{key: k, summary: s}
}

// renderSummary counts a plan's measures in total and in each grouping, with their statuses
// as d derives them, in one statement that writes the PlanSummary.
func (db *DB) renderSummary(ctx context.Context, d derivation, planID string, today time.Time) ([]byte, error) {
	args := append(append([]any{today, closedStatuses}, d.args...), planID, planID, today.Format(nap.DateLayout))
	var body []byte
	err := db.conn(ctx).Raw(`WITH s AS (SELECT m.id, m.articles, lead.code AS lead, `+d.status+` AS status,
				`+overdue(d.status)+` AS overdue
			FROM measures m JOIN organizations lead ON lead.id = m.lead_id `+d.join+`
			WHERE m.plan_id = ?)
		SELECT json_build_object('plan_id', ?::text, 'as_of', ?::text,
			'total', (SELECT json_build_object(`+tallyJSON+`) FROM s),
			'by_lead', (SELECT coalesce(json_agg(g.j ORDER BY g.lead), '[]') FROM (
				SELECT s.lead, json_build_object('organization', s.lead, `+tallyJSON+`) AS j
				FROM s GROUP BY s.lead) g),
			'by_article', (SELECT coalesce(json_agg(g.j ORDER BY g.article), '[]') FROM (
				SELECT a.article, json_build_object('article', a.article, `+tallyJSON+`) AS j
				FROM s CROSS JOIN LATERAL unnest(s.articles) AS a(article) GROUP BY a.article) g),
			'by_recommendation', (SELECT coalesce(json_agg(g.j ORDER BY g.symbol, g.code, g.id), '[]') FROM (
				SELECT d.symbol, r.code, r.id, json_build_object('recommendation', json_build_object('id', r.id,
					'document', d.symbol, 'code', r.code, 'paragraph', r.paragraph), `+tallyJSON+`) AS j
				FROM s JOIN measure_recommendations mr ON mr.measure_id = s.id
				JOIN recommendations r ON r.id = mr.recommendation_id
				JOIN source_documents d ON d.id = r.document_id
				GROUP BY d.symbol, r.code, r.id, r.paragraph) g))`, args...).Row().Scan(&body)
	return body, translate(err)
}

// tallyJSON are the fields of a Tally of the measures s of a group: how many, how many are
// overdue, and how many are in each status.
var tallyJSON = func() string {
	var byStatus []string
	for _, st := range nap.Statuses {
		byStatus = append(byStatus, fmt.Sprintf("'%s', count(*) FILTER (WHERE s.status = '%s')", st, st))
	}
	return `'measures', count(*), 'overdue', count(*) FILTER (WHERE s.overdue),
		'by_status', json_build_object(` + strings.Join(byStatus, ", ") + `)`
}()
