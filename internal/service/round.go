package service

import (
	"context"
	"slices"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// RoundStore reads how a reporting round stands.
type RoundStore interface {
	ExpectedReports(ctx context.Context, scope nap.Scope, period nap.ReportingPeriod, day time.Time, org string) ([]nap.ExpectedReport, error)
}

// Completeness tells where a period's reporting round stands today, as far as the caller may
// see: every organization that must report, with its counts (for organizations the caller
// does not read in every state, only of reports approved and published to it), and the
// reports the caller sees in full that f lets through.
func (s *Service) Completeness(ctx context.Context, periodID string, f nap.CompletenessFilter) (nap.Completeness, error) {
	if f.State != "" && !slices.Contains(nap.ReportStates, f.State) {
		return nap.Completeness{}, nap.Errorf(nap.EINVALID, "state: %q is not a report state", f.State)
	}
	p, err := s.GetPeriod(ctx, periodID)
	if err != nil {
		return nap.Completeness{}, err
	}
	reports, err := s.store.ExpectedReports(ctx, s.scope(ctx), p, s.today(), f.Organization)
	if err != nil {
		return nap.Completeness{}, err
	}
	c := nap.Completeness{Period: p, AsOf: s.today()}
	for _, r := range reports {
		if n := len(c.Organizations); n == 0 || c.Organizations[n-1].OrganizationID != r.OrganizationID {
			c.Organizations = append(c.Organizations, nap.OrganizationCompleteness{OrganizationID: r.OrganizationID,
				Organization: r.Organization, OrganizationName: r.OrganizationName, Detailed: r.Detailed})
		}
		c.Organizations[len(c.Organizations)-1].Add(r)
		if r.Detailed && (f.State == "" || r.State == f.State) {
			c.Reports = append(c.Reports, r)
		}
	}
	return c, nil
}
