package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// Plan is a national action plan.
type Plan struct {
	Meta
	Code            string     `json:"code" example:"TJK-CMW-NAP-2013"`
	Title           Text       `json:"title"`
	PeriodStart     string     `json:"period_start" format:"date"`
	PeriodEnd       string     `json:"period_end" format:"date"`
	ExtendedTo      *string    `json:"extended_to,omitempty" format:"date" doc:"End of the period as later extended"`
	ApprovedOn      *string    `json:"approved_on,omitempty" format:"date"`
	ApprovedBy      string     `json:"approved_by,omitempty" doc:"Code of the approving organization"`
	LegalBasis      Text       `json:"legal_basis"`
	Status          PlanStatus `json:"status"`
	RequiresSignOff bool       `json:"requires_sign_off" doc:"Whether a ministry approver signs progress updates off before the coordinator reviews them"`
	SubmissionDays  int        `json:"submission_days" doc:"How many days after a reporting period ends its reports are due, unless the period says otherwise"`
	ReviewDays      int        `json:"review_days" doc:"How many days after a reporting period ends its reports are reviewed, unless the period says otherwise"`
	Source
}

func toPlan(p nap.Plan) Plan {
	return Plan{
		Meta: toMeta(p.Meta), Code: p.Code, Title: toText(p.Title),
		PeriodStart: date(p.PeriodStart), PeriodEnd: date(p.PeriodEnd), ExtendedTo: optionalDate(p.ExtendedTo),
		ApprovedOn: optionalDate(p.ApprovedOn), ApprovedBy: p.ApprovedBy, LegalBasis: toText(p.LegalBasis),
		Status: PlanStatus(p.Status), RequiresSignOff: p.RequiresSignOff, SubmissionDays: p.SubmissionDays,
		ReviewDays: p.ReviewDays, Source: toSource(p.Source),
	}
}

// ReportingPeriod is a span for which organizations report progress.
type ReportingPeriod struct {
	Meta
	PlanID   string `json:"plan_id" format:"uuid"`
	Label    string `json:"label" example:"2014-H1"`
	StartsOn string `json:"starts_on" format:"date"`
	EndsOn   string `json:"ends_on" format:"date"`
	// Both deadlines are days, inclusive, in UTC.
	SubmissionDeadline string      `json:"submission_deadline" format:"date" doc:"Reports on the period are due by the end of this day (UTC); a measure's report not submitted by then is late"`
	ReviewDeadline     string      `json:"review_deadline" format:"date" doc:"Reports are reviewed by the end of this day (UTC)"`
	DueOn              string      `json:"due_on" format:"date" deprecated:"true" doc:"The submission deadline, by its former name"`
	State              PeriodState `json:"state"`
}

func toReportingPeriod(p nap.ReportingPeriod) ReportingPeriod {
	return ReportingPeriod{
		Meta: toMeta(p.Meta), PlanID: p.PlanID, Label: p.Label,
		StartsOn: date(p.StartsOn), EndsOn: date(p.EndsOn), SubmissionDeadline: date(p.SubmissionDeadline),
		ReviewDeadline: date(p.ReviewDeadline), DueOn: date(p.SubmissionDeadline), State: PeriodState(p.State),
	}
}

// ListPlansInput filters plans.
type ListPlansInput struct {
	PageParams
	Code   string     `query:"code" pattern:"^[A-Z0-9][A-Z0-9-]{0,63}$" example:"TJK-CMW-NAP-2013" doc:"Only the plan with this code"`
	Status PlanStatus `query:"status" doc:"Only plans in this status"`
}

// PlanPath names one plan.
type PlanPath struct {
	ID string `path:"id" format:"uuid" doc:"Plan id"`
}

// ListPeriodsInput names a plan and a page of its periods.
type ListPeriodsInput struct {
	PlanPath
	PageParams
}

// GetPlanOutput is one plan.
type GetPlanOutput struct {
	ETag string `header:"ETag"`
	Body Plan
}

// StatusCounts counts measures by current status.
type StatusCounts struct {
	NoInformation        int `json:"no_information"`
	NotStarted           int `json:"not_started"`
	InProgress           int `json:"in_progress"`
	Ongoing              int `json:"ongoing"`
	PartiallyImplemented int `json:"partially_implemented"`
	Implemented          int `json:"implemented"`
	NotImplemented       int `json:"not_implemented"`
	Cancelled            int `json:"cancelled"`
}

// Tally counts measures.
type Tally struct {
	Measures int          `json:"measures"`
	Overdue  int          `json:"overdue"`
	ByStatus StatusCounts `json:"by_status"`
}

// LeadTally counts the measures one organization leads.
type LeadTally struct {
	Organization string `json:"organization" doc:"Organization code"`
	Tally
}

// ArticleTally counts the measures that implement one ICRMW article.
type ArticleTally struct {
	Article int `json:"article"`
	Tally
}

// RecommendationTally counts the measures that answer one recommendation.
type RecommendationTally struct {
	Recommendation RecommendationRef `json:"recommendation"`
	Tally
}

// PlanSummary counts a plan's measures.
type PlanSummary struct {
	PlanID           string                `json:"plan_id" format:"uuid"`
	AsOf             string                `json:"as_of" format:"date" doc:"The day against which overdue is judged"`
	Total            Tally                 `json:"total"`
	ByLead           []LeadTally           `json:"by_lead"`
	ByArticle        []ArticleTally        `json:"by_article"`
	ByRecommendation []RecommendationTally `json:"by_recommendation"`
}

func registerPlans(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "list-plans",
		Method:      http.MethodGet,
		Path:        "/plans",
		Summary:     "List plans",
		Description: "Action plans the caller may read, in code order. Plans still in draft are not public.",
		Tags:        []string{tagPlans},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListPlansInput) (*PageOutput[Plan], error) {
		f := nap.PlanFilter{Code: in.Code, Status: nap.PlanStatus(in.Status)}
		p, err := d.Service.ListPlans(ctx, f, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toPlan), nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-plan",
		Method:      http.MethodGet,
		Path:        "/plans/{id}",
		Summary:     "Get a plan",
		Description: "One plan by its id. A plan in draft is 404 to callers who may not read it.",
		Tags:        []string{tagPlans},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *PlanPath) (*GetPlanOutput, error) {
		p, err := d.Service.GetPlan(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return planOutput(p), nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-reporting-periods",
		Method:      http.MethodGet,
		Path:        "/plans/{id}/periods",
		Summary:     "List a plan's reporting periods",
		Description: "The periods for which organizations report progress, oldest first.",
		Tags:        []string{tagPlans},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListPeriodsInput) (*PageOutput[ReportingPeriod], error) {
		p, err := d.Service.ListPeriods(ctx, in.ID, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toReportingPeriod), nil
	})

	register(api, d, renders[PlanSummary](api, huma.Operation{
		OperationID: "get-plan-summary",
		Method:      http.MethodGet,
		Path:        "/plans/{id}/summary",
		Summary:     "Summarize a plan's progress",
		Description: "Counts of the plan's measures by current status, by lead organization, by ICRMW article and by recommendation, each with how many are overdue today.",
		Tags:        []string{tagPlans},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}), access{public: true}, func(ctx context.Context, in *PlanPath) (*RenderedOutput, error) {
		s, err := d.Service.PlanSummary(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &RenderedOutput{Body: sendJSON(s)}, nil
	})

	registerPlanWrites(api, d)
}

// PlanFields are the fields of a plan a request changes.
type PlanFields struct {
	Code            *string     `json:"code,omitempty" pattern:"^[A-Z0-9][A-Z0-9-]{0,63}$" example:"TJK-CMW-NAP-2020"`
	Title           *TextInput  `json:"title,omitempty"`
	PeriodStart     *string     `json:"period_start,omitempty" format:"date"`
	PeriodEnd       *string     `json:"period_end,omitempty" format:"date"`
	ExtendedTo      *string     `json:"extended_to,omitempty" format:"date"`
	ApprovedOn      *string     `json:"approved_on,omitempty" format:"date"`
	ApprovedBy      *string     `json:"approved_by,omitempty" pattern:"^([A-Z][A-Z0-9-]{0,31})?$" doc:"Code of the approving organization; empty for none"`
	LegalBasis      *TextInput  `json:"legal_basis,omitempty"`
	Status          *PlanStatus `json:"status,omitempty"`
	RequiresSignOff *bool       `json:"requires_sign_off,omitempty"`
	SubmissionDays  *int        `json:"submission_days,omitempty" minimum:"0" maximum:"366" doc:"Days after a period ends that its reports are due; 30 unless set"`
	ReviewDays      *int        `json:"review_days,omitempty" minimum:"0" maximum:"366" doc:"Days after a period ends that its reports are reviewed; 60 unless set"`
	SourceFields
	Clear []string `json:"clear,omitempty" enum:"extended_to,approved_on,approved_by,legal_basis" uniqueItems:"true" doc:"Fields to empty"`
}

func (f PlanFields) change() (nap.PlanChange, error) {
	var legalBasis *nap.Text
	clear := clearTexts(f.Clear, map[string]**nap.Text{"legal_basis": &legalBasis})
	if legalBasis == nil {
		legalBasis = fromText(f.LegalBasis)
	}
	d, err := dates(map[string]*string{"period_start": f.PeriodStart, "period_end": f.PeriodEnd,
		"extended_to": f.ExtendedTo, "approved_on": f.ApprovedOn})
	var status *nap.PlanStatus
	if f.Status != nil {
		s := nap.PlanStatus(*f.Status)
		status = &s
	}
	return nap.PlanChange{
		Code: f.Code, Title: fromText(f.Title), PeriodStart: d["period_start"], PeriodEnd: d["period_end"],
		ExtendedTo: d["extended_to"], ApprovedOn: d["approved_on"], ApprovedBy: f.ApprovedBy,
		LegalBasis: legalBasis, Status: status, RequiresSignOff: f.RequiresSignOff,
		SubmissionDays: f.SubmissionDays, ReviewDays: f.ReviewDays,
		Provenance: provenance(f.Provenance), ProvenanceNote: f.ProvenanceNote, Clear: clear,
	}, err
}

// NewPlan is a plan to create: code, title, period_start and period_end are required; it
// starts in draft unless status says otherwise.
type NewPlan struct{ PlanFields }

// Schema requires what a new plan needs.
func (NewPlan) Schema(r huma.Registry) *huma.Schema {
	return creating[PlanFields](r, "NewPlan", nil, "code", "title", "period_start", "period_end")
}

// CreatePlanInput is a new plan.
type CreatePlanInput struct {
	Body NewPlan
}

// UpdatePlanInput changes a plan.
type UpdatePlanInput struct {
	PlanPath
	IfMatch
	Body PlanFields
}

// NewReportingPeriod is a reporting period to add to a plan.
type NewReportingPeriod struct {
	Label              string `json:"label" pattern:"^[0-9]{4}-(H[12]|Q[1-4]|Y)$" example:"2018-H1"`
	StartsOn           string `json:"starts_on" format:"date"`
	EndsOn             string `json:"ends_on" format:"date"`
	SubmissionDeadline string `json:"submission_deadline,omitempty" format:"date" doc:"By default the plan's submission_days after the period ends"`
	ReviewDeadline     string `json:"review_deadline,omitempty" format:"date" doc:"By default the plan's review_days after the period ends"`
	DueOn              string `json:"due_on,omitempty" format:"date" deprecated:"true" doc:"The submission deadline, by its former name"`
}

// input is the period to add.
func (p NewReportingPeriod) input() (nap.PeriodInput, error) {
	submission := p.SubmissionDeadline
	if submission == "" {
		submission = p.DueOn
	}
	d, err := dates(map[string]*string{"starts_on": &p.StartsOn, "ends_on": &p.EndsOn,
		"submission_deadline": optional(submission), "review_deadline": optional(p.ReviewDeadline)})
	if err != nil {
		return nap.PeriodInput{}, err
	}
	return nap.PeriodInput{Label: p.Label, StartsOn: *d["starts_on"], EndsOn: *d["ends_on"],
		SubmissionDeadline: d["submission_deadline"], ReviewDeadline: d["review_deadline"]}, nil
}

// optional is s, or nil when it is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreatePeriodInput is a new reporting period of a plan.
type CreatePeriodInput struct {
	PlanPath
	Body NewReportingPeriod
}

// PeriodPath names a reporting period.
type PeriodPath struct {
	ID string `path:"id" format:"uuid" doc:"Reporting period id"`
}

// PeriodOutput is one reporting period.
type PeriodOutput struct {
	ETag string `header:"ETag"`
	Body ReportingPeriod
}

// periodOutput answers with a reporting period and its ETag.
func periodOutput(p nap.ReportingPeriod) *PeriodOutput {
	return &PeriodOutput{ETag: etag(p.Version), Body: toReportingPeriod(p)}
}

// planOutput answers with a plan and its ETag.
func planOutput(p nap.Plan) *GetPlanOutput {
	return &GetPlanOutput{ETag: etag(p.Version), Body: toPlan(p)}
}

func registerPlanWrites(api huma.API, d Deps) {
	plan := visibleTo(discard(d.Service.GetPlan))

	register(api, d, huma.Operation{
		OperationID:   "create-plan",
		RequestBody:   withExample(examplePlan),
		Method:        http.MethodPost,
		Path:          "/plans",
		Summary:       "Create a plan",
		Description:   "Adds a plan, in draft unless status says otherwise; a draft is not public. code, title, period_start and period_end are required.",
		Tags:          []string{tagPlans},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreatePlan}, func(ctx context.Context, in *CreatePlanInput) (*GetPlanOutput, error) {
		return apply(in.Body, func(ch nap.PlanChange) (nap.Plan, error) {
			return d.Service.CreatePlan(ctx, ch)
		}, planOutput)
	})

	register(api, d, huma.Operation{
		OperationID: "update-plan",
		RequestBody: withExample(examplePlanChange),
		Method:      http.MethodPatch,
		Path:        "/plans/{id}",
		Summary:     "Change a plan",
		Description: "Changes the fields sent, if the plan is still at the version If-Match names. Setting status to adopted or later publishes it.",
		Tags:        []string{tagPlans},
		Errors:      changeErrors(),
	}, access{permission: nap.UpdatePlan, domains: plan}, func(ctx context.Context, in *UpdatePlanInput) (*GetPlanOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetPlan, in.ID))
		if err != nil {
			return nil, err
		}
		return apply(in.Body, func(ch nap.PlanChange) (nap.Plan, error) {
			return d.Service.UpdatePlan(ctx, in.ID, v, ch)
		}, planOutput)
	})

	register(api, d, huma.Operation{
		OperationID:   "create-reporting-period",
		RequestBody:   withExample(exampleReportingPeriod),
		Method:        http.MethodPost,
		Path:          "/plans/{id}/periods",
		Summary:       "Add a reporting period",
		Description:   "Adds an open period to the plan; organizations report progress for it until it is locked.",
		Tags:          []string{tagPlans},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreatePeriod, domains: plan}, func(ctx context.Context, in *CreatePeriodInput) (*PeriodOutput, error) {
		input, err := in.Body.input()
		if err != nil {
			return nil, err
		}
		p, err := d.Service.CreatePeriod(ctx, in.ID, input)
		if err != nil {
			return nil, err
		}
		return periodOutput(p), nil
	})

	for _, st := range []struct {
		state, verb string
		perm        nap.Permission
		description string
	}{
		{nap.PeriodLocked, "lock", nap.LockPeriod, "Locks the period: it takes no new progress updates or submissions. 409 when it is locked already."},
		{nap.PeriodOpen, "open", nap.OpenPeriod, "Opens a locked period again. 409 when it is open already."},
	} {
		register(api, d, huma.Operation{
			OperationID: st.verb + "-reporting-period",
			Method:      http.MethodPost,
			Path:        "/periods/{id}/" + st.verb,
			Summary:     strings.ToUpper(st.verb[:1]) + st.verb[1:] + " a reporting period",
			Description: st.description,
			Tags:        []string{tagPlans},
			Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
		}, access{permission: st.perm, domains: visibleTo(discard(d.Service.GetPeriod))},
			func(ctx context.Context, in *PeriodPath) (*PeriodOutput, error) {
				p, err := d.Service.SetPeriodState(ctx, in.ID, st.state)
				if err != nil {
					return nil, err
				}
				return periodOutput(p), nil
			})
	}
}
