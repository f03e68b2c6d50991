// Package seed holds the reference data of Tajikistan's 2013 action plan on the Committee on
// Migrant Workers' recommendations, as YAML files embedded in the binary, and loads it.
package seed

import (
	"bytes"
	"embed"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/naptracker/naptracker/internal/nap"
)

//go:embed data/*.yaml
var files embed.FS

// Dataset is the reference data.
type Dataset struct {
	Organizations []Organization     `yaml:"organizations"`
	Documents     []Document         `yaml:"documents"`
	Plan          Plan               `yaml:"plan"`
	Users         []User             `yaml:"users"`
	History       []HistoricalUpdate `yaml:"updates"`
}

// Source says how far public sources support an item.
type Source struct {
	Provenance nap.Provenance `yaml:"provenance"`
	Note       string         `yaml:"provenance_note"`
}

// Organization is a state body or partner.
type Organization struct {
	Code      string     `yaml:"code"`
	Kind      string     `yaml:"kind"`
	Name      nap.Text   `yaml:"name"`
	Parent    string     `yaml:"parent"`
	Successor string     `yaml:"successor"`
	ValidFrom *time.Time `yaml:"valid_from"`
	ValidTo   *time.Time `yaml:"valid_to"`
	Source    `yaml:",inline"`
}

// Document is a source document and its recommendations.
type Document struct {
	Symbol          string           `yaml:"symbol"`
	Mechanism       string           `yaml:"mechanism"`
	AdoptedOn       *time.Time       `yaml:"adopted_on"`
	Title           nap.Text         `yaml:"title"`
	URL             string           `yaml:"url"`
	Recommendations []Recommendation `yaml:"recommendations"`
	Source          `yaml:",inline"`
}

// Recommendation is one recommendation of a document.
type Recommendation struct {
	Code      string   `yaml:"code"`
	Paragraph string   `yaml:"paragraph"`
	Section   string   `yaml:"section"`
	Themes    []string `yaml:"themes"`
	Articles  []int    `yaml:"articles"`
	Text      nap.Text `yaml:"text"`
	Source    `yaml:",inline"`
}

// Plan is the action plan with its measures.
type Plan struct {
	Code            string         `yaml:"code"`
	SourceDocument  string         `yaml:"source_document"`
	Title           nap.Text       `yaml:"title"`
	ApprovedOn      *time.Time     `yaml:"approved_on"`
	ApprovedBy      string         `yaml:"approved_by"`
	PeriodStart     time.Time      `yaml:"period_start"`
	PeriodEnd       time.Time      `yaml:"period_end"`
	ExtendedTo      *time.Time     `yaml:"extended_to"`
	LegalBasis      nap.Text       `yaml:"legal_basis"`
	Status          nap.PlanStatus `yaml:"status"`
	RequiresSignOff bool           `yaml:"requires_sign_off"`
	Reporting       Reporting      `yaml:"reporting"`
	Measures        []Measure      `yaml:"measures"`
	Source          `yaml:",inline"`
}

// Reporting describes the plan's half-yearly reporting periods, from First to Last
// ("2013-H2"), each with its reports due SubmissionDays after it ends and reviewed
// ReviewDays after it ends.
type Reporting struct {
	First          string `yaml:"first"`
	Last           string `yaml:"last"`
	SubmissionDays int    `yaml:"submission_days"`
	ReviewDays     int    `yaml:"review_days"`
}

// Measure is one measure of the plan.
type Measure struct {
	Code            string      `yaml:"code"`
	Title           nap.Text    `yaml:"title"`
	Description     nap.Text    `yaml:"description"`
	ExpectedResult  nap.Text    `yaml:"expected_result"`
	DeadlineText    nap.Text    `yaml:"deadline_text"`
	DueStart        *time.Time  `yaml:"due_start"`
	DueEnd          *time.Time  `yaml:"due_end"`
	Lead            string      `yaml:"lead"`
	CoImplementers  []string    `yaml:"co_implementers"`
	Partners        []string    `yaml:"partners"`
	Recommendations []string    `yaml:"recommendations"`
	Articles        []int       `yaml:"articles"`
	Indicators      []Indicator `yaml:"indicators"`
	Source          `yaml:",inline"`
}

// Indicator is one indicator of a measure.
type Indicator struct {
	Code            string     `yaml:"code"`
	Title           nap.Text   `yaml:"title"`
	Kind            string     `yaml:"kind"`
	Unit            string     `yaml:"unit"`
	Baseline        *float64   `yaml:"baseline"`
	Target          *float64   `yaml:"target"`
	TargetDate      *time.Time `yaml:"target_date"`
	Disaggregations []string   `yaml:"disaggregations"`
	Source          `yaml:",inline"`
}

// Reference returns the embedded reference data. Unknown keys in the files are errors, so a
// misspelt field cannot be dropped silently.
func Reference() (Dataset, error) {
	var ds Dataset
	for _, name := range []string{"organizations.yaml", "documents.yaml", "plan.yaml", "history.yaml"} {
		b, err := files.ReadFile("data/" + name)
		if err != nil {
			return Dataset{}, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&ds); err != nil {
			return Dataset{}, fmt.Errorf("seed %s: %w", name, err)
		}
	}
	return ds, nil
}

// Period is one reporting period.
type Period struct {
	Label    string
	StartsOn time.Time
	EndsOn   time.Time
	// SubmissionDeadline and ReviewDeadline are when its reports are due and reviewed.
	SubmissionDeadline time.Time
	ReviewDeadline     time.Time
}

// Periods expands r into its half-years.
func (r Reporting) Periods() ([]Period, error) {
	year, half, err := parseHalf(r.First)
	if err != nil {
		return nil, err
	}
	lastYear, lastHalf, err := parseHalf(r.Last)
	if err != nil {
		return nil, err
	}
	var out []Period
	for year < lastYear || (year == lastYear && half <= lastHalf) {
		start := time.Date(year, time.Month(1+6*(half-1)), 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 6, -1)
		out = append(out, Period{
			Label: fmt.Sprintf("%d-H%d", year, half), StartsOn: start, EndsOn: end,
			SubmissionDeadline: end.AddDate(0, 0, r.SubmissionDays), ReviewDeadline: end.AddDate(0, 0, r.ReviewDays),
		})
		if half++; half > 2 {
			year, half = year+1, 1
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reporting: %s is after %s", r.First, r.Last)
	}
	return out, nil
}

func parseHalf(label string) (year, half int, err error) {
	if _, err := fmt.Sscanf(label, "%4d-H%1d", &year, &half); err != nil || half < 1 || half > 2 {
		return 0, 0, fmt.Errorf("reporting period %q is not of the form 2013-H2", label)
	}
	return year, half, nil
}
