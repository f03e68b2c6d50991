package seed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
)

// User is a seeded person: a placeholder who authors, signs off or approves historical
// updates. Seeded users hold no token, so they cannot sign in.
type User struct {
	Email        string   `yaml:"email"`
	Name         string   `yaml:"name"`
	Role         nap.Role `yaml:"role"`
	Organization string   `yaml:"organization"`
}

// HistoricalUpdate is an approved progress update whose outcome a source documents.
type HistoricalUpdate struct {
	Measure         string         `yaml:"measure"`
	Period          string         `yaml:"period"`
	ReportingOrg    string         `yaml:"reporting_organization"`
	Author          string         `yaml:"author"`
	SignedOffBy     string         `yaml:"signed_off_by"`
	ApprovedBy      string         `yaml:"approved_by"`
	ProposedStatus  nap.Status     `yaml:"proposed_status"`
	ProgressPercent *int           `yaml:"progress_percent"`
	Visibility      nap.Visibility `yaml:"visibility"`
	Narrative       nap.Text       `yaml:"narrative"`
	Challenges      nap.Text       `yaml:"challenges"`
	NextSteps       nap.Text       `yaml:"next_steps"`
	IndicatorValues []SeedValue    `yaml:"indicator_values"`
	Evidence        []SeedEvidence `yaml:"evidence"`
	Source          `yaml:",inline"`
}

// SeedValue is a value a historical update reports for an indicator, by its code.
type SeedValue struct {
	Indicator string   `yaml:"indicator"`
	Value     *float64 `yaml:"value"`
	Text      string   `yaml:"text"`
	Note      string   `yaml:"note"`
}

// SeedEvidence is a link a historical update cites.
type SeedEvidence struct {
	Kind         string         `yaml:"kind"`
	Title        nap.Text       `yaml:"title"`
	URL          string         `yaml:"url"`
	Language     string         `yaml:"language"`
	DocumentDate *time.Time     `yaml:"document_date"`
	Visibility   nap.Visibility `yaml:"visibility"`
}

// users adds the seeded users that are absent, each with their one membership.
func (l loader) users(users []User) (map[string]string, error) {
	ids := map[string]string{}
	for _, u := range users {
		id := newID()
		added, err := l.insert("user "+u.Email, `INSERT INTO users (id, email, name) VALUES (?, ?, ?)
			ON CONFLICT ((lower(email))) DO NOTHING`, id, u.Email, u.Name)
		if err != nil {
			return nil, err
		}
		if !added {
			if err := l.tx.Raw(`SELECT id FROM users WHERE lower(email) = lower(?)`, u.Email).Scan(&id).Error; err != nil {
				return nil, err
			}
			ids[u.Email] = id
			continue
		}
		l.rep.Users++
		ids[u.Email] = id
		if err := l.exec("membership of "+u.Email, `INSERT INTO memberships (id, user_id, organization_id, role)
			SELECT ?, ?, (SELECT id FROM organizations WHERE code = ?), ?
			WHERE ? = '' OR EXISTS (SELECT 1 FROM organizations WHERE code = ?)`,
			newID(), id, u.Organization, u.Role, u.Organization, u.Organization); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// history adds the approved historical updates of the plan that are absent: an update is
// present when its organization has any update of that measure and period. Each goes through
// the steps of the workflow, recorded as review actions by its author, its signer and its
// approver, and gets the content digest approval would give it.
func (l loader) history(plan string, users []User, updates []HistoricalUpdate) error {
	ids, err := l.users(users)
	if err != nil {
		return err
	}
	for _, h := range updates {
		what := fmt.Sprintf("history of measure %s in %s", h.Measure, h.Period)
		person := func(email string) (string, error) {
			if id, ok := ids[email]; ok {
				return id, nil
			}
			return "", fmt.Errorf("seed %s: %s is not a seeded user", what, email)
		}
		var place struct{ MeasureID, PeriodID, OrgID string }
		err := l.tx.Raw(`SELECT m.id AS measure_id, rp.id AS period_id, o.id AS org_id
			FROM plans p JOIN measures m ON m.plan_id = p.id JOIN reporting_periods rp ON rp.plan_id = p.id
			JOIN organizations o ON o.code = ?
			WHERE p.code = ? AND m.code = ? AND rp.label = ?`, h.ReportingOrg, plan, h.Measure, h.Period).Scan(&place).Error
		if err != nil {
			return err
		}
		if place.MeasureID == "" {
			return fmt.Errorf("seed %s: the measure, period or organization does not exist", what)
		}
		var present int64
		if err := l.tx.Table("progress_updates").Where("measure_id = ? AND period_id = ? AND reporting_org_id = ?",
			place.MeasureID, place.PeriodID, place.OrgID).Count(&present).Error; err != nil {
			return err
		}
		if present > 0 {
			continue
		}
		author, err := person(h.Author)
		if err != nil {
			return err
		}
		signer, err := person(h.SignedOffBy)
		if err != nil {
			return err
		}
		approver, err := person(h.ApprovedBy)
		if err != nil {
			return err
		}

		u := nap.ProgressUpdate{Meta: nap.Meta{ID: newID()}, MeasureID: place.MeasureID, PeriodID: place.PeriodID,
			ReportingOrgID: place.OrgID, ProposedStatus: h.ProposedStatus, ProgressPercent: h.ProgressPercent,
			Narrative: h.Narrative, Challenges: h.Challenges, NextSteps: h.NextSteps, Visibility: h.Visibility}
		if err := l.exec(what, `INSERT INTO progress_updates (id, measure_id, period_id, reporting_org_id, author_id,
				last_editor_id, created_by, updated_by, proposed_status, progress_percent, narrative, challenges, next_steps,
				visibility, provenance, provenance_note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.MeasureID, u.PeriodID, u.ReportingOrgID, author, author, author, author, u.ProposedStatus,
			u.ProgressPercent, postgres.Text(u.Narrative), postgres.Text(u.Challenges), postgres.Text(u.NextSteps),
			u.Visibility, h.Provenance, h.Note); err != nil {
			return err
		}
		for _, v := range h.IndicatorValues {
			var indicatorID string
			if err := l.tx.Raw(`SELECT id FROM indicators WHERE measure_id = ? AND code = ?`, place.MeasureID, v.Indicator).
				Scan(&indicatorID).Error; err != nil || indicatorID == "" {
				return fmt.Errorf("seed %s: indicator %s does not exist (%v)", what, v.Indicator, err)
			}
			if err := l.exec(what+" value", `INSERT INTO indicator_values (id, update_id, indicator_id, value, text, note)
				VALUES (?, ?, ?, ?, ?, ?)`, newID(), u.ID, indicatorID, v.Value, v.Text, v.Note); err != nil {
				return err
			}
			u.IndicatorValues = append(u.IndicatorValues, nap.IndicatorValue{IndicatorID: indicatorID, Indicator: v.Indicator,
				Value: v.Value, Text: v.Text, Disaggregation: map[string]string{}, Note: v.Note})
		}
		var digests []string
		for _, e := range h.Evidence {
			if err := l.exec(what+" evidence", `INSERT INTO evidence (id, update_id, kind, title, language, document_date,
					url, visibility, created_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, newID(), u.ID, e.Kind, postgres.Text(e.Title), e.Language,
				e.DocumentDate, e.URL, e.Visibility, author); err != nil {
				return err
			}
			sum := sha256.Sum256([]byte(e.URL)) // a link's digest, as approval computes it
			digests = append(digests, hex.EncodeToString(sum[:]))
		}

		steps := []struct {
			action   nap.ReviewAction
			actor    string
			from, to nap.UpdateState
		}{
			{nap.ActionSubmit, author, nap.UpdateDraft, nap.UpdateSubmitted},
			{nap.ActionSignOff, signer, nap.UpdateSubmitted, nap.UpdateSignedOff},
			{nap.ActionApprove, approver, nap.UpdateSignedOff, nap.UpdateApproved},
		}
		for _, s := range steps {
			if err := l.exec(what+" review", `INSERT INTO review_actions (id, update_id, actor_id, action, from_state, to_state, comment)
				VALUES (?, ?, ?, ?, ?, ?, 'Loaded from the reference history.')`, newID(), u.ID, s.actor, s.action, s.from, s.to); err != nil {
				return err
			}
		}
		if err := l.exec(what+" approval", `UPDATE progress_updates SET state = 'approved', signed_off_by = ?, approved_by = ?,
				submitted_at = now(), approved_at = now(), content_sha256 = ?
			WHERE id = ?`, signer, approver, nap.ContentDigest(u, digests), u.ID); err != nil {
			return err
		}
		l.rep.Updates++
	}
	return nil
}
