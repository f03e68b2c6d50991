package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// IndicatorValue is a value an update reports for one of its measure's indicators.
type IndicatorValue struct {
	IndicatorID    string            `json:"indicator_id" format:"uuid"`
	Indicator      string            `json:"indicator,omitempty" readOnly:"true" doc:"The indicator's code"`
	Value          *float64          `json:"value,omitempty" doc:"For number and percent indicators; 1 (reached) or 0 for milestones"`
	Text           string            `json:"text,omitempty" maxLength:"4000" doc:"For text indicators"`
	Disaggregation map[string]string `json:"disaggregation,omitempty" doc:"The breakdown this value is for, by the indicator's dimensions, such as sex: female"`
	Note           string            `json:"note,omitempty" maxLength:"2000"`
}

func toIndicatorValue(v nap.IndicatorValue) IndicatorValue {
	return IndicatorValue(v)
}

// NewIndicatorValue is a value a request reports: an IndicatorValue without what the server
// fills in.
type NewIndicatorValue struct {
	IndicatorID    string            `json:"indicator_id" format:"uuid"`
	Value          *float64          `json:"value,omitempty" doc:"For number and percent indicators; 1 (reached) or 0 for milestones"`
	Text           string            `json:"text,omitempty" maxLength:"4000" doc:"For text indicators"`
	Disaggregation map[string]string `json:"disaggregation,omitempty" doc:"The breakdown this value is for, by the indicator's dimensions, such as sex: female"`
	Note           string            `json:"note,omitempty" maxLength:"2000"`
}

func fromIndicatorValue(v NewIndicatorValue) nap.IndicatorValue {
	return nap.IndicatorValue{IndicatorID: v.IndicatorID, Value: v.Value, Text: v.Text, Disaggregation: v.Disaggregation, Note: v.Note}
}

// ProgressUpdate is an organization's report on a measure for a reporting period.
type ProgressUpdate struct {
	Meta
	MeasureID        string           `json:"measure_id" format:"uuid"`
	PlanID           string           `json:"plan_id" format:"uuid"`
	PeriodID         string           `json:"period_id" format:"uuid"`
	Period           string           `json:"period" example:"2014-H2" doc:"The reporting period's label"`
	ReportingOrg     string           `json:"reporting_organization" example:"MIA" doc:"Code of the organization reporting"`
	State            UpdateState      `json:"state"`
	ProposedStatus   ReportedStatus   `json:"proposed_status"`
	ProgressPercent  *int             `json:"progress_percent,omitempty" minimum:"0" maximum:"100"`
	Narrative        Text             `json:"narrative"`
	Challenges       Text             `json:"challenges"`
	NextSteps        Text             `json:"next_steps"`
	IndicatorValues  []IndicatorValue `json:"indicator_values"`
	Visibility       Visibility       `json:"visibility"`
	Supersedes       string           `json:"supersedes,omitempty" format:"uuid" doc:"The approved update this corrects"`
	CorrectionReason string           `json:"correction_reason,omitempty"`
	SupersededBy     string           `json:"superseded_by,omitempty" format:"uuid" doc:"The approved correction that replaced this update"`
	ContentSHA256    string           `json:"content_sha256,omitempty" doc:"Set on approval: SHA-256 of the canonical JSON of the update and its evidence digests"`
	AuthorID         string           `json:"author_id,omitempty" format:"uuid"`
	SignedOffBy      string           `json:"signed_off_by,omitempty" format:"uuid"`
	ApprovedBy       string           `json:"approved_by,omitempty" format:"uuid"`
	SubmittedAt      *time.Time       `json:"submitted_at,omitempty"`
	ApprovedAt       *time.Time       `json:"approved_at,omitempty"`
	Source
}

func toUpdate(u nap.ProgressUpdate) ProgressUpdate {
	return ProgressUpdate{
		Meta: toMeta(u.Meta), MeasureID: u.MeasureID, PlanID: u.PlanID, PeriodID: u.PeriodID, Period: u.Period,
		ReportingOrg: u.ReportingOrg, State: UpdateState(u.State), ProposedStatus: ReportedStatus(u.ProposedStatus),
		ProgressPercent: u.ProgressPercent, Narrative: toText(u.Narrative), Challenges: toText(u.Challenges),
		NextSteps: toText(u.NextSteps), IndicatorValues: convert(u.IndicatorValues, toIndicatorValue),
		Visibility: Visibility(u.Visibility), Supersedes: u.Supersedes, CorrectionReason: u.CorrectionReason,
		SupersededBy: u.SupersededBy, ContentSHA256: u.ContentSHA256, AuthorID: u.AuthorID,
		SignedOffBy: u.SignedOffBy, ApprovedBy: u.ApprovedBy, SubmittedAt: u.SubmittedAt, ApprovedAt: u.ApprovedAt,
		Source: toSource(u.Source),
	}
}

// ProgressUpdateFields are what a request changes on an update; indicator_values, when sent,
// replace the update's values.
type ProgressUpdateFields struct {
	PeriodID         *string              `json:"period_id,omitempty" format:"uuid" doc:"An open reporting period of the measure's plan"`
	ProposedStatus   *ReportedStatus      `json:"proposed_status,omitempty"`
	ProgressPercent  *int                 `json:"progress_percent,omitempty" minimum:"0" maximum:"100"`
	Narrative        *TextInput           `json:"narrative,omitempty"`
	Challenges       *TextInput           `json:"challenges,omitempty"`
	NextSteps        *TextInput           `json:"next_steps,omitempty"`
	IndicatorValues  *[]NewIndicatorValue `json:"indicator_values,omitempty" maxItems:"500"`
	Visibility       *Visibility          `json:"visibility,omitempty"`
	CorrectionReason *string              `json:"correction_reason,omitempty" maxLength:"2000" pattern:"\\S" doc:"What a correction corrects: required with supersedes"`
	Clear            []string             `json:"clear,omitempty" enum:"progress_percent,narrative,challenges,next_steps" uniqueItems:"true" doc:"Fields to empty"`
}

// NewProgressUpdate is an update to draft: period_id and proposed_status are required, and a
// correction names the approved update it corrects.
type NewProgressUpdate struct {
	ProgressUpdateFields
	Supersedes *string `json:"supersedes,omitempty"`
}

// Schema requires what a new update needs.
func (NewProgressUpdate) Schema(r huma.Registry) *huma.Schema {
	return creating[ProgressUpdateFields](r, "NewProgressUpdate", map[string]*huma.Schema{
		"supersedes": {Type: huma.TypeString, Format: "uuid", Description: "To correct an approved update: its id"},
	}, "period_id", "proposed_status")
}

func (f NewProgressUpdate) change() nap.UpdateChange {
	ch := f.ProgressUpdateFields.change()
	ch.Supersedes = f.Supersedes
	return ch
}

func (f ProgressUpdateFields) change() nap.UpdateChange {
	ch := nap.UpdateChange{PeriodID: f.PeriodID, ProgressPercent: f.ProgressPercent, Narrative: fromText(f.Narrative),
		Challenges: fromText(f.Challenges), NextSteps: fromText(f.NextSteps), CorrectionReason: f.CorrectionReason}
	ch.Clear = clearTexts(f.Clear, map[string]**nap.Text{"narrative": &ch.Narrative, "challenges": &ch.Challenges, "next_steps": &ch.NextSteps})
	if f.ProposedStatus != nil {
		st := nap.Status(*f.ProposedStatus)
		ch.ProposedStatus = &st
	}
	if f.Visibility != nil {
		v := nap.Visibility(*f.Visibility)
		ch.Visibility = &v
	}
	if f.IndicatorValues != nil {
		values := convert(*f.IndicatorValues, fromIndicatorValue)
		ch.IndicatorValues = &values
	}
	return ch
}

// UpdatePath names a progress update.
type UpdatePath struct {
	ID string `path:"id" format:"uuid" doc:"Progress update id"`
}

func (p UpdatePath) updateID() string { return p.ID }

// UpdateOutput is one progress update.
type UpdateOutput struct {
	ETag string `header:"ETag"`
	Body ProgressUpdate
}

func updateOutput(u nap.ProgressUpdate) *UpdateOutput {
	return &UpdateOutput{ETag: etag(u.Version), Body: toUpdate(u)}
}

// CreateUpdateInput is a new progress update of a measure.
type CreateUpdateInput struct {
	MeasurePath
	Body NewProgressUpdate
}

// EditUpdateInput changes a progress update.
type EditUpdateInput struct {
	UpdatePath
	IfMatch
	Body ProgressUpdateFields
}

// ListUpdatesInput names a measure and a page of its updates.
type ListUpdatesInput struct {
	MeasurePath
	PageParams
}

// ReviewInput is a review step with an optional comment.
type ReviewInput struct {
	UpdatePath
	Body *ReviewComment `required:"false"`
}

// ReviewComment may say why a review step is taken.
type ReviewComment struct {
	Reason string `json:"reason,omitempty" maxLength:"4000" doc:"Why, if the reviewer says"`
}

func (in *ReviewInput) reason() string {
	if in.Body == nil {
		return ""
	}
	return in.Body.Reason
}

// ReasonedReviewInput is a review step that must say why: returning and rejecting.
type ReasonedReviewInput struct {
	UpdatePath
	Body ReviewReason
}

// ReviewReason says why a review step is taken.
type ReviewReason struct {
	Reason string `json:"reason" minLength:"1" maxLength:"4000" pattern:"\\S" doc:"Why: the organization reads it to change the update, or to know why it was rejected"`
}

func (in *ReasonedReviewInput) reason() string { return in.Body.Reason }

// Review is one step of an update's review.
type Review struct {
	ID      string       `json:"id" format:"uuid"`
	ActorID string       `json:"actor_id,omitempty" format:"uuid"`
	Action  ReviewAction `json:"action"`
	From    UpdateState  `json:"from_state"`
	To      UpdateState  `json:"to_state"`
	Comment string       `json:"comment,omitempty"`
	At      time.Time    `json:"at"`
}

func toReview(r nap.Review) Review {
	return Review{ID: r.ID, ActorID: r.ActorID, Action: ReviewAction(r.Action), From: UpdateState(r.From), To: UpdateState(r.To), Comment: r.Comment, At: r.At}
}

// ReviewsOutput is the review history of an update.
type ReviewsOutput struct {
	Body List[Review]
}

func registerUpdates(api huma.API, d Deps) {
	// An update's domain is its reporting organization's; one the caller may not read is 404.
	update := byID(d.Service.UpdateDomain)
	measure := byID(d.Service.UpdateDomains)

	register(api, d, huma.Operation{
		OperationID: "list-progress-updates",
		Method:      http.MethodGet,
		Path:        "/measures/{id}/updates",
		Summary:     "List a measure's progress updates",
		Description: "The updates the caller may read, by reporting period: its own organization's in every state, others' once approved as their visibility allows.",
		Tags:        []string{tagProgress},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListUpdatesInput) (*PageOutput[ProgressUpdate], error) {
		p, err := d.Service.ListUpdates(ctx, in.ID, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toUpdate), nil
	})

	register(api, d, huma.Operation{
		OperationID:   "create-progress-update",
		RequestBody:   withExample(exampleProgressUpdate),
		Method:        http.MethodPost,
		Path:          "/measures/{id}/updates",
		Summary:       "Draft a progress update",
		Description:   "A focal point of the measure's lead or a co-implementing organization drafts an update for an open reporting period; the organization reporting is theirs. 409 when the period is locked or the organization has an update of that period in the works.",
		Tags:          []string{tagProgress},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreateUpdate, domains: measure}, func(ctx context.Context, in *CreateUpdateInput) (*UpdateOutput, error) {
		u, err := d.Service.CreateUpdate(ctx, in.ID, in.Body.change())
		if err != nil {
			return nil, err
		}
		return updateOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-progress-update",
		Method:      http.MethodGet,
		Path:        "/updates/{id}",
		Summary:     "Get a progress update",
		Description: "One update, if the caller may read it, with its ETag.",
		Tags:        []string{tagProgress},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *UpdatePath) (*UpdateOutput, error) {
		u, err := d.Service.GetUpdate(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return updateOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "edit-progress-update",
		RequestBody: withExample(exampleProgressUpdateChange),
		Method:      http.MethodPatch,
		Path:        "/updates/{id}",
		Summary:     "Change a progress update",
		Description: "Changes the fields sent while the update is draft or returned, if it is still at the version If-Match names. 409 once it is in review or approved.",
		Tags:        []string{tagProgress},
		Errors:      changeErrors(),
	}, access{permission: nap.EditUpdate, domains: update}, func(ctx context.Context, in *EditUpdateInput) (*UpdateOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetUpdate, in.ID))
		if err != nil {
			return nil, err
		}
		u, err := d.Service.EditUpdate(ctx, in.ID, v, in.Body.change())
		if err != nil {
			return nil, err
		}
		return updateOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-review-actions",
		Method:      http.MethodGet,
		Path:        "/updates/{id}/reviews",
		Summary:     "List an update's review steps",
		Description: "Every step taken in the update's review, oldest first, with who took it and why.",
		Tags:        []string{tagProgress},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *UpdatePath) (*ReviewsOutput, error) {
		rs, err := d.Service.ListReviews(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		out := &ReviewsOutput{}
		out.Body.Items = convert(rs, toReview)
		return out, nil
	})

	steps := []struct {
		action      nap.ReviewAction
		summary     string
		description string
	}{
		{nap.ActionSubmit, "Submit a progress update", "Sends a draft or returned update for review: to its organization's approver, or straight to the coordinator when the plan requires no sign-off. 409 when the period is locked."},
		{nap.ActionSignOff, "Sign a progress update off", "The organization's approver passes a submitted update on to the coordinator. Nobody signs off an update they wrote or last edited."},
		{nap.ActionReturn, "Return a progress update", "Sends an update back to its organization to change, with a reason: the approver at sign-off, the coordinator at review."},
		{nap.ActionApprove, "Approve a progress update", "The coordinator approves an update: it becomes immutable, its content digest is fixed, a correction replaces the update it corrects, and the measure's status is derived anew. Nobody approves an update they wrote, last edited or signed off."},
		{nap.ActionReject, "Reject a progress update", "The coordinator rejects an update for good, with a reason."},
		{nap.ActionWithdraw, "Withdraw a progress update", "Its organization withdraws a draft, submitted or returned update."},
	}
	for _, st := range steps {
		op := huma.Operation{
			OperationID: strings.ReplaceAll(string(st.action), "_", "-") + "-progress-update",
			RequestBody: withExample(exampleReasons[st.action]),
			Method:      http.MethodPost,
			Path:        "/updates/{id}/" + strings.ReplaceAll(string(st.action), "_", "-"),
			Summary:     st.summary,
			Description: st.description + " 409 when the update's state does not allow the step.",
			Tags:        []string{tagProgress},
			Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
		}
		a := access{permission: nap.ActionPermission[st.action], domains: update}
		if st.action.NeedsReason() {
			registerStep[ReasonedReviewInput](api, d, op, a, st.action)
		} else {
			registerStep[ReviewInput](api, d, op, a, st.action)
		}
	}
	registerEvidence(api, d, update)
}

// registerStep registers the review step action, whose input I gives its reason.
func registerStep[I any, P interface {
	*I
	updateID() string
	reason() string
}](api huma.API, d Deps, op huma.Operation, a access, action nap.ReviewAction) {
	register(api, d, op, a, func(ctx context.Context, in *I) (*UpdateOutput, error) {
		u, err := d.Service.Act(ctx, P(in).updateID(), action, P(in).reason())
		if err != nil {
			return nil, err
		}
		return updateOutput(u), nil
	})
}
