package service

import (
	"context"
	"slices"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// The structure of plans is the coordinator's and the admin's to change; the access policy
// decides who may call these, and they check what the data must satisfy.

// CreateOrganization adds an organization.
func (s *Service) CreateOrganization(ctx context.Context, ch nap.OrganizationChange) (nap.Organization, error) {
	if err := nap.Required("an organization", map[string]bool{"code": ch.Code != nil, "kind": ch.Kind != nil, "name": ch.Name != nil && len(*ch.Name) > 0}); err != nil {
		return nap.Organization{}, err
	}
	defaultSource(&ch.Provenance)
	return inTx(ctx, s, func(ctx context.Context) (nap.Organization, error) {
		return s.store.CreateOrganization(ctx, actorID(ctx), ch)
	})
}

// UpdateOrganization changes the organization with a code at version.
func (s *Service) UpdateOrganization(ctx context.Context, code string, version int, ch nap.OrganizationChange) (nap.Organization, error) {
	if (ch.Parent != nil && *ch.Parent == code) || (ch.Successor != nil && *ch.Successor == code) {
		return nap.Organization{}, nap.Errorf(nap.EINVALID, "an organization cannot be its own parent or successor")
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.Organization, error) {
		return s.store.UpdateOrganization(ctx, actorID(ctx), code, version, ch)
	})
}

// CreatePlan adds a plan, in draft unless the change says otherwise.
func (s *Service) CreatePlan(ctx context.Context, ch nap.PlanChange) (nap.Plan, error) {
	if err := nap.Required("a plan", map[string]bool{"code": ch.Code != nil, "title": ch.Title != nil && len(*ch.Title) > 0,
		"period_start": ch.PeriodStart != nil, "period_end": ch.PeriodEnd != nil}); err != nil {
		return nap.Plan{}, err
	}
	defaultSource(&ch.Provenance)
	return inTx(ctx, s, func(ctx context.Context) (nap.Plan, error) {
		return s.store.CreatePlan(ctx, actorID(ctx), ch)
	})
}

// UpdatePlan changes a plan at version.
func (s *Service) UpdatePlan(ctx context.Context, id string, version int, ch nap.PlanChange) (nap.Plan, error) {
	if _, err := s.GetPlan(ctx, id); err != nil {
		return nap.Plan{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.Plan, error) {
		return s.store.UpdatePlan(ctx, actorID(ctx), id, version, ch)
	})
}

// CreatePeriod adds an open reporting period to a plan. Deadlines not given are so many days
// after the period ends as the plan's rules say.
func (s *Service) CreatePeriod(ctx context.Context, planID string, in nap.PeriodInput) (nap.ReportingPeriod, error) {
	plan, err := s.GetPlan(ctx, planID)
	if err != nil {
		return nap.ReportingPeriod{}, err
	}
	if in.SubmissionDeadline == nil {
		d := in.EndsOn.AddDate(0, 0, plan.SubmissionDays)
		in.SubmissionDeadline = &d
	}
	if in.ReviewDeadline == nil {
		d := in.SubmissionDeadline.AddDate(0, 0, plan.ReviewDays-plan.SubmissionDays)
		in.ReviewDeadline = &d
	}
	if err := checkDeadlines(in.StartsOn, in.EndsOn, *in.SubmissionDeadline, *in.ReviewDeadline); err != nil {
		return nap.ReportingPeriod{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.ReportingPeriod, error) {
		return s.store.CreatePeriod(ctx, actorID(ctx), planID, in)
	})
}

// UpdatePeriod sets a reporting period's deadlines at version.
func (s *Service) UpdatePeriod(ctx context.Context, id string, version int, ch nap.PeriodChange) (nap.ReportingPeriod, error) {
	p, err := s.GetPeriod(ctx, id)
	if err != nil {
		return nap.ReportingPeriod{}, err
	}
	if ch.SubmissionDeadline != nil {
		p.SubmissionDeadline = *ch.SubmissionDeadline
	}
	if ch.ReviewDeadline != nil {
		p.ReviewDeadline = *ch.ReviewDeadline
	}
	if err := checkDeadlines(p.StartsOn, p.EndsOn, p.SubmissionDeadline, p.ReviewDeadline); err != nil {
		return nap.ReportingPeriod{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.ReportingPeriod, error) {
		return s.store.UpdatePeriod(ctx, actorID(ctx), id, version, ch)
	})
}

// checkDeadlines requires a period's days in their order: it starts, ends, its reports are
// due, then reviewed.
func checkDeadlines(starts, ends, submission, review time.Time) error {
	switch {
	case ends.Before(starts):
		return nap.Errorf(nap.EINVALID, "ends_on: the period ends before it starts")
	case submission.Before(ends):
		return nap.Errorf(nap.EINVALID, "submission_deadline: reports are due after the period ends, not before")
	case review.Before(submission):
		return nap.Errorf(nap.EINVALID, "review_deadline: reports are reviewed after they are due, not before")
	}
	return nil
}

// GetPeriod returns a reporting period; ENOTFOUND when the caller may not read its plan.
func (s *Service) GetPeriod(ctx context.Context, id string) (nap.ReportingPeriod, error) {
	p, err := s.store.GetPeriod(ctx, id)
	if err != nil {
		return p, err
	}
	if _, err := s.GetPlan(ctx, p.PlanID); err != nil {
		return nap.ReportingPeriod{}, nap.Errorf(nap.ENOTFOUND, "reporting period not found")
	}
	return p, nil
}

// SetPeriodState locks a period (it takes no new updates) or opens it again.
func (s *Service) SetPeriodState(ctx context.Context, id, state string) (nap.ReportingPeriod, error) {
	if _, err := s.GetPeriod(ctx, id); err != nil {
		return nap.ReportingPeriod{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.ReportingPeriod, error) {
		return s.store.SetPeriodState(ctx, actorID(ctx), id, state)
	})
}

// CreateMeasure adds a measure to a plan.
func (s *Service) CreateMeasure(ctx context.Context, planID string, ch nap.MeasureChange) (nap.Measure, error) {
	if err := nap.Required("a measure", map[string]bool{"code": ch.Code != nil, "title": ch.Title != nil && len(*ch.Title) > 0,
		"lead": ch.Lead != nil}); err != nil {
		return nap.Measure{}, err
	}
	if err := checkResponsibilities(ch, nap.Measure{}); err != nil {
		return nap.Measure{}, err
	}
	if _, err := s.GetPlan(ctx, planID); err != nil {
		return nap.Measure{}, err
	}
	defaultSource(&ch.Provenance)
	return inTx(ctx, s, func(ctx context.Context) (nap.Measure, error) {
		return s.store.CreateMeasure(ctx, actorID(ctx), planID, ch, s.today())
	})
}

// UpdateMeasure changes a measure at version.
func (s *Service) UpdateMeasure(ctx context.Context, id string, version int, ch nap.MeasureChange) (nap.Measure, error) {
	m, err := s.GetMeasure(ctx, id)
	if err != nil {
		return nap.Measure{}, err
	}
	if err := checkResponsibilities(ch, m); err != nil {
		return nap.Measure{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.Measure, error) {
		return s.store.UpdateMeasure(ctx, actorID(ctx), id, version, ch, s.today())
	})
}

// checkResponsibilities requires that no organization be both lead and co-implementer or
// partner, or both co-implementer and partner, once ch is applied to m.
func checkResponsibilities(ch nap.MeasureChange, m nap.Measure) error {
	lead, co, partners := m.Lead, m.CoImplementers, m.Partners
	if ch.Lead != nil {
		lead = *ch.Lead
	}
	if ch.CoImplementers != nil {
		co = *ch.CoImplementers
	}
	if ch.Partners != nil {
		partners = *ch.Partners
	}
	if slices.Contains(co, lead) || slices.Contains(partners, lead) {
		return nap.Errorf(nap.EINVALID, "the lead %s cannot also co-implement or partner the measure", lead)
	}
	for _, c := range co {
		if slices.Contains(partners, c) {
			return nap.Errorf(nap.EINVALID, "%s cannot both co-implement and partner the measure", c)
		}
	}
	return nil
}

// GetIndicator returns an indicator; ENOTFOUND when the caller may not read its plan.
func (s *Service) GetIndicator(ctx context.Context, id string) (nap.Indicator, error) {
	return s.store.GetIndicator(ctx, s.scope(ctx), id)
}

// CreateIndicator adds an indicator to a measure.
func (s *Service) CreateIndicator(ctx context.Context, measureID string, ch nap.IndicatorChange) (nap.Indicator, error) {
	if err := nap.Required("an indicator", map[string]bool{"code": ch.Code != nil, "title": ch.Title != nil && len(*ch.Title) > 0,
		"kind": ch.Kind != nil}); err != nil {
		return nap.Indicator{}, err
	}
	if _, err := s.GetMeasure(ctx, measureID); err != nil {
		return nap.Indicator{}, err
	}
	defaultSource(&ch.Provenance)
	return inTx(ctx, s, func(ctx context.Context) (nap.Indicator, error) {
		return s.store.CreateIndicator(ctx, actorID(ctx), measureID, ch)
	})
}

// UpdateIndicator changes an indicator at version.
func (s *Service) UpdateIndicator(ctx context.Context, id string, version int, ch nap.IndicatorChange) (nap.Indicator, error) {
	if _, err := s.GetIndicator(ctx, id); err != nil {
		return nap.Indicator{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.Indicator, error) {
		return s.store.UpdateIndicator(ctx, actorID(ctx), id, version, ch)
	})
}

// MeasurePlace returns the plan and organizations of a measure the caller may read.
func (s *Service) MeasurePlace(ctx context.Context, id string) (nap.Place, error) {
	return s.store.MeasurePlace(ctx, s.scope(ctx), id)
}

// defaultSource makes what a person enters through the API sourced unless they say otherwise.
func defaultSource(p **nap.Provenance) {
	if *p == nil {
		sourced := nap.Sourced
		*p = &sourced
	}
}
