package nap

import "time"

// The changes below name what to set on an object; a nil field stays as it is, and the
// fields named in Clear are emptied. A create takes the same change, with the fields it
// requires set.

// OrganizationChange changes an organization.
type OrganizationChange struct {
	Code           *string
	Kind           *string
	Name           *Text
	Parent         *string // organization code; "" for none
	Successor      *string // organization code; "" for none
	Active         *bool
	ValidFrom      *time.Time
	ValidTo        *time.Time
	Provenance     *Provenance
	ProvenanceNote *string
	Clear          []string
}

// PlanChange changes a plan.
type PlanChange struct {
	Code            *string
	Title           *Text
	PeriodStart     *time.Time
	PeriodEnd       *time.Time
	ExtendedTo      *time.Time
	ApprovedOn      *time.Time
	ApprovedBy      *string // organization code; "" for none
	LegalBasis      *Text
	Status          *PlanStatus
	RequiresSignOff *bool
	SubmissionDays  *int
	ReviewDays      *int
	Provenance      *Provenance
	ProvenanceNote  *string
	Clear           []string
}

// PeriodInput is a new reporting period. A deadline not given follows the plan's rules.
type PeriodInput struct {
	Label              string
	StartsOn           time.Time
	EndsOn             time.Time
	SubmissionDeadline *time.Time
	ReviewDeadline     *time.Time
}

// PeriodChange changes a reporting period's deadlines; nil fields stay as they are.
type PeriodChange struct {
	SubmissionDeadline *time.Time
	ReviewDeadline     *time.Time
}

// Period states.
const (
	PeriodOpen   = "open"
	PeriodLocked = "locked"
)

// PeriodStates lists every period state.
var PeriodStates = []string{PeriodOpen, PeriodLocked}

// MeasureChange changes a measure. The organization lists and recommendations, when set,
// replace the measure's whole list.
type MeasureChange struct {
	Code            *string
	Title           *Text
	Description     *Text
	ExpectedResult  *Text
	DeadlineText    *Text
	DueStart        *time.Time
	DueEnd          *time.Time
	Lead            *string   // organization code
	CoImplementers  *[]string // organization codes
	Partners        *[]string // organization codes
	Recommendations *[]string // recommendation ids
	Articles        *[]int
	Provenance      *Provenance
	ProvenanceNote  *string
	Clear           []string
}

// IndicatorChange changes an indicator.
type IndicatorChange struct {
	Code            *string
	Title           *Text
	Kind            *string
	Unit            *string
	Baseline        *float64
	Target          *float64
	TargetDate      *time.Time
	Disaggregations *[]string
	Provenance      *Provenance
	ProvenanceNote  *string
	Clear           []string
}

// UpdateChange is what a progress update reports, as its organization writes it. Creating
// one needs the period and the proposed status. IndicatorValues, when set, replace the
// update's values.
type UpdateChange struct {
	PeriodID         *string
	ProposedStatus   *Status
	ProgressPercent  *int
	Narrative        *Text
	Challenges       *Text
	NextSteps        *Text
	IndicatorValues  *[]IndicatorValue
	Visibility       *Visibility
	Supersedes       *string
	CorrectionReason *string
	Clear            []string
}
