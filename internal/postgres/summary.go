package postgres

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// PlanSummaryJSON counts a plan's measures by status, lead organization, ICRMW article and
// recommendation, as scope sees their statuses, with overdue judged as of today, and renders
// the counts as a PlanSummary. Which groups each measure counts in (its plan's shape) is
// remembered until a measure of the plan changes; the summary of an audience whose statuses
// measures keep, until a measure of the plan or its status changes, or the day does.
func (db *DB) PlanSummaryJSON(ctx context.Context, scope nap.Scope, planID string, today time.Time) ([]byte, error) {
	d := derived(scope)
	kept := d.join == "" // otherwise worked out as it is read: nothing to remember it by
	key := summaryKey{plan: planKey{id: planID, audience: d.status}, today: today}
	statuses := "0"
	if kept {
		statuses = "coalesce(sum(hashtext(" + d.status + " || coalesce(" + d.progress + "::text, ''))), 0)"
	}
	q := db.conn(ctx).Table("measures m").Select("count(*), coalesce(sum(m.version), 0), "+statuses).
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
	shape, err := db.planShape(ctx, planID, key)
	if err != nil {
		return nil, err
	}
	states, err := db.measureStates(ctx, d, planID, today, shape)
	if err != nil {
		return nil, err
	}
	s := renderSummary(planID, today, shape, states)
	if kept {
		db.summaries.put(key, s)
	}
	return s, nil
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
// the plan replaces, and the latest shape of each plan; when either holds maxSummaries and
// another comes, one of them, at random, makes room.
type summaries struct {
	mu     sync.Mutex
	m      map[planKey]rememberedSummary
	shapes map[string]*planShape
}

type rememberedSummary struct {
	key     summaryKey
	summary []byte
}

// maxSummaries bounds the memory summaries take: the summary of a plan of 500 measures that
// answer 1,250 recommendations takes about 350 KB, its shape about 100 KB.
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
	putBounded(c.m, k.plan, rememberedSummary{key: k, summary: s})
}

func (c *summaries) shape(planID string) (*planShape, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, ok := c.shapes[planID]
	return sh, ok
}

func (c *summaries) putShape(planID string, sh *planShape) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shapes == nil {
		c.shapes = make(map[string]*planShape)
	}
	putBounded(c.shapes, planID, sh)
}

// putBounded sets m[k], first making room, when m is full, by forgetting any one other entry.
func putBounded[K comparable, V any](m map[K]V, k K, v V) {
	if _, known := m[k]; !known && len(m) >= maxSummaries {
		for other := range m { // any one: map order is random
			delete(m, other)
			break
		}
	}
	m[k] = v
}

// planShape is what of a plan's summary depends on its measures and their links alone: the
// groups each measure counts in, each list in the summary's order.
type planShape struct {
	measures, versions int64
	index              map[string]int // a measure's id → its place in the lists of members
	leads              []shapeGroup[string]
	articles           []shapeGroup[int]
	recommendations    []shapeGroup[refRow]
}

// shapeGroup is one group of a summary and the places of the measures in it.
type shapeGroup[K any] struct {
	key     K
	members []int
}

// planShape returns the plan's shape as of key (its measures' number and versions), from
// memory when that is still it. PostgreSQL orders the groups, with the collations of the
// columns they are ordered by.
func (db *DB) planShape(ctx context.Context, planID string, key summaryKey) (*planShape, error) {
	if sh, ok := db.summaries.shape(planID); ok && sh.measures == key.measures && sh.versions == key.versions {
		return sh, nil
	}
	sh := &planShape{measures: key.measures, versions: key.versions, index: map[string]int{}}
	var measures []struct {
		ID, Lead string
		Articles jsonOf[[]int]
	}
	err := db.conn(ctx).Raw(`SELECT m.id, lead.code AS lead, to_jsonb(m.articles) AS articles
		FROM measures m JOIN organizations lead ON lead.id = m.lead_id
		WHERE m.plan_id = ? ORDER BY lead.code, m.id`, planID).Scan(&measures).Error
	if err != nil {
		return nil, err
	}
	byArticle := map[int][]int{}
	for i, m := range measures {
		sh.index[m.ID] = i
		if n := len(sh.leads); n == 0 || sh.leads[n-1].key != m.Lead {
			sh.leads = append(sh.leads, shapeGroup[string]{key: m.Lead})
		}
		sh.leads[len(sh.leads)-1].members = append(sh.leads[len(sh.leads)-1].members, i)
		for _, a := range m.Articles.V {
			byArticle[a] = append(byArticle[a], i)
		}
	}
	for _, a := range slices.Sorted(maps.Keys(byArticle)) {
		sh.articles = append(sh.articles, shapeGroup[int]{key: a, members: byArticle[a]})
	}
	var links []struct{ MeasureID, RecommendationID, Document, Code, Paragraph string }
	err = db.conn(ctx).Raw(`SELECT mr.measure_id, r.id AS recommendation_id, d.symbol AS document, r.code, r.paragraph
		FROM measures m JOIN measure_recommendations mr ON mr.measure_id = m.id
		JOIN recommendations r ON r.id = mr.recommendation_id JOIN source_documents d ON d.id = r.document_id
		WHERE m.plan_id = ? ORDER BY d.symbol, r.code, r.id`, planID).Scan(&links).Error
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if n := len(sh.recommendations); n == 0 || sh.recommendations[n-1].key.ID != l.RecommendationID {
			ref := refRow{ID: l.RecommendationID, Document: l.Document, Code: l.Code, Paragraph: l.Paragraph}
			sh.recommendations = append(sh.recommendations, shapeGroup[refRow]{key: ref})
		}
		g := &sh.recommendations[len(sh.recommendations)-1]
		g.members = append(g.members, sh.index[l.MeasureID])
	}
	db.summaries.putShape(planID, sh)
	return sh, nil
}

// measureState is a measure's status as one audience sees it, and whether it is overdue.
type measureState struct {
	status  nap.Status
	overdue bool
}

// measureStates returns the states of the plan's measures, as d derives them, in the places
// shape gives them.
func (db *DB) measureStates(ctx context.Context, d derivation, planID string, today time.Time, shape *planShape) ([]measureState, error) {
	var rows []struct {
		ID, Status string
		Overdue    bool
	}
	args := append(append([]any{today, closedStatuses}, d.args...), planID)
	err := db.conn(ctx).Raw(`SELECT m.id, `+d.status+` AS status, `+overdue(d.status)+` AS overdue
		FROM measures m `+d.join+` WHERE m.plan_id = ?`, args...).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	states := make([]measureState, len(shape.index))
	for _, r := range rows {
		if i, ok := shape.index[r.ID]; ok { // a measure added since the shape was read counts next time
			states[i] = measureState{status: nap.Status(r.Status), overdue: r.Overdue}
		}
	}
	return states, nil
}

// renderSummary writes the PlanSummary of states, counted in the groups of shape.
func renderSummary(planID string, today time.Time, shape *planShape, states []measureState) []byte {
	b := make([]byte, 0, 64+256*(1+len(shape.leads)+len(shape.articles)+len(shape.recommendations)))
	b = append(b, `{"plan_id":`...)
	b = appendJSON(b, planID)
	b = append(b, `,"as_of":`...)
	b = appendJSON(b, today.Format(nap.DateLayout))
	b = append(b, `,"total":{`...)
	b = appendTally(b, states, nil)
	b = append(b, `},"by_lead":[`...)
	for i, g := range shape.leads {
		b = appendGroup(b, i, `"organization":`, appendJSON(nil, g.key), states, g.members)
	}
	b = append(b, `],"by_article":[`...)
	for i, g := range shape.articles {
		b = appendGroup(b, i, `"article":`, strconv.AppendInt(nil, int64(g.key), 10), states, g.members)
	}
	b = append(b, `],"by_recommendation":[`...)
	for i, g := range shape.recommendations {
		b = appendGroup(b, i, `"recommendation":`, appendJSON(nil, g.key), states, g.members)
	}
	return append(b, "]}"...)
}

// appendGroup writes the i-th group of a list: its key, then the tally of its members.
func appendGroup(b []byte, i int, name string, key []byte, states []measureState, members []int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, '{')
	b = append(b, name...)
	b = append(b, key...)
	b = append(b, ',')
	b = appendTally(b, states, members)
	return append(b, '}')
}

// appendTally writes the fields of a Tally of the measures at members of states (all of them
// when members is nil): how many, how many are overdue, and how many are in each status.
func appendTally(b []byte, states []measureState, members []int) []byte {
	var overdue int64
	counts := make(map[nap.Status]int64, len(nap.Statuses))
	count := func(s measureState) {
		counts[s.status]++
		if s.overdue {
			overdue++
		}
	}
	n := len(members)
	if members == nil {
		n = len(states)
		for _, s := range states {
			count(s)
		}
	}
	for _, i := range members {
		count(states[i])
	}
	b = append(b, `"measures":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"overdue":`...)
	b = strconv.AppendInt(b, overdue, 10)
	b = append(b, `,"by_status":{`...)
	for i, st := range nap.Statuses {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, string(st))
		b = append(b, ':')
		b = strconv.AppendInt(b, counts[st], 10)
	}
	return append(b, '}')
}

// appendJSON appends v as JSON; it is a string or a struct of strings, which always encode.
func appendJSON(b []byte, v any) []byte {
	j, _ := json.Marshal(v) //nolint:errchkjson // strings and structs of strings
	return append(b, j...)
}
