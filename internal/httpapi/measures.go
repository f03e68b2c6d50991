package httpapi

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// RecommendationRef names a recommendation a measure answers.
type RecommendationRef struct {
	ID        string `json:"id" format:"uuid"`
	Document  string `json:"document" example:"CMW/C/TJK/CO/1"`
	Code      string `json:"code" example:"CO1-R29"`
	Paragraph string `json:"paragraph" example:"~64-65"`
}

func toRecommendationRef(r nap.RecommendationRef) RecommendationRef {
	return RecommendationRef{ID: r.ID, Document: r.Document, Code: r.Code, Paragraph: r.Paragraph}
}

// Measure is one action of a plan, with its derived status.
type Measure struct {
	Meta
	PlanID          string               `json:"plan_id" format:"uuid"`
	Code            string               `json:"code" example:"5.4"`
	Title           Text                 `json:"title"`
	Description     Text                 `json:"description"`
	ExpectedResult  Text                 `json:"expected_result"`
	DeadlineText    Text                 `json:"deadline_text"`
	DueStart        *string              `json:"due_start,omitempty" format:"date"`
	DueEnd          *string              `json:"due_end,omitempty" format:"date" doc:"Absent for continuous measures"`
	Lead            string               `json:"lead" example:"MIA" doc:"Code of the lead organization"`
	CoImplementers  []string             `json:"co_implementers" doc:"Codes of the organizations that share the work and report on it"`
	Partners        []string             `json:"partners" doc:"Codes of the organizations that support the measure"`
	Recommendations []RecommendationRef  `json:"recommendations"`
	Articles        []int                `json:"articles" doc:"Articles of the Migrant Workers Convention (ICRMW) it implements"`
	CurrentStatus   ImplementationStatus `json:"current_status"`
	ProgressPercent *int                 `json:"progress_percent,omitempty" minimum:"0" maximum:"100" doc:"From the latest approved progress update"`
	Overdue         bool                 `json:"overdue" doc:"due_end has passed and the status is neither implemented nor cancelled"`
	Source
}

func toMeasure(m nap.Measure) Measure {
	refs := make([]RecommendationRef, len(m.Recommendations))
	for i, r := range m.Recommendations {
		refs[i] = toRecommendationRef(r)
	}
	return Measure{
		Meta: toMeta(m.Meta), PlanID: m.PlanID, Code: m.Code, Title: toText(m.Title),
		Description: toText(m.Description), ExpectedResult: toText(m.ExpectedResult),
		DeadlineText: toText(m.DeadlineText), DueStart: optionalDate(m.DueStart), DueEnd: optionalDate(m.DueEnd),
		Lead: m.Lead, CoImplementers: nonNil(m.CoImplementers), Partners: nonNil(m.Partners),
		Recommendations: refs, Articles: nonNil(m.Articles), CurrentStatus: ImplementationStatus(m.CurrentStatus),
		ProgressPercent: m.ProgressPercent, Overdue: m.Overdue, Source: toSource(m.Source),
	}
}

// measureOutput answers with a measure and its ETag.
func measureOutput(m nap.Measure) *GetMeasureOutput {
	return &GetMeasureOutput{ETag: measureETag(m.State()), Body: toMeasure(m)}
}

// indicatorOutput answers with an indicator and its ETag.
func indicatorOutput(i nap.Indicator) *IndicatorOutput {
	return &IndicatorOutput{ETag: etag(i.Version), Body: toIndicator(i)}
}

// measureETag changes whenever the measure's representation does: with its version, and with
// its derived status, progress and overdue flag, which change without a person editing it
// (and differ between audiences). It is "<version>.<digest>".
func measureETag(st nap.MeasureState) string {
	h := fnv.New32a()
	progress := -1
	if st.ProgressPercent != nil {
		progress = *st.ProgressPercent
	}
	fmt.Fprintf(h, "%s|%d|%v", st.Status, progress, st.Overdue)
	return fmt.Sprintf(`"%d.%08x"`, st.Version, h.Sum32())
}

// Indicator is a yardstick for a measure's progress.
type Indicator struct {
	Meta
	MeasureID       string           `json:"measure_id" format:"uuid"`
	Code            string           `json:"code" example:"5.4.1"`
	Title           Text             `json:"title"`
	Kind            IndicatorKind    `json:"kind"`
	Unit            string           `json:"unit,omitempty"`
	Baseline        *float64         `json:"baseline,omitempty"`
	Target          *float64         `json:"target,omitempty"`
	TargetDate      *string          `json:"target_date,omitempty" format:"date"`
	Disaggregations []Disaggregation `json:"disaggregations" doc:"Dimensions a reported value is broken down by"`
	Source
}

func toIndicator(in nap.Indicator) Indicator {
	return Indicator{
		Meta: toMeta(in.Meta), MeasureID: in.MeasureID, Code: in.Code, Title: toText(in.Title),
		Kind: IndicatorKind(in.Kind), Unit: in.Unit, Baseline: in.Baseline, Target: in.Target,
		TargetDate: optionalDate(in.TargetDate), Disaggregations: stringsAs[Disaggregation](nonNil(in.Disaggregations)),
		Source: toSource(in.Source),
	}
}

// ListMeasuresInput filters a plan's measures.
type ListMeasuresInput struct {
	PlanPath
	PageParams
	Code           string                 `query:"code" pattern:"^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$" example:"3.11" doc:"Only the measure with this code"`
	Lead           string                 `query:"lead" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"MS" doc:"Only measures this organization, by code, leads"`
	Organization   string                 `query:"organization" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"MFA" doc:"Only measures this organization, by code, leads or co-implements"`
	Status         []ImplementationStatus `query:"status" maxItems:"8" doc:"Only measures in one of these current statuses (comma-separated)"`
	Article        int                    `query:"article" minimum:"1" maximum:"93" doc:"Only measures that implement this ICRMW article"`
	Recommendation string                 `query:"recommendation" pattern:"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9][A-Za-z0-9.()-]{0,31})$" example:"CO1-R29" doc:"Only measures that answer this recommendation, by id or code"`
	Overdue        OptionalBool           `query:"overdue" doc:"Only measures that are (true) or are not (false) overdue today"`
	DueBefore      string                 `query:"due_before" format:"date" doc:"Only measures due on or before this day"`
	DueAfter       string                 `query:"due_after" format:"date" doc:"Only measures due on or after this day"`
	Q              string                 `query:"q" maxLength:"200" example:"торговле" doc:"Only measures whose code, title or description contains every word, in any language, ignoring case"`
}

func (in *ListMeasuresInput) filter() (nap.MeasureFilter, error) {
	f := nap.MeasureFilter{
		Code: in.Code, Lead: in.Lead, Organization: in.Organization, Article: in.Article,
		Recommendation: in.Recommendation, Query: in.Q, Overdue: in.Overdue.ptr(),
	}
	for _, s := range in.Status {
		f.Statuses = append(f.Statuses, nap.Status(s))
	}
	var err error
	if f.DueBefore, err = parseDate(in.DueBefore); err != nil {
		return f, err
	}
	f.DueAfter, err = parseDate(in.DueAfter)
	return f, err
}

// MeasurePath names one measure.
type MeasurePath struct {
	ID string `path:"id" format:"uuid" doc:"Measure id"`
}

// GetMeasureInput names a measure; If-None-Match makes the answer 304 when it has not
// changed.
type GetMeasureInput struct {
	MeasurePath
	IfNoneMatch string `header:"If-None-Match" doc:"ETags the client holds; 304 when one is current"`
}

// GetMeasureOutput is one measure.
type GetMeasureOutput struct {
	ETag string `header:"ETag" doc:"Send as If-None-Match to get 304 while the measure is unchanged"`
	Body Measure
}

// RenderedMeasureOutput is one measure as the database rendered it.
type RenderedMeasureOutput struct {
	ETag string `header:"ETag" doc:"Send as If-None-Match to get 304 while the measure is unchanged"`
	Body func(huma.Context)
}

// ListIndicatorsInput names a measure and a page of its indicators.
type ListIndicatorsInput struct {
	MeasurePath
	PageParams
}

func registerMeasures(api huma.API, d Deps) {
	register(api, d, renders[Page[Measure]](api, huma.Operation{
		OperationID: "list-measures",
		Method:      http.MethodGet,
		Path:        "/plans/{id}/measures",
		Summary:     "List a plan's measures",
		Description: "Measures in code order (1.2 before 1.10), with their derived status, filtered by code, organization, status, article, recommendation, deadline or words in any language. Filters combine with AND.",
		Tags:        []string{tagMeasures},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}), access{public: true}, func(ctx context.Context, in *ListMeasuresInput) (*RenderedOutput, error) {
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		p, err := d.Service.ListMeasures(ctx, in.ID, f, in.request())
		if err != nil {
			return nil, err
		}
		return renderedPage(p), nil
	})

	op := huma.Operation{
		OperationID: "get-measure",
		Method:      http.MethodGet,
		Path:        "/measures/{id}",
		Summary:     "Get a measure",
		Description: "One measure with its derived status. The ETag changes whenever the measure does; send it back as If-None-Match to get an empty 304 instead.",
		Tags:        []string{tagMeasures},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
		Responses: map[string]*huma.Response{
			"304": {Description: "Not modified: the measure still has the ETag sent in If-None-Match."},
		},
	}
	register(api, d, renders[Measure](api, op), access{public: true}, func(ctx context.Context, in *GetMeasureInput) (*RenderedMeasureOutput, error) {
		// A client that holds a copy is answered from the version alone when it is current.
		if in.IfNoneMatch != "" {
			st, err := d.Service.MeasureVersion(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			if etag := measureETag(st); matchesAny(in.IfNoneMatch, etag) {
				return nil, huma.ErrorWithHeaders(huma.Status304NotModified(), http.Header{"ETag": {etag}})
			}
		}
		m, st, err := d.Service.GetMeasureJSON(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &RenderedMeasureOutput{ETag: measureETag(st), Body: sendJSON(m)}, nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-indicators",
		Method:      http.MethodGet,
		Path:        "/measures/{id}/indicators",
		Summary:     "List a measure's indicators",
		Description: "The indicators by which the measure's progress is judged, in code order.",
		Tags:        []string{tagMeasures},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListIndicatorsInput) (*PageOutput[Indicator], error) {
		p, err := d.Service.ListIndicators(ctx, in.ID, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toIndicator), nil
	})

	registerMeasureWrites(api, d)
}

// MeasureFields are the fields of a measure a request changes. A list, when sent, replaces
// the measure's whole list.
type MeasureFields struct {
	Code            *string    `json:"code,omitempty" pattern:"^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$" example:"3.12"`
	Title           *TextInput `json:"title,omitempty"`
	Description     *TextInput `json:"description,omitempty"`
	ExpectedResult  *TextInput `json:"expected_result,omitempty"`
	DeadlineText    *TextInput `json:"deadline_text,omitempty"`
	DueStart        *string    `json:"due_start,omitempty" format:"date"`
	DueEnd          *string    `json:"due_end,omitempty" format:"date"`
	Lead            *string    `json:"lead,omitempty" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"MS" doc:"Code of the lead organization"`
	CoImplementers  *[]OrgCode `json:"co_implementers,omitempty" maxItems:"50" uniqueItems:"true" doc:"Codes of the organizations that share the work"`
	Partners        *[]OrgCode `json:"partners,omitempty" maxItems:"50" uniqueItems:"true" doc:"Codes of the organizations that support it"`
	Recommendations *[]UUID    `json:"recommendations,omitempty" maxItems:"100" uniqueItems:"true" doc:"Ids of the recommendations it answers"`
	Articles        *[]Article `json:"articles,omitempty" maxItems:"93" uniqueItems:"true" doc:"ICRMW articles it implements"`
	SourceFields
	Clear []string `json:"clear,omitempty" enum:"due_start,due_end,description,expected_result,deadline_text" uniqueItems:"true" doc:"Fields to empty"`
}

func (f MeasureFields) change() (nap.MeasureChange, error) {
	d, err := dates(map[string]*string{"due_start": f.DueStart, "due_end": f.DueEnd})
	if err != nil {
		return nap.MeasureChange{}, err
	}
	ch := nap.MeasureChange{
		Code: f.Code, Title: fromText(f.Title), Description: fromText(f.Description),
		ExpectedResult: fromText(f.ExpectedResult), DeadlineText: fromText(f.DeadlineText),
		DueStart: d["due_start"], DueEnd: d["due_end"], Lead: f.Lead, CoImplementers: codes(f.CoImplementers),
		Partners: codes(f.Partners), Recommendations: ids(f.Recommendations), Provenance: provenance(f.Provenance),
		ProvenanceNote: f.ProvenanceNote,
	}
	ch.Clear = clearTexts(f.Clear, map[string]**nap.Text{"description": &ch.Description,
		"expected_result": &ch.ExpectedResult, "deadline_text": &ch.DeadlineText})
	if f.Articles != nil {
		articles := make([]int, len(*f.Articles))
		for i, a := range *f.Articles {
			articles[i] = int(a)
		}
		ch.Articles = &articles
	}
	return ch, nil
}

// OrgCode is the code of an organization.
type OrgCode string

// Schema is the pattern of codes.
func (OrgCode) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Pattern: "^[A-Z][A-Z0-9-]{0,31}$", Description: "An organization's code", Examples: []any{"MS"}}
}

// codes reads an optional list of organization codes.
func codes(c *[]OrgCode) *[]string {
	if c == nil {
		return nil
	}
	s := stringsAs[string](*c)
	return &s
}

// UUID is the id of an object, as the API writes ids.
type UUID string

// Schema is a UUID in its usual form.
func (UUID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Format: "uuid",
		Pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}
}

// ids reads an optional list of ids.
func ids(u *[]UUID) *[]string {
	if u == nil {
		return nil
	}
	s := stringsAs[string](*u)
	return &s
}

// NewMeasure is a measure to add to a plan: code, title and lead are required; its
// organizations and recommendations are linked at once.
type NewMeasure struct{ MeasureFields }

// Schema requires what a new measure needs.
func (NewMeasure) Schema(r huma.Registry) *huma.Schema {
	return creating[MeasureFields](r, "NewMeasure", nil, "code", "title", "lead")
}

// CreateMeasureInput is a new measure of a plan.
type CreateMeasureInput struct {
	PlanPath
	Body NewMeasure
}

// UpdateMeasureInput changes a measure.
type UpdateMeasureInput struct {
	MeasurePath
	IfMatch
	Body MeasureFields
}

// IndicatorFields are the fields of an indicator a request changes.
type IndicatorFields struct {
	Code            *string           `json:"code,omitempty" pattern:"^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$" example:"3.12.1"`
	Title           *TextInput        `json:"title,omitempty"`
	Kind            *IndicatorKind    `json:"kind,omitempty"`
	Unit            *string           `json:"unit,omitempty" maxLength:"50"`
	Baseline        *float64          `json:"baseline,omitempty" doc:"Only for number and percent indicators"`
	Target          *float64          `json:"target,omitempty" doc:"Only for number and percent indicators"`
	TargetDate      *string           `json:"target_date,omitempty" format:"date"`
	Disaggregations *[]Disaggregation `json:"disaggregations,omitempty" maxItems:"4" uniqueItems:"true"`
	SourceFields
	Clear []string `json:"clear,omitempty" enum:"baseline,target,target_date" uniqueItems:"true" doc:"Fields to empty"`
}

func (f IndicatorFields) change() (nap.IndicatorChange, error) {
	d, err := dates(map[string]*string{"target_date": f.TargetDate})
	return nap.IndicatorChange{
		Code: f.Code, Title: fromText(f.Title), Kind: (*string)(f.Kind), Unit: f.Unit, Baseline: f.Baseline,
		Target: f.Target, TargetDate: d["target_date"], Disaggregations: disaggregations(f.Disaggregations),
		Provenance: provenance(f.Provenance), ProvenanceNote: f.ProvenanceNote, Clear: f.Clear,
	}, err
}

// NewIndicator is an indicator to add to a measure: code, title and kind are required;
// baseline and target only for number and percent indicators.
type NewIndicator struct{ IndicatorFields }

// Schema requires what a new indicator needs.
func (NewIndicator) Schema(r huma.Registry) *huma.Schema {
	return creating[IndicatorFields](r, "NewIndicator", nil, "code", "title", "kind")
}

// CreateIndicatorInput is a new indicator of a measure.
type CreateIndicatorInput struct {
	MeasurePath
	Body NewIndicator
}

// IndicatorPath names an indicator.
type IndicatorPath struct {
	ID string `path:"id" format:"uuid" doc:"Indicator id"`
}

// UpdateIndicatorInput changes an indicator.
type UpdateIndicatorInput struct {
	IndicatorPath
	IfMatch
	Body IndicatorFields
}

// IndicatorOutput is one indicator.
type IndicatorOutput struct {
	ETag string `header:"ETag"`
	Body Indicator
}

func registerMeasureWrites(api huma.API, d Deps) {
	// A measure's domains are its lead's and its co-implementers'.
	measure := byID(d.Service.UpdateDomains)

	register(api, d, huma.Operation{
		OperationID:   "create-measure",
		RequestBody:   withExample(exampleMeasure),
		Method:        http.MethodPost,
		Path:          "/plans/{id}/measures",
		Summary:       "Add a measure to a plan",
		Description:   "code, title and lead are required; the organizations and recommendations are linked at once.",
		Tags:          []string{tagMeasures},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreateMeasure, domains: visibleTo(discard(d.Service.GetPlan))},
		func(ctx context.Context, in *CreateMeasureInput) (*GetMeasureOutput, error) {
			return apply(in.Body, func(ch nap.MeasureChange) (nap.Measure, error) {
				return d.Service.CreateMeasure(ctx, in.ID, ch)
			}, measureOutput)
		})

	register(api, d, huma.Operation{
		OperationID: "update-measure",
		RequestBody: withExample(exampleMeasureChange),
		Method:      http.MethodPatch,
		Path:        "/measures/{id}",
		Summary:     "Change a measure",
		Description: "Changes the fields sent, if the measure is still at the version If-Match names. A list sent replaces the whole list.",
		Tags:        []string{tagMeasures},
		Errors:      changeErrors(),
	}, access{permission: nap.UpdateMeasure, domains: measure}, func(ctx context.Context, in *UpdateMeasureInput) (*GetMeasureOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetMeasure, in.ID))
		if err != nil {
			return nil, err
		}
		return apply(in.Body, func(ch nap.MeasureChange) (nap.Measure, error) {
			return d.Service.UpdateMeasure(ctx, in.ID, v, ch)
		}, measureOutput)
	})

	register(api, d, huma.Operation{
		OperationID:   "create-indicator",
		RequestBody:   withExample(exampleIndicator),
		Method:        http.MethodPost,
		Path:          "/measures/{id}/indicators",
		Summary:       "Add an indicator to a measure",
		Description:   "code, title and kind are required; baseline and target only for number and percent indicators.",
		Tags:          []string{tagMeasures},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreateIndicator, domains: measure}, func(ctx context.Context, in *CreateIndicatorInput) (*IndicatorOutput, error) {
		return apply(in.Body, func(ch nap.IndicatorChange) (nap.Indicator, error) {
			return d.Service.CreateIndicator(ctx, in.ID, ch)
		}, indicatorOutput)
	})

	register(api, d, huma.Operation{
		OperationID: "get-indicator",
		Method:      http.MethodGet,
		Path:        "/indicators/{id}",
		Summary:     "Get an indicator",
		Description: "One indicator by id, with its ETag; 404 when there is none.",
		Tags:        []string{tagMeasures},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *IndicatorPath) (*IndicatorOutput, error) {
		i, err := d.Service.GetIndicator(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return indicatorOutput(i), nil
	})

	register(api, d, huma.Operation{
		OperationID: "update-indicator",
		RequestBody: withExample(exampleIndicatorChange),
		Method:      http.MethodPatch,
		Path:        "/indicators/{id}",
		Summary:     "Change an indicator",
		Description: "Changes the fields sent, if the indicator is still at the version If-Match names.",
		Tags:        []string{tagMeasures},
		Errors:      changeErrors(),
	}, access{permission: nap.UpdateIndicator, domains: visibleTo(discard(d.Service.GetIndicator))},
		func(ctx context.Context, in *UpdateIndicatorInput) (*IndicatorOutput, error) {
			v, err := in.version(current(ctx, d.Service.GetIndicator, in.ID))
			if err != nil {
				return nil, err
			}
			return apply(in.Body, func(ch nap.IndicatorChange) (nap.Indicator, error) {
				return d.Service.UpdateIndicator(ctx, in.ID, v, ch)
			}, indicatorOutput)
		})
}

// disaggregations reads an optional list of disaggregations.
func disaggregations(d *[]Disaggregation) *[]string {
	if d == nil {
		return nil
	}
	s := stringsAs[string](*d)
	return &s
}
