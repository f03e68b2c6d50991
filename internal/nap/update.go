package nap

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// UpdateState is where a progress update stands in its review.
type UpdateState string

const (
	UpdateDraft      UpdateState = "draft"
	UpdateSubmitted  UpdateState = "submitted"
	UpdateSignedOff  UpdateState = "signed_off"
	UpdateReturned   UpdateState = "returned"
	UpdateApproved   UpdateState = "approved"
	UpdateRejected   UpdateState = "rejected"
	UpdateWithdrawn  UpdateState = "withdrawn"
	UpdateSuperseded UpdateState = "superseded" // approved, then replaced by an approved correction
)

// UpdateStates lists every state.
var UpdateStates = []UpdateState{UpdateDraft, UpdateSubmitted, UpdateSignedOff, UpdateReturned,
	UpdateApproved, UpdateRejected, UpdateWithdrawn, UpdateSuperseded}

// Editable reports whether an update in this state may still be changed by its organization.
func (s UpdateState) Editable() bool { return s == UpdateDraft || s == UpdateReturned }

// Published reports whether an update in this state went through review and may be read
// beyond its organization, as its visibility allows.
func (s UpdateState) Published() bool { return s == UpdateApproved || s == UpdateSuperseded }

// ReviewAction is a step of the review of a progress update.
type ReviewAction string

const (
	ActionSubmit   ReviewAction = "submit"
	ActionSignOff  ReviewAction = "sign_off"
	ActionReturn   ReviewAction = "return"
	ActionApprove  ReviewAction = "approve"
	ActionReject   ReviewAction = "reject"
	ActionWithdraw ReviewAction = "withdraw"
)

// ReviewActions lists every action.
var ReviewActions = []ReviewAction{ActionSubmit, ActionSignOff, ActionReturn, ActionApprove, ActionReject, ActionWithdraw}

// NeedsReason reports whether the action must say why.
func (a ReviewAction) NeedsReason() bool { return a == ActionReturn || a == ActionReject }

// Stage is who acts on an update next: its organization's approver signing it off, or the
// coordinator reviewing it.
type Stage string

const (
	StageNone    Stage = ""         // nobody reviews it now
	StageSignOff Stage = "sign_off" // the organization's approver
	StageReview  Stage = "review"   // the coordinator
)

// StageOf is the review stage of an update in state s under a plan that does or does not
// require sign-off.
func StageOf(s UpdateState, requiresSignOff bool) Stage {
	switch {
	case s == UpdateSubmitted && requiresSignOff:
		return StageSignOff
	case s == UpdateSubmitted, s == UpdateSignedOff:
		return StageReview
	}
	return StageNone
}

// Transition returns the state an update in state from reaches by action under a plan that
// does or does not require sign-off: ECONFLICT when the action is not open from there, and
// EINVALID when it needs a reason and reason is blank.
//
//	draft|returned --submit--> submitted --sign_off--> signed_off --approve--> approved
//	submitted (at sign-off) and signed_off --return--> returned; signed_off --reject--> rejected
//	without sign-off, the coordinator approves, returns or rejects straight from submitted
//	draft|submitted|returned --withdraw--> withdrawn
func Transition(from UpdateState, action ReviewAction, requiresSignOff bool, reason string) (UpdateState, error) {
	stage := StageOf(from, requiresSignOff)
	var to UpdateState
	switch action {
	case ActionSubmit:
		if from.Editable() {
			to = UpdateSubmitted
		}
	case ActionSignOff:
		if stage == StageSignOff {
			to = UpdateSignedOff
		}
	case ActionReturn:
		if stage != StageNone {
			to = UpdateReturned
		}
	case ActionApprove:
		if stage == StageReview {
			to = UpdateApproved
		}
	case ActionReject:
		if stage == StageReview {
			to = UpdateRejected
		}
	case ActionWithdraw:
		if from.Editable() || from == UpdateSubmitted {
			to = UpdateWithdrawn
		}
	default:
		return "", Errorf(EINVALID, "%q is not a review action", action)
	}
	if to == "" {
		return "", Errorf(ECONFLICT, "an update that is %s cannot be %s", from, pastTense(action))
	}
	if action.NeedsReason() && strings.TrimSpace(reason) == "" {
		return "", Errorf(EINVALID, "say why the update is %s: a reason is required", pastTense(action))
	}
	return to, nil
}

func pastTense(a ReviewAction) string {
	switch a {
	case ActionSubmit:
		return "submitted"
	case ActionSignOff:
		return "signed off"
	case ActionReturn:
		return "returned"
	case ActionApprove:
		return "approved"
	case ActionReject:
		return "rejected"
	case ActionWithdraw:
		return "withdrawn"
	}
	return string(a)
}

// Visibility is who may read an approved update or a piece of evidence.
type Visibility string

const (
	VisibilityInternal Visibility = "internal" // the reporting organization and the coordinating bodies
	VisibilityPartners Visibility = "partners" // also partners and every state body
	VisibilityPublic   Visibility = "public"   // also anonymous readers
)

// Visibilities lists every visibility, narrowest first.
var Visibilities = []Visibility{VisibilityInternal, VisibilityPartners, VisibilityPublic}

// ProgressUpdate is an organization's report on a measure for a reporting period.
type ProgressUpdate struct {
	Meta
	MeasureID        string
	PlanID           string
	PeriodID         string
	Period           string // label
	ReportingOrgID   string
	ReportingOrg     string // code
	AuthorID         string
	LastEditorID     string
	SignedOffBy      string
	ApprovedBy       string
	State            UpdateState
	ProposedStatus   Status
	ProgressPercent  *int
	Narrative        Text
	Challenges       Text
	NextSteps        Text
	IndicatorValues  []IndicatorValue
	Visibility       Visibility
	Supersedes       string // id of the approved update this corrects
	CorrectionReason string
	SupersededBy     string
	ContentSHA256    string
	SubmittedAt      *time.Time
	ApprovedAt       *time.Time
	Source           Source

	// What its review depends on, read with it: whether its plan asks for the ministry's
	// sign-off, and whether its reporting period is locked; and what the notices of a step
	// name its measure by.
	PlanRequiresSignOff bool
	PeriodLocked        bool
	MeasureCode         string
	MeasureTitle        Text
}

// IndicatorValue is a value reported for an indicator: a number (number, percent and, as 1 or
// 0, milestone indicators) or a text.
type IndicatorValue struct {
	IndicatorID    string
	Indicator      string // code
	Value          *float64
	Text           string
	Disaggregation map[string]string
	Note           string
}

// Review is one step taken in an update's review; never edited.
type Review struct {
	ID       string
	UpdateID string
	ActorID  string
	Action   ReviewAction
	From     UpdateState
	To       UpdateState
	Comment  string
	At       time.Time
}

// ContentDigest is the SHA-256, in hex, of the canonical JSON of what an update reports and
// of its evidence digests: what approval fixes. Maps are written with sorted keys, lists in a
// fixed order, and missing text, values and breakdowns as empty ones, so the digest depends on
// the content alone.
func ContentDigest(u ProgressUpdate, evidenceDigests []string) string {
	type value struct {
		IndicatorID    string            `json:"indicator_id"`
		Value          *float64          `json:"value"`
		Text           string            `json:"text"`
		Disaggregation map[string]string `json:"disaggregation"`
		Note           string            `json:"note"`
	}
	values := make([]value, len(u.IndicatorValues))
	for i, v := range u.IndicatorValues {
		d := v.Disaggregation
		if d == nil {
			d = map[string]string{}
		}
		values[i] = value{v.IndicatorID, v.Value, v.Text, d, v.Note}
	}
	slices.SortFunc(values, func(a, b value) int {
		if c := strings.Compare(a.IndicatorID, b.IndicatorID); c != 0 {
			return c
		}
		ka, _ := json.Marshal(a.Disaggregation)
		kb, _ := json.Marshal(b.Disaggregation)
		return strings.Compare(string(ka), string(kb))
	})
	digests := slices.Clone(evidenceDigests)
	if digests == nil {
		digests = []string{}
	}
	slices.Sort(digests)
	text := func(t Text) Text {
		if t == nil {
			return Text{}
		}
		return t
	}
	canonical := struct {
		ID               string     `json:"id"`
		MeasureID        string     `json:"measure_id"`
		PeriodID         string     `json:"period_id"`
		ReportingOrgID   string     `json:"reporting_org_id"`
		ProposedStatus   Status     `json:"proposed_status"`
		ProgressPercent  *int       `json:"progress_percent"`
		Narrative        Text       `json:"narrative"`
		Challenges       Text       `json:"challenges"`
		NextSteps        Text       `json:"next_steps"`
		IndicatorValues  []value    `json:"indicator_values"`
		Visibility       Visibility `json:"visibility"`
		Supersedes       string     `json:"supersedes"`
		CorrectionReason string     `json:"correction_reason"`
		Evidence         []string   `json:"evidence_sha256"`
	}{u.ID, u.MeasureID, u.PeriodID, u.ReportingOrgID, u.ProposedStatus, u.ProgressPercent, text(u.Narrative),
		text(u.Challenges), text(u.NextSteps), values, u.Visibility, u.Supersedes, u.CorrectionReason, digests}
	b, _ := json.Marshal(canonical) // cannot fail: strings, numbers and maps of strings
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
