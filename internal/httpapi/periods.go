package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// PeriodFields are a reporting period's deadlines a request sets.
type PeriodFields struct {
	SubmissionDeadline *string `json:"submission_deadline,omitempty" format:"date" doc:"Reports on the period are due by the end of this day (UTC)"`
	ReviewDeadline     *string `json:"review_deadline,omitempty" format:"date" doc:"Reports are reviewed by the end of this day (UTC)"`
}

func (f PeriodFields) change() (nap.PeriodChange, error) {
	d, err := dates(map[string]*string{"submission_deadline": f.SubmissionDeadline, "review_deadline": f.ReviewDeadline})
	return nap.PeriodChange{SubmissionDeadline: d["submission_deadline"], ReviewDeadline: d["review_deadline"]}, err
}

// UpdatePeriodInput changes a reporting period's deadlines.
type UpdatePeriodInput struct {
	PeriodPath
	IfMatch
	Body PeriodFields
}

func registerPeriods(api huma.API, d Deps) {
	period := visibleTo(discard(d.Service.GetPeriod))
	registerCompleteness(api, d)

	register(api, d, huma.Operation{
		OperationID: "get-reporting-period",
		Method:      http.MethodGet,
		Path:        "/periods/{id}",
		Summary:     "Get a reporting period",
		Description: "One reporting period of a plan the caller may read, with its deadlines and its ETag.",
		Tags:        []string{tagPlans},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *PeriodPath) (*PeriodOutput, error) {
		p, err := d.Service.GetPeriod(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return periodOutput(p), nil
	})

	register(api, d, huma.Operation{
		OperationID: "update-reporting-period",
		RequestBody: withExample(examplePeriodChange),
		Method:      http.MethodPatch,
		Path:        "/periods/{id}",
		Summary:     "Set a reporting period's deadlines",
		Description: "Sets the submission and review deadlines sent, if the period is still at the version If-Match names. " +
			"A period ends, its reports are due, then reviewed, in that order.",
		Tags:   []string{tagPlans},
		Errors: changeErrors(),
	}, access{permission: nap.UpdatePeriod, domains: period}, func(ctx context.Context, in *UpdatePeriodInput) (*PeriodOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetPeriod, in.ID))
		if err != nil {
			return nil, err
		}
		return apply(in.Body, func(ch nap.PeriodChange) (nap.ReportingPeriod, error) {
			return d.Service.UpdatePeriod(ctx, in.ID, v, ch)
		}, periodOutput)
	})
}

// ReportCounts counts the reports a period expects. Counts other than expected and approved
// are given only where the caller sees reports in every state.
type ReportCounts struct {
	Expected  int  `json:"expected" doc:"Reports the period expects"`
	Approved  int  `json:"approved" doc:"Of them, approved (for callers who see only published reports: approved and published to them)"`
	Missing   *int `json:"missing,omitempty"`
	Draft     *int `json:"draft,omitempty"`
	Submitted *int `json:"submitted,omitempty"`
	SignedOff *int `json:"signed_off,omitempty"`
	Returned  *int `json:"returned,omitempty"`
	Rejected  *int `json:"rejected,omitempty"`
	Late      *int `json:"late,omitempty" doc:"Not submitted by the submission deadline"`
}

func toReportCounts(c nap.ReportCounts, detailed bool) ReportCounts {
	out := ReportCounts{Expected: c.Expected, Approved: c.ByState[nap.ReportApproved]}
	if detailed {
		n := func(s nap.ReportState) *int { v := c.ByState[s]; return &v }
		out.Missing, out.Draft, out.Submitted = n(nap.ReportMissing), n(nap.ReportDraft), n(nap.ReportSubmitted)
		out.SignedOff, out.Returned, out.Rejected = n(nap.ReportSignedOff), n(nap.ReportReturned), n(nap.ReportRejected)
		out.Late = &c.Late
	}
	return out
}

// OrganizationCompleteness counts the reports one organization owes for the period.
type OrganizationCompleteness struct {
	Organization string `json:"organization" doc:"Organization code"`
	Name         Text   `json:"name"`
	Detailed     bool   `json:"detailed" doc:"Whether the counts cover every state: for the organization's own roles and the coordinating roles; otherwise only approved reports published to the caller are counted"`
	ReportCounts
}

// ExpectedReport is one report the period expects, as the caller sees it in full.
type ExpectedReport struct {
	Organization string      `json:"organization" doc:"Code of the organization that owes it"`
	Role         string      `json:"role" enum:"lead,co_implementer" doc:"The organization's part in the measure"`
	MeasureID    string      `json:"measure_id" format:"uuid"`
	Measure      string      `json:"measure" doc:"Measure code"`
	MeasureTitle Text        `json:"measure_title"`
	State        ReportState `json:"state"`
	UpdateID     string      `json:"update_id,omitempty" format:"uuid" doc:"The update that stands for the report: the organization's approved one, or its latest"`
	SubmittedAt  *time.Time  `json:"submitted_at,omitempty" doc:"When it was first submitted"`
	Late         bool        `json:"late" doc:"Not submitted by the end of the submission deadline (UTC)"`
}

// Completeness is where a period's reporting round stands.
type Completeness struct {
	Period        ReportingPeriod            `json:"period"`
	AsOf          string                     `json:"as_of" format:"date" doc:"The day lateness is judged on"`
	Total         ReportCounts               `json:"total" doc:"Over every organization; counts other than expected and approved only when the caller sees every organization's reports in full"`
	Organizations []OrganizationCompleteness `json:"organizations"`
	Items         []ExpectedReport           `json:"items" doc:"The reports the caller sees in full: its own organizations', or all for the coordinating roles"`
}

func toCompleteness(c nap.Completeness) Completeness {
	out := Completeness{Period: toReportingPeriod(c.Period), AsOf: date(c.AsOf), Organizations: []OrganizationCompleteness{}, Items: []ExpectedReport{}}
	var total nap.ReportCounts
	detailed := true
	for _, o := range c.Organizations {
		out.Organizations = append(out.Organizations, OrganizationCompleteness{Organization: o.Organization, Name: toText(o.OrganizationName),
			Detailed: o.Detailed, ReportCounts: toReportCounts(o.ReportCounts, o.Detailed)})
		detailed = detailed && o.Detailed
		total.Expected += o.Expected
		total.Late += o.Late
		for s, n := range o.ByState {
			if total.ByState == nil {
				total.ByState = map[nap.ReportState]int{}
			}
			total.ByState[s] += n
		}
	}
	out.Total = toReportCounts(total, detailed)
	for _, r := range c.Reports {
		out.Items = append(out.Items, ExpectedReport{Organization: r.Organization, Role: r.Role, MeasureID: r.MeasureID,
			Measure: r.MeasureCode, MeasureTitle: toText(r.MeasureTitle), State: ReportState(r.State), UpdateID: r.UpdateID,
			SubmittedAt: r.SubmittedAt, Late: r.Late})
	}
	return out
}

// CompletenessInput chooses a period's reports.
type CompletenessInput struct {
	PeriodPath
	Organization string      `query:"organization" maxLength:"32" example:"MS" doc:"Only this organization's reports, by code"`
	State        ReportState `query:"state" doc:"Only reports in this state (the counts stay whole)"`
}

// CompletenessOutput is where a period's reporting round stands.
type CompletenessOutput struct {
	Body Completeness
}

func registerCompleteness(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "get-period-completeness",
		Method:      http.MethodGet,
		Path:        "/periods/{id}/completeness",
		Summary:     "See who has reported for a period",
		Description: "Every report the period expects (one per measure open in it, for its lead and each co-implementer), " +
			"where it stands (missing, draft, submitted, signed_off, returned, approved, rejected) and whether it is late, " +
			"with counts per organization and in all. An organization's own roles see its reports in full; the " +
			"coordinating roles see every organization's; partners and the public see each organization's count of " +
			"approved reports published to them.",
		Tags:   []string{tagPlans},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *CompletenessInput) (*CompletenessOutput, error) {
		c, err := d.Service.Completeness(ctx, in.ID, nap.CompletenessFilter{Organization: in.Organization, State: nap.ReportState(in.State)})
		if err != nil {
			return nil, err
		}
		return &CompletenessOutput{Body: toCompleteness(c)}, nil
	})
}
