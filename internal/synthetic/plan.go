package synthetic

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

type period struct {
	id                    id
	label                 string
	starts, ends, due     time.Time
	locked                bool
	startedBy, inTheWorks bool // started by AsOf; the half-year being reported on now
}

type indicator struct {
	id               id
	kind             string
	baseline, target float64
}

// planGen generates one plan: its source document and recommendations, reporting periods,
// measures, indicators and the history of progress updates.
type planGen struct {
	w       *world
	r       rng
	index   int
	id      id
	code    string
	closed  bool
	signOff bool
	created time.Time
	periods []period
	recs    []id
	rows    batch
}

// plan generates plan i (from 0) with its own stream of the generator.
func (w *world) plan(i int) batch {
	g := &planGen{w: w, r: newRNG(w.opts.Seed, uint64(i)+1), index: i, rows: batch{}, //nolint:gosec // i >= 0
		code: fmt.Sprintf("%s%03d", PlanPrefix, i+1), closed: i%25 == 24, signOff: i%5 != 4}
	start := 2021 + i%3
	if g.closed {
		start = 2014 + i%3
	}
	end := start + 5
	if g.closed {
		end = start + 4
	}
	periodStart := time.Date(start, 1, 1, 0, 0, 0, 0, time.UTC)
	periodEnd := time.Date(end, 12, 31, 0, 0, 0, 0, time.UTC)
	approvedOn := periodStart.AddDate(0, 0, -17)
	g.created = approvedOn.AddDate(0, 0, -60).Add(9 * time.Hour)
	g.id = g.r.id(g.created)
	status := nap.PlanActive
	if g.closed {
		status = nap.PlanClosed
	}
	title := text(fmt.Sprintf("Synthetic action plan %d (%d–%d) on the rights of migrant workers", i+1, start, end),
		fmt.Sprintf("Синтетический план действий %d (%d–%d) по правам трудящихся-мигрантов", i+1, start, end))
	g.document(start)
	g.rows.add(plansTable, g.id, g.code, jsonText(title), periodStart, periodEnd, approvedOn, w.orgs[0].id,
		jsonText(text("Synthetic: no legal basis.", "Синтетический: правового основания нет.")), string(status), g.signOff,
		string(nap.Illustrative), Note, g.created, g.created)

	for year := start; year <= end; year++ {
		for half := 1; half <= 2; half++ {
			starts := time.Date(year, time.Month(1+6*(half-1)), 1, 0, 0, 0, 0, time.UTC)
			p := period{label: fmt.Sprintf("%d-H%d", year, half), starts: starts, ends: starts.AddDate(0, 6, -1),
				startedBy: !starts.After(AsOf)}
			p.due = p.ends.AddDate(0, 0, 45)
			p.locked = p.due.AddDate(1, 0, 0).Before(AsOf)
			p.id = g.r.id(g.created)
			version := 1
			if p.locked {
				version = 2
			}
			state := "open"
			if p.locked {
				state = "locked"
			}
			g.rows.add(periodsTable, p.id, g.id, p.label, p.starts, p.ends, p.due, p.due.AddDate(0, 0, 30), state, version, g.created, g.created)
			g.periods = append(g.periods, p)
		}
	}
	if !g.closed {
		last := -1
		for k, p := range g.periods {
			if p.startedBy {
				last = k
			}
		}
		if last >= 0 {
			g.periods[last].inTheWorks = true
		}
	}
	for j := range w.opts.MeasuresPerPlan {
		g.measure(j)
	}
	return g.rows
}

func (g *planGen) document(start int) {
	adopted := time.Date(start-1, 4, 20, 0, 0, 0, 0, time.UTC)
	docID := g.r.id(g.created)
	symbol := fmt.Sprintf("%s%03d", DocumentPrefix, g.index+1)
	g.rows.add(documentsTable, docID, symbol, "CMW",
		jsonText(text(fmt.Sprintf("Synthetic concluding observations %d", g.index+1),
			fmt.Sprintf("Синтетические заключительные замечания %d", g.index+1))),
		adopted, "", string(nap.Illustrative), Note, g.created, g.created)
	for n := range g.w.opts.RecommendationsPerPlan {
		rid := g.r.id(g.created)
		g.recs = append(g.recs, rid)
		para := 1 + n/4
		v, o, gr, rg := verbs[g.r.IntN(len(verbs))], objects[g.r.IntN(len(objects))], groups[g.r.IntN(len(groups))], regions[g.r.IntN(len(regions))]
		body := text(
			fmt.Sprintf("Synthetic recommendation %d(%c): the Committee recommends that the State party %s %s for %s in %s.",
				para, 'a'+n%4, lower(v.en), o.en, gr.en, rg.en),
			fmt.Sprintf("Синтетическая рекомендация %d(%c): Комитет рекомендует государству-участнику %s %s для %s в %s.",
				para, 'a'+n%4, v.ru, o.ru, gr.ru, rg.ru))
		themeSet := []string{themes[g.r.IntN(len(themes))]}
		if t := themes[g.r.IntN(len(themes))]; g.r.chance(40) && t != themeSet[0] {
			themeSet = append(themeSet, t)
		}
		g.rows.add(recommendationsTable, rid, docID, fmt.Sprintf("%d(%c)", para, 'a'+n%4), fmt.Sprint(para),
			sections[(n/40)%len(sections)], themeSet, g.articles(), jsonText(body), string(nap.Illustrative), Note,
			g.created, g.created)
	}
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// articles returns one to three distinct ICRMW articles.
func (g *planGen) articles() []int16 {
	var out []int16
	for range 1 + g.r.IntN(3) {
		a := int16(1 + g.r.IntN(93)) //nolint:gosec // 1..93
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// pickOther returns an element of from not in taken, or -1 after a few tries.
func (g *planGen) pickOther(from []int, taken []int) int {
	for range 8 {
		if c := from[g.r.IntN(len(from))]; !slices.Contains(taken, c) {
			return c
		}
	}
	return -1
}

// trajectory is how a measure advances over the half-years.
type trajectory struct {
	ongoing, cancelled, notImplemented bool
	final                              int // percent reached in the latest half-year
}

func (g *planGen) measure(j int) {
	w := g.w
	mid := g.r.id(g.created)
	code := fmt.Sprintf("%d.%d", j/20+1, j%20+1)
	v, o, gr, rg := verbs[g.r.IntN(len(verbs))], objects[g.r.IntN(len(objects))], groups[g.r.IntN(len(groups))], regions[g.r.IntN(len(regions))]
	title := text(fmt.Sprintf("%s %s for %s in %s", v.en, o.en, gr.en, rg.en), fmt.Sprintf("%s %s для %s в %s", v.ru, o.ru, gr.ru, rg.ru))
	description := text(fmt.Sprintf("Synthetic measure %s of plan %s, generated for performance testing; not part of any real plan.", code, g.code),
		fmt.Sprintf("Синтетическая мера %s плана %s, создана для нагрузочного тестирования; не входит ни в один реальный план.", code, g.code))
	expected := text(fmt.Sprintf("More %s reached by %s.", gr.en, o.en), fmt.Sprintf("Больше %s охвачено мерой «%s».", gr.ru, o.ru))

	planStart, planEnd := g.periods[0].starts, g.periods[len(g.periods)-1].ends
	var dueStart, dueEnd any
	deadline := text("ongoing", "постоянно")
	if !g.r.chance(10) {
		ds := planStart.AddDate(0, 3*g.r.IntN(8), 0)
		de := ds.AddDate(0, 6+3*g.r.IntN(10), -1)
		if de.After(planEnd) {
			de = planEnd
		}
		dueStart, dueEnd = ds, de
		q := (int(de.Month())-1)/3 + 1
		deadline = text(fmt.Sprintf("Q%d %d", q, de.Year()), fmt.Sprintf("%s кв. %d", []string{"I", "II", "III", "IV"}[q-1], de.Year()))
	}

	lead := w.stateBodies[g.r.IntN(len(w.stateBodies))]
	reporters := []int{lead}
	for range []int{0, 1, 1, 2, 2, 1, 0, 1, 2, 0}[g.r.IntN(10)] {
		if c := g.pickOther(w.stateBodies, reporters); c >= 0 {
			reporters = append(reporters, c)
			g.rows.add(measureOrgsTable, mid, w.orgs[c].id, "co_implementer")
		}
	}
	if g.r.chance(50) {
		p := w.supporters[g.r.IntN(len(w.supporters))]
		g.rows.add(measureOrgsTable, mid, w.orgs[p].id, "partner")
	}
	var recs []int
	for range 2 + g.r.IntN(2) {
		if c := g.pickIndex(len(g.recs), recs); c >= 0 {
			recs = append(recs, c)
			g.rows.add(measureRecsTable, mid, g.recs[c])
		}
	}

	var inds []indicator
	for k := range 1 + g.r.IntN(2) {
		in := indicator{id: g.r.id(g.created)}
		var baseline, target, unit any = nil, nil, ""
		var dis []string
		switch r := g.r.IntN(100); {
		case r < 40:
			in.kind, unit = "number", []string{"persons", "training sessions", "consultations"}[g.r.IntN(3)]
			in.baseline = float64(g.r.IntN(100))
			in.target = in.baseline + float64(100+g.r.IntN(900))
			baseline, target = in.baseline, in.target
			if g.r.chance(30) {
				dis = []string{"sex"}
			}
		case r < 65:
			in.kind, unit = "percent", "%"
			in.baseline = float64(g.r.IntN(30))
			in.target = float64(60 + g.r.IntN(41))
			baseline, target = in.baseline, in.target
		case r < 85:
			in.kind = "milestone"
		default:
			in.kind = "text"
		}
		if dis == nil {
			dis = []string{}
		}
		inds = append(inds, in)
		g.rows.add(indicatorsTable, in.id, mid, fmt.Sprintf("I%d", k+1),
			jsonText(text(fmt.Sprintf("Synthetic indicator %d of measure %s", k+1, code), fmt.Sprintf("Синтетический индикатор %d меры %s", k+1, code))),
			in.kind, unit, baseline, target, planEnd, dis, string(nap.Illustrative), Note, g.created, g.created)
	}

	tr := trajectory{final: 100}
	switch r := g.r.IntN(100); {
	case r < 15:
		tr.ongoing = true
	case r < 18:
		tr.cancelled = true
		tr.final = 5 * g.r.IntN(10)
	case r < 20:
		tr.notImplemented = true
		tr.final = 5 * g.r.IntN(6)
	case r < 60:
		tr.final = 20 + 5*g.r.IntN(15)
	}
	m := measureGen{planGen: g, id: mid, code: code, inds: inds, reporters: reporters, tr: tr, dueEnd: dueEnd}
	m.updates()

	row := []any{mid, g.id, code, jsonText(title), jsonText(description), jsonText(expected), jsonText(deadline),
		dueStart, dueEnd, w.orgs[lead].id, g.articles(), string(nap.Illustrative), Note, 1, g.created, g.created}
	// Each audience's derived status: the public reads public updates, partners partners' and
	// public ones, and the roles that read everything all of them.
	for _, reads := range [][]nap.Visibility{
		{nap.VisibilityPublic},
		{nap.VisibilityPartners, nap.VisibilityPublic},
		{nap.VisibilityInternal, nap.VisibilityPartners, nap.VisibilityPublic},
	} {
		status, percent := nap.NoInformation, any(nil)
		if latest := m.latestApproved(reads); latest != nil {
			status = latest.status
			if latest.percent != nil {
				percent = int16(*latest.percent) //nolint:gosec // 0..100
			}
		}
		row = append(row, string(status), percent)
	}
	g.rows.add(measuresTable, row...)
	m.emit()
}

// pickIndex returns an index below n not in taken, or -1 after a few tries.
func (g *planGen) pickIndex(n int, taken []int) int {
	for range 8 {
		if c := g.r.IntN(n); !slices.Contains(taken, c) {
			return c
		}
	}
	return -1
}

// measureGen generates the progress updates of one measure.
type measureGen struct {
	*planGen
	id        id
	code      string
	inds      []indicator
	reporters []int
	tr        trajectory
	dueEnd    any
	history   []*update
}

type update struct {
	id                                 id
	period                             int
	org                                int
	author, signer, approver, editedBy id
	state                              nap.UpdateState
	status                             nap.Status
	percent                            *int
	narrative, challenges, nextSteps   nap.Text
	visibility                         nap.Visibility
	supersedes, supersededBy           *id
	correctionReason                   string
	values                             []value
	evidence                           []evidenceLink
	digest                             string
	created, submittedAt, approvedAt   time.Time
	updatedAt                          time.Time
	version                            int
}

type value struct {
	id             id
	indicator      id
	number         *float64
	text           string
	disaggregation []byte
}

type evidenceLink struct {
	id         id
	url        string
	title      nap.Text
	visibility nap.Visibility
	created    time.Time
}

type slot struct{ period, org int }

// updates generates the measure's history: the latest half-years' reports of its lead and
// co-implementers, approved but for the half-year reported on now, whose reports are still
// in the works; a few approved reports corrected by a later approved correction.
func (m *measureGen) updates() {
	n := m.w.opts.UpdatesPerMeasure
	var slots []slot
	started := 0
	for k, p := range m.periods {
		if !p.startedBy {
			continue
		}
		started++
		for _, org := range m.reporters {
			slots = append(slots, slot{k, org})
		}
	}
	corrections := max(0, n-len(slots))
	if corrections == 0 && n >= 2 && m.r.chance(3) {
		corrections = 1
	}
	slots = slots[len(slots)-(n-corrections):]
	for _, s := range slots {
		m.history = append(m.history, m.report(s, started))
	}
	for range corrections {
		m.correct(started)
	}
}

// position is a half-year's place among those started, from 0.
func (m *measureGen) position(k int) int {
	pos := 0
	for i := range k {
		if m.periods[i].startedBy {
			pos++
		}
	}
	return pos
}

// content fills what an update of half-year k reports.
func (m *measureGen) content(u *update, started int) {
	p := m.periods[u.period]
	t := m.position(u.period)
	switch {
	case m.tr.ongoing:
		u.status = nap.Ongoing
	default:
		pct := m.tr.final * (t + 1) / max(1, started) / 5 * 5
		u.percent = &pct
		switch {
		case m.tr.cancelled && t >= started/2:
			u.status = nap.Cancelled
		case m.tr.notImplemented && t == started-1:
			u.status = nap.NotImplemented
		case pct == 0:
			u.status = nap.NotStarted
		case pct >= 100:
			u.status = nap.Implemented
		case m.dueEnd != nil && p.ends.After(m.dueEnd.(time.Time)):
			u.status = nap.PartiallyImplemented
		default:
			u.status = nap.InProgress
		}
	}
	o, rg := objects[m.r.IntN(len(objects))], regions[m.r.IntN(len(regions))]
	done := "work continues"
	doneRU := "работа продолжается"
	if u.percent != nil {
		done, doneRU = fmt.Sprintf("%d%% done", *u.percent), fmt.Sprintf("выполнено на %d%%", *u.percent)
	}
	org := m.w.orgs[u.org].code
	u.narrative = text(fmt.Sprintf("Synthetic report of %s for %s: %s in %s, %s.", org, p.label, o.en, rg.en, done),
		fmt.Sprintf("Синтетический отчёт %s за %s: %s в %s, %s.", org, p.label, o.ru, rg.ru, doneRU))
	if m.r.chance(40) {
		c := challenges[m.r.IntN(len(challenges))]
		u.challenges = text(c.en, c.ru)
	}
	if m.r.chance(60) {
		s := nextSteps[m.r.IntN(len(nextSteps))]
		u.nextSteps = text(s.en, s.ru)
	}
	progress := 50
	if u.percent != nil {
		progress = *u.percent
	}
	u.values = u.values[:0]
	for _, in := range m.inds {
		v := value{id: m.r.id(u.created), indicator: in.id, disaggregation: []byte("{}")}
		switch in.kind {
		case "number", "percent":
			x := math.Round(in.baseline + (in.target-in.baseline)*float64(progress)/100)
			v.number = &x
		case "milestone":
			x := 0.0
			if progress >= 60 {
				x = 1
			}
			v.number = &x
		default:
			v.text = milestones[min(len(milestones)-1, progress*len(milestones)/101)]
		}
		u.values = append(u.values, v)
	}
	u.evidence = nil
	if m.r.chance(10) {
		vis := nap.VisibilityPublic
		if m.r.chance(30) {
			vis = nap.VisibilityInternal
		}
		u.evidence = append(u.evidence, evidenceLink{id: m.r.id(u.created), visibility: vis, created: u.created.Add(time.Hour),
			url:   fmt.Sprintf("https://example.org/synthetic/%s/%s/%s/%s", m.planGen.code, m.code, org, p.label),
			title: text("Synthetic report "+p.label, "Синтетический отчёт "+p.label)})
	}
}

// report generates the update of one slot and takes it through the review its state needs.
func (m *measureGen) report(s slot, started int) *update {
	p := m.periods[s.period]
	u := &update{period: s.period, org: s.org, author: m.pickFocal(s.org)}
	if p.inTheWorks {
		u.created = m.r.between(AsOf.AddDate(0, 0, -30), 0, 10*24*time.Hour)
	} else {
		u.created = m.r.between(p.ends, 24*time.Hour, 25*24*time.Hour)
	}
	u.id = m.r.id(u.created)
	m.content(u, started)
	u.visibility = nap.VisibilityInternal
	if m.r.chance(30) {
		u.visibility = nap.VisibilityPublic
	}

	var final nap.UpdateState
	switch r := m.r.IntN(100); {
	case p.inTheWorks && r < 35:
		final = nap.UpdateDraft
	case p.inTheWorks && r < 55:
		final = nap.UpdateSubmitted
	case p.inTheWorks && r < 65:
		final = nap.UpdateSignedOff
	case p.inTheWorks && r < 78:
		final = nap.UpdateReturned
	case p.inTheWorks && r < 80:
		final = nap.UpdateWithdrawn
	case p.inTheWorks:
		final = nap.UpdateApproved
	case r < 95:
		final = nap.UpdateApproved
	case r < 97:
		final = nap.UpdateRejected
	default:
		final = nap.UpdateWithdrawn
	}
	if final == nap.UpdateSignedOff && !m.signOff {
		final = nap.UpdateSubmitted
	}
	if final == nap.UpdateApproved {
		switch r := m.r.IntN(100); {
		case r < 85:
			u.visibility = nap.VisibilityPublic
		case r < 95:
			u.visibility = nap.VisibilityPartners
		default:
			u.visibility = nap.VisibilityInternal
		}
	}
	m.review(u, final, p.inTheWorks)
	return u
}

func (m *measureGen) pickFocal(org int) id {
	f := m.w.focal[org]
	return f[m.r.IntN(len(f))]
}

// review takes u from draft to final through the steps of the workflow, recording each as
// the API would.
func (m *measureGen) review(u *update, final nap.UpdateState, soon bool) {
	u.state, u.version, u.updatedAt, u.editedBy = nap.UpdateDraft, 1, u.created, u.author
	at := u.created
	step := func(action nap.ReviewAction, actor id, to nap.UpdateState, comment string) {
		if soon {
			at = m.r.between(at, time.Hour, 3*24*time.Hour)
		} else {
			at = m.r.between(at, 24*time.Hour, 6*24*time.Hour)
		}
		m.rows.add(reviewsTable, m.r.id(at), u.id, actor, string(action), string(u.state), string(to), comment, at)
		switch action {
		case nap.ActionSubmit:
			u.submittedAt, u.signer = at, id{}
		case nap.ActionSignOff:
			u.signer = actor
		case nap.ActionApprove:
			u.approver, u.approvedAt = actor, at
		}
		u.state, u.version, u.updatedAt, u.editedBy = to, u.version+1, at, actor
	}
	signer := m.w.approvers[u.org][m.r.IntN(len(m.w.approvers[u.org]))]
	coordinator := m.w.coordinators[m.r.IntN(len(m.w.coordinators))]
	review := func() {
		step(nap.ActionSubmit, u.author, nap.UpdateSubmitted, "")
		if m.signOff {
			step(nap.ActionSignOff, signer, nap.UpdateSignedOff, "")
		}
	}
	switch final {
	case nap.UpdateDraft:
	case nap.UpdateWithdrawn:
		step(nap.ActionWithdraw, u.author, nap.UpdateWithdrawn, "Synthetic: reported in error.")
	case nap.UpdateSubmitted:
		step(nap.ActionSubmit, u.author, nap.UpdateSubmitted, "")
	case nap.UpdateSignedOff:
		review()
	case nap.UpdateReturned:
		step(nap.ActionSubmit, u.author, nap.UpdateSubmitted, "")
		if m.signOff {
			step(nap.ActionReturn, signer, nap.UpdateReturned, "Synthetic: please add the source of the figures.")
		} else {
			step(nap.ActionReturn, coordinator, nap.UpdateReturned, "Synthetic: please add the source of the figures.")
		}
	case nap.UpdateRejected:
		review()
		step(nap.ActionReject, coordinator, nap.UpdateRejected, "Synthetic: this reports another measure.")
	case nap.UpdateApproved:
		review()
		u.digest = nap.ContentDigest(m.napUpdate(u), u.evidenceDigests())
		step(nap.ActionApprove, coordinator, nap.UpdateApproved, "")
	}
}

// correct replaces an approved report, not of the half-year in the works, by an approved
// correction; with none to correct, the extra update is a withdrawn draft of the latest slot.
func (m *measureGen) correct(started int) {
	var candidates []*update
	for _, u := range m.history {
		if u.state == nap.UpdateApproved && !m.periods[u.period].inTheWorks {
			candidates = append(candidates, u)
		}
	}
	if len(candidates) == 0 {
		last := slot{len(m.periods) - 1, m.reporters[0]}
		if len(m.history) > 0 {
			last = slot{m.history[len(m.history)-1].period, m.history[len(m.history)-1].org}
		}
		u := &update{period: last.period, org: last.org, author: m.pickFocal(last.org)}
		u.created = earlier(m.r.between(m.periods[last.period].ends, 24*time.Hour, 25*24*time.Hour), AsOf.AddDate(0, 0, -10))
		u.id = m.r.id(u.created)
		m.content(u, started)
		u.visibility = nap.VisibilityInternal
		m.review(u, nap.UpdateWithdrawn, true)
		m.history = append(m.history, u)
		return
	}
	old := candidates[m.r.IntN(len(candidates))]
	u := &update{period: old.period, org: old.org, author: m.pickFocal(old.org), visibility: old.visibility}
	u.created = earlier(m.r.between(old.approvedAt, 10*24*time.Hour, 40*24*time.Hour), AsOf.AddDate(0, 0, -20))
	u.id = m.r.id(u.created)
	m.content(u, started)
	u.supersedes, u.correctionReason = &old.id, "Synthetic: the figures were revised."
	m.review(u, nap.UpdateApproved, true)
	old.state, old.supersededBy, old.version, old.updatedAt, old.editedBy = nap.UpdateSuperseded, &u.id, old.version+1, u.approvedAt, u.approver
	m.history = append(m.history, u)
}

func (u *update) evidenceDigests() []string {
	var out []string
	for _, e := range u.evidence {
		sum := sha256.Sum256([]byte(e.url)) // a link's digest, as approval computes it
		out = append(out, hex.EncodeToString(sum[:]))
	}
	return out
}

// napUpdate is u as the service sees it when it computes the content digest.
func (m *measureGen) napUpdate(u *update) nap.ProgressUpdate {
	out := nap.ProgressUpdate{Meta: nap.Meta{ID: str(u.id)}, MeasureID: str(m.id), PeriodID: str(m.periods[u.period].id),
		ReportingOrgID: str(m.w.orgs[u.org].id), ProposedStatus: u.status, ProgressPercent: u.percent,
		Narrative: u.narrative, Challenges: u.challenges, NextSteps: u.nextSteps, Visibility: u.visibility,
		CorrectionReason: u.correctionReason}
	if u.supersedes != nil {
		out.Supersedes = str(*u.supersedes)
	}
	for _, v := range u.values {
		out.IndicatorValues = append(out.IndicatorValues, nap.IndicatorValue{IndicatorID: str(v.indicator), Value: v.number,
			Text: v.text, Disaggregation: map[string]string{}})
	}
	return out
}

// latestApproved is the update an audience's derived status comes from: the latest approved
// one of a visibility it reads, by half-year and then approval.
func (m *measureGen) latestApproved(reads []nap.Visibility) *update {
	var best *update
	for _, u := range m.history {
		if u.state != nap.UpdateApproved || !slices.Contains(reads, u.visibility) {
			continue
		}
		if best == nil || m.periods[u.period].ends.After(m.periods[best.period].ends) ||
			(m.periods[u.period].ends.Equal(m.periods[best.period].ends) && u.approvedAt.After(best.approvedAt)) {
			best = u
		}
	}
	return best
}

// emit adds the measure's updates, values and evidence to the plan's rows.
func (m *measureGen) emit() {
	nullID := func(i id) any {
		if i == (id{}) {
			return nil
		}
		return i
	}
	nullTime := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	for _, u := range m.history {
		var percent, supersedes, supersededBy, digest any
		if u.percent != nil {
			percent = int16(*u.percent) //nolint:gosec // 0..100
		}
		if u.supersedes != nil {
			supersedes = *u.supersedes
		}
		if u.supersededBy != nil {
			supersededBy = *u.supersededBy
		}
		if u.digest != "" {
			digest = u.digest
		}
		m.rows.add(updatesTable, u.id, m.id, m.periods[u.period].id, m.w.orgs[u.org].id, u.author, u.author,
			nullID(u.signer), nullID(u.approver), string(u.state), string(u.status), percent, jsonText(u.narrative),
			jsonText(u.challenges), jsonText(u.nextSteps), string(u.visibility), supersedes, u.correctionReason, supersededBy,
			digest, nullTime(u.submittedAt), nullTime(u.approvedAt), string(nap.Illustrative), Note, u.version, u.created,
			u.author, u.updatedAt, u.editedBy)
		for _, v := range u.values {
			var number any
			if v.number != nil {
				number = *v.number
			}
			m.rows.add(valuesTable, v.id, u.id, v.indicator, number, v.text, v.disaggregation, "")
		}
		for _, e := range u.evidence {
			m.rows.add(evidenceTable, e.id, u.id, "report", jsonText(e.title), "en", e.created, e.url, string(e.visibility),
				e.created, u.author)
		}
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
