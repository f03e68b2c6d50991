package httpapi

import (
	"context"
	"net/http"

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
