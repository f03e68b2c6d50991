package seed

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/postgres"
)

// Report counts what a load added; everything else was present already.
type Report struct {
	Organizations   int
	Documents       int
	Recommendations int
	Plans           int
	Periods         int
	Measures        int
	Indicators      int
	Users           int
	Updates         int
}

func (r Report) String() string {
	return fmt.Sprintf("added %d organizations, %d documents, %d recommendations, %d plans, %d reporting periods, %d measures, %d indicators, %d users, %d historical updates",
		r.Organizations, r.Documents, r.Recommendations, r.Plans, r.Periods, r.Measures, r.Indicators, r.Users, r.Updates)
}

// Load adds to db, in one transaction, whatever of ds is absent, matched by natural keys
// (organization code, document symbol, recommendation code, plan code). It never changes a
// row that exists: once loaded, reference data is edited through the API. A plan that exists
// is skipped whole, with its periods, measures and indicators. Loading twice therefore
// changes nothing.
func Load(ctx context.Context, db *gorm.DB, ds Dataset) (Report, error) {
	var rep Report
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		l := loader{tx: tx, rep: &rep}
		if err := l.organizations(ds.Organizations); err != nil {
			return err
		}
		for _, d := range ds.Documents {
			if err := l.document(d); err != nil {
				return err
			}
		}
		if err := l.plan(ds.Plan); err != nil {
			return err
		}
		if err := l.history(ds.Plan.Code, ds.Users, ds.History); err != nil {
			return err
		}
		// The measures' statuses follow the history.
		return postgres.DeriveStatuses(tx, "")
	})
	return rep, err
}

type loader struct {
	tx  *gorm.DB
	rep *Report
}

// insert runs an INSERT … ON CONFLICT DO NOTHING and reports whether it added a row.
func (l loader) insert(what, query string, args ...any) (bool, error) {
	res := l.tx.Exec(query, args...)
	if res.Error != nil {
		return false, fmt.Errorf("seed %s: %w", what, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// organizations inserts parents and successors before the organizations that name them.
func (l loader) organizations(orgs []Organization) error {
	done := map[string]bool{}
	for len(done) < len(orgs) {
		progress := false
		for _, o := range orgs {
			if done[o.Code] || (o.Parent != "" && !done[o.Parent]) || (o.Successor != "" && !done[o.Successor]) {
				continue
			}
			added, err := l.insert("organization "+o.Code, `
				INSERT INTO organizations (id, code, kind, name, parent_id, successor_id, active,
					valid_from, valid_to, provenance, provenance_note)
				VALUES (?, ?, ?, ?, (SELECT id FROM organizations WHERE code = ?),
					(SELECT id FROM organizations WHERE code = ?), ?, ?, ?, ?, ?)
				ON CONFLICT (code) DO NOTHING`,
				newID(), o.Code, o.Kind, postgres.Text(o.Name), o.Parent, o.Successor, o.ValidTo == nil,
				o.ValidFrom, o.ValidTo, o.Provenance, o.Note)
			if err != nil {
				return err
			}
			if added {
				l.rep.Organizations++
			}
			done[o.Code], progress = true, true
		}
		if !progress {
			return fmt.Errorf("seed organizations: a parent or successor is missing or forms a cycle")
		}
	}
	return nil
}

func (l loader) document(d Document) error {
	added, err := l.insert("document "+d.Symbol, `
		INSERT INTO source_documents (id, symbol, mechanism, title, adopted_on, url, provenance, provenance_note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (symbol) DO NOTHING`,
		newID(), d.Symbol, d.Mechanism, postgres.Text(d.Title), d.AdoptedOn, d.URL, d.Provenance, d.Note)
	if err != nil {
		return err
	}
	if added {
		l.rep.Documents++
	}
	for _, r := range d.Recommendations {
		added, err := l.insert("recommendation "+r.Code, `
			INSERT INTO recommendations (id, document_id, code, paragraph, section, themes, articles,
				text, provenance, provenance_note)
			VALUES (?, (SELECT id FROM source_documents WHERE symbol = ?), ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (document_id, code) DO NOTHING`,
			newID(), d.Symbol, r.Code, r.Paragraph, r.Section, postgres.TextArray(r.Themes), postgres.IntArray(r.Articles),
			postgres.Text(r.Text), r.Provenance, r.Note)
		if err != nil {
			return err
		}
		if added {
			l.rep.Recommendations++
		}
	}
	return nil
}

func (l loader) plan(p Plan) error {
	periods, err := p.Reporting.Periods()
	if err != nil {
		return err
	}
	planID := newID()
	added, err := l.insert("plan "+p.Code, `
		INSERT INTO plans (id, code, title, period_start, period_end, extended_to, approved_on,
			approved_by_id, legal_basis, status, requires_sign_off, submission_days, review_days, provenance, provenance_note)
		VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT id FROM organizations WHERE code = ?), ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO NOTHING`,
		planID, p.Code, postgres.Text(p.Title), p.PeriodStart, p.PeriodEnd, p.ExtendedTo, p.ApprovedOn,
		p.ApprovedBy, postgres.Text(p.LegalBasis), p.Status, p.RequiresSignOff, p.Reporting.SubmissionDays,
		p.Reporting.ReviewDays, p.Provenance, p.Note)
	if err != nil || !added {
		return err
	}
	l.rep.Plans++
	for _, rp := range periods {
		if err := l.exec("period "+rp.Label, `
			INSERT INTO reporting_periods (id, plan_id, label, starts_on, ends_on, submission_deadline, review_deadline)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			newID(), planID, rp.Label, rp.StartsOn, rp.EndsOn, rp.SubmissionDeadline, rp.ReviewDeadline); err != nil {
			return err
		}
		l.rep.Periods++
	}
	for _, m := range p.Measures {
		if err := l.measure(planID, p.SourceDocument, m); err != nil {
			return err
		}
	}
	return nil
}

func (l loader) measure(planID, document string, m Measure) error {
	what := "measure " + m.Code
	id := newID()
	err := l.exec(what, `
		INSERT INTO measures (id, plan_id, code, title, description, expected_result, deadline_text,
			due_start, due_end, lead_id, articles, provenance, provenance_note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT id FROM organizations WHERE code = ?), ?, ?, ?)`,
		id, planID, m.Code, postgres.Text(m.Title), postgres.Text(m.Description), postgres.Text(m.ExpectedResult),
		postgres.Text(m.DeadlineText), m.DueStart, m.DueEnd, m.Lead, postgres.IntArray(m.Articles), m.Provenance, m.Note)
	if err != nil {
		return err
	}
	l.rep.Measures++
	for role, codes := range map[string][]string{"co_implementer": m.CoImplementers, "partner": m.Partners} {
		for _, code := range codes {
			if err := l.exec(what+" "+role+" "+code, `
				INSERT INTO measure_organizations (measure_id, organization_id, role)
				SELECT ?, id, ? FROM organizations WHERE code = ?`, id, role, code); err != nil {
				return err
			}
		}
	}
	for _, code := range m.Recommendations {
		if err := l.exec(what+" recommendation "+code, `
			INSERT INTO measure_recommendations (measure_id, recommendation_id)
			SELECT ?, r.id FROM recommendations r JOIN source_documents d ON d.id = r.document_id
			WHERE d.symbol = ? AND r.code = ?`, id, document, code); err != nil {
			return err
		}
	}
	for _, in := range m.Indicators {
		if err := l.exec(what+" indicator "+in.Code, `
			INSERT INTO indicators (id, measure_id, code, title, kind, unit, baseline, target,
				target_date, disaggregations, provenance, provenance_note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			newID(), id, in.Code, postgres.Text(in.Title), in.Kind, in.Unit, in.Baseline, in.Target,
			in.TargetDate, postgres.TextArray(in.Disaggregations), in.Provenance, in.Note); err != nil {
			return err
		}
		l.rep.Indicators++
	}
	return nil
}

// exec runs an INSERT that must add exactly one row; a reference that names nothing (an
// unknown organization or recommendation code) adds none and fails the load.
func (l loader) exec(what, query string, args ...any) error {
	added, err := l.insert(what, query, args...)
	if err == nil && !added {
		err = fmt.Errorf("seed %s: a code it refers to does not exist", what)
	}
	return err
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
