package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Counted is one row of a grouped count: how many measures of a group share a status and
// overdue flag. Exported because gorm fills only exported embedded structs.
type Counted struct {
	Status  nap.Status
	Overdue bool
	N       int
}

// PlanSummary counts a plan's measures by status, lead organization, ICRMW article and
// recommendation, as scope sees their statuses, with overdue judged as of today. The counts of
// an audience whose statuses measures keep are remembered until a measure of the plan or its
// status changes, or the day does; otherwise each grouping is one GROUP BY query, and Go only
// folds its (group, status, overdue) counts into tallies.
func (db *DB) PlanSummary(ctx context.Context, scope nap.Scope, planID string, today time.Time) (nap.PlanSummary, error) {
	d := derived(scope)
	if d.join != "" { // worked out as it is read: nothing to remember it by
		if err := db.checkPlan(ctx, scope, planID); err != nil {
			return nap.PlanSummary{}, err
		}
		return db.countPlan(ctx, d, planID, today)
	}
	key := summaryKey{plan: planKey{id: planID, audience: d.status}, today: today}
	q := db.conn(ctx).Table("measures m").
		Select("count(*), coalesce(sum(m.version), 0), coalesce(sum(hashtext("+d.status+" || coalesce("+d.progress+"::text, ''))), 0)").
		Joins("JOIN plans p ON p.id = m.plan_id").Where("m.plan_id = ?", planID)
	if err := visiblePlans(q, scope).Row().Scan(&key.measures, &key.versions, &key.statuses); err != nil {
		return nap.PlanSummary{}, translate(err)
	}
	if key.measures == 0 {
		if err := db.checkPlan(ctx, scope, planID); err != nil {
			return nap.PlanSummary{}, err
		}
	}
	if s, ok := db.summaries.get(key); ok {
		return s, nil
	}
	s, err := db.countPlan(ctx, d, planID, today)
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
	summary nap.PlanSummary
}

// maxSummaries bounds the memory summaries take: the summary of a plan of 500 measures that
// answer 1,250 recommendations takes about 200 KB.
const maxSummaries = 100

func (c *summaries) get(k summaryKey) (nap.PlanSummary, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[k.plan]
	return r.summary, ok && r.key == k
}

func (c *summaries) put(k summaryKey, s nap.PlanSummary) {
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

// countPlan counts a plan's measures in each grouping, with their statuses as d derives them.
func (db *DB) countPlan(ctx context.Context, d derivation, planID string, today time.Time) (nap.PlanSummary, error) {
	count := func(groupBy, from string, dest any) error {
		args := append(append([]any{today, closedStatuses}, d.args...), planID)
		return db.conn(ctx).Raw(`SELECT `+groupBy+`, `+d.status+` AS status,
				`+overdue(d.status)+` AS overdue, count(*) AS n
			FROM measures m `+from+` `+d.join+`
			WHERE m.plan_id = ?
			GROUP BY `+groupBy+`, `+d.status+`, overdue
			ORDER BY 1, 2`, args...).Scan(dest).Error
	}

	var byLead []struct {
		Code string
		Counted
	}
	if err := count("lead.code", "JOIN organizations lead ON lead.id = m.lead_id", &byLead); err != nil {
		return nap.PlanSummary{}, err
	}
	var byArticle []struct {
		Article int
		Counted
	}
	if err := count("a.article", "CROSS JOIN LATERAL unnest(m.articles) AS a(article)", &byArticle); err != nil {
		return nap.PlanSummary{}, err
	}
	var byRecommendation []struct {
		Symbol    string
		Code      string
		ID        string
		Paragraph string
		Counted
	}
	err := count("d.symbol, r.code, r.id, r.paragraph", `
			JOIN measure_recommendations mr ON mr.measure_id = m.id
			JOIN recommendations r ON r.id = mr.recommendation_id
			JOIN source_documents d ON d.id = r.document_id`, &byRecommendation)
	if err != nil {
		return nap.PlanSummary{}, err
	}

	s := nap.PlanSummary{PlanID: planID, AsOf: today}
	for i, r := range byLead {
		s.Total.Add(r.Status, r.Overdue, r.N)
		if i == 0 || byLead[i-1].Code != r.Code {
			s.ByLead = append(s.ByLead, nap.LeadTally{Organization: r.Code})
		}
		s.ByLead[len(s.ByLead)-1].Add(r.Status, r.Overdue, r.N)
	}
	for i, r := range byArticle {
		if i == 0 || byArticle[i-1].Article != r.Article {
			s.ByArticle = append(s.ByArticle, nap.ArticleTally{Article: r.Article})
		}
		s.ByArticle[len(s.ByArticle)-1].Add(r.Status, r.Overdue, r.N)
	}
	for i, r := range byRecommendation {
		if i == 0 || byRecommendation[i-1].ID != r.ID {
			ref := nap.RecommendationRef{ID: r.ID, Document: r.Symbol, Code: r.Code, Paragraph: r.Paragraph}
			s.ByRecommendation = append(s.ByRecommendation, nap.RecommendationTally{Recommendation: ref})
		}
		s.ByRecommendation[len(s.ByRecommendation)-1].Add(r.Status, r.Overdue, r.N)
	}
	return s, nil
}
