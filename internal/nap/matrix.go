package nap

import "time"

// The implementation matrix is a plan's measures, one row each, as the coordinator reports
// them: where each stands and what its latest approved update says, with the evidence.

// Matrix heads a plan's implementation matrix: what it covers and when it was read.
type Matrix struct {
	Plan   Plan
	Period *ReportingPeriod // the matrix as at the end of this period; nil for today
	AsOf   time.Time        // the day statuses and overdue are judged on
	Read   time.Time        // when the export began
	Audit  AuditHead        // the audit trail's head when the export began
	// Checkpoint is the latest signed checkpoint of the trail up to Audit; nil when none is.
	Checkpoint *Checkpoint
}

// AuditHead is the last link of the audit trail: publishing it lets anyone later check that
// the trail up to it was not rewritten.
type AuditHead struct {
	Seq  int64
	Hash string
}

// MatrixRow is one measure of the matrix. Status and progress are as the caller sees them
// (from the latest approved update it may read); Latest is that update, which for a ministry
// may be an internal one of its own.
type MatrixRow struct {
	Measure  Measure
	LeadName Text
	Latest   *ApprovedProgress
}

// ApprovedProgress is what an approved update reports, as the matrix shows it.
type ApprovedProgress struct {
	UpdateID   string
	Period     string // label
	Narrative  Text
	ApprovedAt time.Time
	Evidence   []Evidence // only ID, Title, URL and SHA256 are set
}

// Report is what the report by recommendation is made of: the matrix, and the
// recommendations its measures answer.
type Report struct {
	Matrix
	Rows            []MatrixRow
	Recommendations []Recommendation
}

// OGPCompletion is the status on the Open Government Partnership IRM's completion scale, for
// partners who report both: "" when no information has been approved.
func (s Status) OGPCompletion() string {
	switch s {
	case NotStarted, NotImplemented:
		return "not_started"
	case InProgress:
		return "limited"
	case Ongoing, PartiallyImplemented:
		return "substantial"
	case Implemented:
		return "complete"
	case Cancelled:
		return "withdrawn"
	}
	return ""
}

// IATIActivityStatus is the status as an IATI ActivityStatus code (1 pipeline, 2
// implementation, 3 finalisation, 5 cancelled, 6 suspended): "" when no information has been
// approved. A measure reported not implemented has stopped without completing: suspended.
func (s Status) IATIActivityStatus() string {
	switch s {
	case NotStarted:
		return "1"
	case InProgress, Ongoing, PartiallyImplemented:
		return "2"
	case Implemented:
		return "3"
	case Cancelled:
		return "5"
	case NotImplemented:
		return "6"
	}
	return ""
}

// OverdueOn reports whether a measure due by dueEnd with status s is overdue on day.
func OverdueOn(dueEnd *time.Time, s Status, day time.Time) bool {
	return dueEnd != nil && dueEnd.Before(day) && !s.Closed()
}

// Languages lists the languages of Text, each with the order in which an export falls back
// when a text is missing in it: Tajik readers read Russian before English, Russian readers
// English before Tajik, English readers Russian before Tajik.
var Languages = map[string][]string{
	"tg": {"tg", "ru", "en"},
	"ru": {"ru", "en", "tg"},
	"en": {"en", "ru", "tg"},
}

// In returns the text in lang, or in the next language of lang's fallback order that has it.
func (t Text) In(lang string) string {
	for _, l := range Languages[lang] {
		if s := t[l]; s != "" {
			return s
		}
	}
	return ""
}

// MatrixEdit is a row of an implementation matrix a ministry sends back, as read: the measure
// it is about and what its report says, in the file's cells. Problems found reading it
// (formula cells) are its Errors.
type MatrixEdit struct {
	Row       int // its line in the file, the heading row being 1
	Code      string
	Status    string
	Progress  string
	Narrative string
	Errors    []CellError
}

// CellError names a column of a row and what is wrong with its cell.
type CellError struct {
	Column string // the column's key (code, status, progress_percent, latest_narrative)
	Reason string
}

// ImportAction is what an import does with a row.
type ImportAction string

const (
	ImportCreate    ImportAction = "create"    // drafts a new update
	ImportUpdate    ImportAction = "update"    // edits the caller's draft
	ImportUnchanged ImportAction = "unchanged" // the row says what the matrix says
	ImportError     ImportAction = "error"     // the row is refused; see its errors
)

// ImportActions lists every action.
var ImportActions = []ImportAction{ImportCreate, ImportUpdate, ImportUnchanged, ImportError}

// ImportedRow is what an import does, or would do, with a row.
type ImportedRow struct {
	Row      int
	Code     string
	Action   ImportAction
	Errors   []CellError
	UpdateID string // the draft it created or edited, once committed
}

// Import is the outcome of an import: each row's action, and whether it was committed.
type Import struct {
	Period    ReportingPeriod
	Language  string
	Rows      []ImportedRow
	Committed bool
}

// Count is how many rows the import does action with.
func (im Import) Count(action ImportAction) int {
	n := 0
	for _, r := range im.Rows {
		if r.Action == action {
			n++
		}
	}
	return n
}

// MeasureRef names a measure and the organizations whose work it is (the lead first).
type MeasureRef struct {
	ID, Code      string
	Organizations []string
}

// OpenUpdate is an update still in the works (draft, submitted, signed off or returned).
type OpenUpdate struct {
	ID, MeasureID, OrganizationID string
	State                         UpdateState
	Version                       int
	Narrative                     Text
}

// Draft is what an import writes of an update: a new draft of an organization's report on a
// measure, or, with UpdateID, the edit of a draft at Version.
type Draft struct {
	UpdateID       string
	Version        int
	MeasureID      string
	OrganizationID string
	Status         Status
	Progress       *int
	Narrative      Text
}
