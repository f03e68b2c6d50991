package nap

import "time"

// The reporting round: for a reporting period, which organization has reported on which
// measure, and how far its report has come.

// ReportState is where an organization's report on a measure for a period stands: missing
// until it drafts one, then as its latest update stands (withdrawn counts as missing; an
// approved update replaced by an approved correction stays approved).
type ReportState string

const (
	ReportMissing   ReportState = "missing"
	ReportDraft     ReportState = "draft"
	ReportSubmitted ReportState = "submitted"
	ReportSignedOff ReportState = "signed_off"
	ReportReturned  ReportState = "returned"
	ReportApproved  ReportState = "approved"
	ReportRejected  ReportState = "rejected"
)

// ReportStates lists every report state, in the order of the round.
var ReportStates = []ReportState{ReportMissing, ReportDraft, ReportSubmitted, ReportSignedOff, ReportReturned,
	ReportApproved, ReportRejected}

// ExpectedReport is one report a period expects: an organization's on a measure it leads or
// co-implements, open in the period (started by its end, and not implemented or cancelled by
// its start). Late when it was not submitted by the period's submission deadline.
type ExpectedReport struct {
	OrganizationID   string
	Organization     string // code
	OrganizationName Text
	MeasureID        string
	MeasureCode      string
	MeasureTitle     Text
	Role             string // lead or co_implementer
	State            ReportState
	UpdateID         string     // the update that stands for the report, if any
	SubmittedAt      *time.Time // when it was first submitted
	Late             bool
	// Detailed says whether the caller sees the report in every state: its organization's
	// own roles and the coordinating roles do. Others see it only once approved and
	// published to them; until then its State is "".
	Detailed bool
}

// ReportCounts counts expected reports by state.
type ReportCounts struct {
	Expected int
	ByState  map[ReportState]int
	Late     int
}

// Add counts one report.
func (c *ReportCounts) Add(r ExpectedReport) {
	if c.ByState == nil {
		c.ByState = map[ReportState]int{}
	}
	c.Expected++
	c.ByState[r.State]++
	if r.Late {
		c.Late++
	}
}

// OrganizationCompleteness counts one organization's expected reports. Detailed says whether
// the caller sees them in every state; otherwise only how many are approved (and published to
// the caller) is told.
type OrganizationCompleteness struct {
	OrganizationID   string
	Organization     string
	OrganizationName Text
	Detailed         bool
	ReportCounts
}

// Completeness is where a period's reporting round stands as of a day: each organization's
// counts, and the reports the caller sees in detail.
type Completeness struct {
	Period        ReportingPeriod
	AsOf          time.Time
	Organizations []OrganizationCompleteness
	Reports       []ExpectedReport
}

// CompletenessFilter narrows the reports listed; zero fields do not filter. Organization
// narrows the counts too.
type CompletenessFilter struct {
	Organization string // code
	State        ReportState
}
