package nap

// Provenance says how far public sources support a fact in the reference data.
type Provenance string

const (
	Sourced       Provenance = "sourced"        // a public document supports it
	PartlySourced Provenance = "partly_sourced" // the action is documented; its details are not
	Illustrative  Provenance = "illustrative"   // a placeholder, not a fact
)

// Provenances lists every provenance, best supported first.
var Provenances = []Provenance{Sourced, PartlySourced, Illustrative}

// Status is where a measure stands. A measure's current status is derived from its latest
// approved progress update; NoInformation until there is one.
type Status string

const (
	NoInformation        Status = "no_information"
	NotStarted           Status = "not_started"
	InProgress           Status = "in_progress"
	Ongoing              Status = "ongoing" // continuous measures
	PartiallyImplemented Status = "partially_implemented"
	Implemented          Status = "implemented"
	NotImplemented       Status = "not_implemented"
	Cancelled            Status = "cancelled"
)

// Statuses lists every status, derived NoInformation first.
var Statuses = []Status{NoInformation, NotStarted, InProgress, Ongoing, PartiallyImplemented,
	Implemented, NotImplemented, Cancelled}

// Closed reports whether a measure in this status can no longer be overdue.
func (s Status) Closed() bool { return s == Implemented || s == Cancelled }

// PlanStatus is the life-cycle stage of a plan.
type PlanStatus string

const (
	PlanDraft      PlanStatus = "draft"
	PlanAdopted    PlanStatus = "adopted"
	PlanActive     PlanStatus = "active"
	PlanClosed     PlanStatus = "closed"
	PlanSuperseded PlanStatus = "superseded"
)

// PlanStatuses lists every plan status in life-cycle order.
var PlanStatuses = []PlanStatus{PlanDraft, PlanAdopted, PlanActive, PlanClosed, PlanSuperseded}

// OrganizationKinds are the kinds of organization; the database checks them too.
var OrganizationKinds = []string{"ministry", "agency", "coordinating_body", "nhri", "local_government", "ngo",
	"international_org"}

// IndicatorKinds are what an indicator's reported value is; the database checks them too.
var IndicatorKinds = []string{"number", "percent", "milestone", "text"}

// Disaggregations are the dimensions an indicator's values may be broken down by; the
// database checks them too.
var Disaggregations = []string{"sex", "age_group", "region", "country"}
