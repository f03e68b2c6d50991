package nap

import "time"

// Meta is what every stored object carries: its id, its version (the ETag of its
// representation) and when it was created and last changed.
type Meta struct {
	ID        string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// VersionOf is the object's version.
func (m Meta) VersionOf() int { return m.Version }

// Source says how far public sources support an object of the reference data.
type Source struct {
	Provenance Provenance
	Note       string
}

// Organization is a state body or a partner that leads, co-implements or supports measures.
type Organization struct {
	Meta
	Code      string
	Kind      string
	Name      Text
	Parent    string // code of the parent organization, or ""
	Successor string // code of the organization that took over its mandate, or ""
	Active    bool
	ValidFrom *time.Time
	ValidTo   *time.Time
	Source    Source
}

// SourceDocument is a document that makes recommendations, such as a set of concluding
// observations.
type SourceDocument struct {
	Meta
	Symbol    string
	Mechanism string
	Title     Text
	AdoptedOn *time.Time
	URL       string
	Source    Source
}

// Recommendation is one recommendation of a source document.
type Recommendation struct {
	Meta
	Document  string // symbol of the source document
	Code      string
	Paragraph string // "~" marks a number not yet verified against the document
	Section   string
	Themes    []string
	Articles  []int
	Text      Text
	Source    Source
}

// RecommendationRef names a recommendation from another object.
type RecommendationRef struct {
	ID        string
	Document  string // symbol of the source document
	Code      string
	Paragraph string
}

// Plan is a national action plan.
type Plan struct {
	Meta
	Code            string
	Title           Text
	PeriodStart     time.Time
	PeriodEnd       time.Time
	ExtendedTo      *time.Time
	ApprovedOn      *time.Time
	ApprovedBy      string // organization code, or ""
	LegalBasis      Text
	Status          PlanStatus
	RequiresSignOff bool
	// SubmissionDays and ReviewDays are how many days after a reporting period ends its
	// reports are due and reviewed, unless the period says otherwise.
	SubmissionDays int
	ReviewDays     int
	Source         Source
}

// ReportingPeriod is a span of time for which organizations report progress.
type ReportingPeriod struct {
	Meta
	PlanID   string
	Label    string
	StartsOn time.Time
	EndsOn   time.Time
	// Reports on the period are due by SubmissionDeadline and reviewed by ReviewDeadline,
	// both days inclusive (in UTC).
	SubmissionDeadline time.Time
	ReviewDeadline     time.Time
	State              string
}

// Measure is one action of a plan.
type Measure struct {
	Meta
	PlanID          string
	Code            string
	Title           Text
	Description     Text
	ExpectedResult  Text
	DeadlineText    Text
	DueStart        *time.Time
	DueEnd          *time.Time
	Lead            string   // organization code
	CoImplementers  []string // organization codes
	Partners        []string // organization codes
	Recommendations []RecommendationRef
	Articles        []int
	Source          Source
	CurrentStatus   Status
	ProgressPercent *int
	Overdue         bool
}

// MeasureState is what a measure's representation depends on besides what people enter (its
// version): its derived status and progress, as its reader sees them, and whether it is
// overdue, which changes with the date alone.
type MeasureState struct {
	Version         int
	Status          Status
	ProgressPercent *int
	Overdue         bool
}

// State returns the measure's state.
func (m Measure) State() MeasureState {
	return MeasureState{Version: m.Version, Status: m.CurrentStatus, ProgressPercent: m.ProgressPercent, Overdue: m.Overdue}
}

// Indicator is a yardstick for a measure's progress.
type Indicator struct {
	Meta
	MeasureID       string
	Code            string
	Title           Text
	Kind            string
	Unit            string
	Baseline        *float64
	Target          *float64
	TargetDate      *time.Time
	Disaggregations []string
	Source          Source
}
