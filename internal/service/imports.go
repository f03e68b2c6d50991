package service

import (
	"context"
	"slices"
	"strconv"

	"github.com/naptracker/naptracker/internal/nap"
)

// ImportStore reads what an import compares with, and writes the drafts it makes.
type ImportStore interface {
	PlanMeasures(ctx context.Context, planID string) ([]nap.MeasureRef, error)
	OpenUpdates(ctx context.Context, periodID string) ([]nap.OpenUpdate, error)
	SaveDrafts(ctx context.Context, actorID, periodID string, drafts []nap.Draft) ([]string, error)
}

// Import takes back the implementation matrix a ministry edited, rows read from the file
// (their texts in lang), as drafts of progress updates for a period: a row that says what the
// matrix says today, as the caller reads it, is unchanged; another drafts a new update of the
// caller's organization for the measure, or edits the caller's organization's draft of it.
// Each changed row is allowed only as the same request through the API would be: the caller's
// roles must let it draft (or edit) updates of an organization that leads or co-implements
// the measure; a changed row it may not make is an error, never skipped. Nothing is submitted
// or approved. With commit, every change is written in one transaction, or, when any row is in
// error, none is; without, nothing is written. A locked period refuses the whole import.
func (s *Service) Import(ctx context.Context, periodID, lang string, rows []nap.MatrixEdit, commit bool) (nap.Import, error) {
	actor, err := requireActor(ctx)
	if err != nil {
		return nap.Import{}, err
	}
	p, err := s.GetPeriod(ctx, periodID)
	if err != nil {
		return nap.Import{}, err
	}
	if p.State == nap.PeriodLocked {
		return nap.Import{}, nap.Errorf(nap.ECONFLICT, "the reporting period %s is locked: it takes no new updates", p.Label)
	}
	if nap.Languages[lang] == nil {
		return nap.Import{}, nap.Errorf(nap.EINVALID, "lang: %q is not tg, ru or en", lang)
	}
	_, current, err := s.Matrix(ctx, p.PlanID, "")
	if err != nil {
		return nap.Import{}, err
	}
	said := make(map[string]nap.MatrixRow, len(current))
	for _, r := range current {
		said[r.Measure.Code] = r
	}
	measures, err := s.store.PlanMeasures(ctx, p.PlanID)
	if err != nil {
		return nap.Import{}, err
	}
	byCode := make(map[string]nap.MeasureRef, len(measures))
	for _, m := range measures {
		byCode[m.Code] = m
	}
	open, err := s.store.OpenUpdates(ctx, periodID)
	if err != nil {
		return nap.Import{}, err
	}
	inWorks := make(map[[2]string]nap.OpenUpdate, len(open))
	for _, u := range open {
		inWorks[[2]string{u.MeasureID, u.OrganizationID}] = u
	}

	out := nap.Import{Period: p, Language: lang, Rows: make([]nap.ImportedRow, len(rows))}
	var drafts []nap.Draft
	var drafted []int // the row of each draft
	seen := map[string]int{}
	for i, e := range rows {
		r := nap.ImportedRow{Row: e.Row, Code: e.Code, Errors: e.Errors}
		bad := func(column, format string, args ...any) {
			r.Errors = append(r.Errors, nap.CellError{Column: column, Reason: nap.Errorf(nap.EINVALID, format, args...).Message})
		}
		m, known := byCode[e.Code]
		if first, twice := seen[e.Code]; twice {
			bad("code", "the measure is on row %d already", first)
		} else if !known {
			bad("code", "no measure of the plan has the code %q", e.Code)
		}
		seen[e.Code] = e.Row
		status, progress := s.readReport(e, bad)
		if len(r.Errors) > 0 {
			r.Action = nap.ImportError
			out.Rows[i] = r
			continue
		}
		was := said[e.Code]
		if status == was.Measure.CurrentStatus && equalPercent(progress, was.Measure.ProgressPercent) && e.Narrative == narrativeOf(was, lang) {
			r.Action = nap.ImportUnchanged
			out.Rows[i] = r
			continue
		}
		d, action := s.draftOf(actor.User.ID, m, p, status, progress, lang, e.Narrative, inWorks, bad)
		if len(r.Errors) > 0 {
			r.Action = nap.ImportError
		} else {
			r.Action = action
			r.UpdateID = d.UpdateID
			drafts, drafted = append(drafts, d), append(drafted, i)
		}
		out.Rows[i] = r
	}
	if !commit || slices.ContainsFunc(out.Rows, func(r nap.ImportedRow) bool { return r.Action == nap.ImportError }) || len(drafts) == 0 {
		return out, nil
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		ids, err := s.store.SaveDrafts(ctx, actor.User.ID, periodID, drafts)
		if err != nil {
			return err
		}
		next := 0
		for k, d := range drafts {
			if d.UpdateID == "" {
				out.Rows[drafted[k]].UpdateID = ids[next]
				next++
			}
		}
		return nil
	})
	out.Committed = err == nil
	return out, err
}

// readReport reads a row's status and progress, telling bad what is wrong with them.
func (s *Service) readReport(e nap.MatrixEdit, bad func(column, format string, args ...any)) (nap.Status, *int) {
	status := nap.Status(e.Status)
	if !slices.Contains(nap.Statuses, status) {
		bad("status", "%q is not a status", e.Status)
	}
	if e.Progress == "" {
		return status, nil
	}
	n, err := strconv.Atoi(e.Progress)
	if err != nil || n < 0 || n > 100 {
		bad("progress_percent", "%q is not a whole percentage from 0 to 100", e.Progress)
		return status, nil
	}
	return status, &n
}

// draftOf is the draft a changed row makes, and whether it creates an update or edits the
// draft of the caller's organization, as the caller's roles allow; bad hears why it cannot.
func (s *Service) draftOf(userID string, m nap.MeasureRef, p nap.ReportingPeriod, status nap.Status, progress *int, lang, narrative string,
	inWorks map[[2]string]nap.OpenUpdate, bad func(column, format string, args ...any)) (nap.Draft, nap.ImportAction) {
	if status == nap.NoInformation {
		bad("status", "a report proposes a status; no_information is what the absence of one means")
		return nap.Draft{}, ""
	}
	org, err := s.reportingOrganization(userID, nap.Place{PlanID: p.PlanID, Organizations: m.Organizations})
	if err != nil {
		bad("code", "%s", nap.ErrorMessage(err))
		return nap.Draft{}, ""
	}
	d := nap.Draft{MeasureID: m.ID, OrganizationID: org, Status: status, Progress: progress, Narrative: nap.Text{}}
	u, exists := inWorks[[2]string{m.ID, org}]
	if exists {
		if !u.State.Editable() {
			bad("code", "your organization's update of this measure for %s is %s: it cannot change", p.Label, u.State)
			return nap.Draft{}, ""
		}
		if ok, err := s.authz.Can(userID, nap.OrganizationDomain(org), nap.EditUpdate); err != nil || !ok {
			bad("code", "your roles do not let you edit your organization's draft of this measure")
			return nap.Draft{}, ""
		}
		for l, t := range u.Narrative {
			d.Narrative[l] = t
		}
		d.UpdateID, d.Version = u.ID, u.Version
	}
	delete(d.Narrative, lang)
	if narrative != "" {
		d.Narrative[lang] = narrative
	}
	if exists {
		return d, nap.ImportUpdate
	}
	return d, nap.ImportCreate
}

func equalPercent(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// narrativeOf is the narrative the matrix showed for a row, in lang, as the export writes it.
func narrativeOf(r nap.MatrixRow, lang string) string {
	if r.Latest == nil {
		return ""
	}
	return r.Latest.Narrative.In(lang)
}
