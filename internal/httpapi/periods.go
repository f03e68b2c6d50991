package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/naptracker/naptracker/internal/export"
	"github.com/naptracker/naptracker/internal/nap"
)

// PeriodFields are a reporting period's deadlines a request sets.
type PeriodFields struct {
	SubmissionDeadline *string `json:"submission_deadline,omitempty" format:"date" doc:"Reports on the period are due by the end of this day (UTC)"`
	ReviewDeadline     *string `json:"review_deadline,omitempty" format:"date" doc:"Reports are reviewed by the end of this day (UTC)"`
}

func (f PeriodFields) change() (nap.PeriodChange, error) {
	d, err := dates(map[string]*string{"submission_deadline": f.SubmissionDeadline, "review_deadline": f.ReviewDeadline})
	return nap.PeriodChange{SubmissionDeadline: d["submission_deadline"], ReviewDeadline: d["review_deadline"]}, err
}

// UpdatePeriodInput changes a reporting period's deadlines.
type UpdatePeriodInput struct {
	PeriodPath
	IfMatch
	Body PeriodFields
}

func registerPeriods(api huma.API, d Deps) {
	period := visibleTo(discard(d.Service.GetPeriod))
	registerCompleteness(api, d)
	registerImports(api, d)

	register(api, d, huma.Operation{
		OperationID: "get-reporting-period",
		Method:      http.MethodGet,
		Path:        "/periods/{id}",
		Summary:     "Get a reporting period",
		Description: "One reporting period of a plan the caller may read, with its deadlines and its ETag.",
		Tags:        []string{tagPlans},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *PeriodPath) (*PeriodOutput, error) {
		p, err := d.Service.GetPeriod(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return periodOutput(p), nil
	})

	register(api, d, huma.Operation{
		OperationID: "update-reporting-period",
		RequestBody: withExample(examplePeriodChange),
		Method:      http.MethodPatch,
		Path:        "/periods/{id}",
		Summary:     "Set a reporting period's deadlines",
		Description: "Sets the submission and review deadlines sent, if the period is still at the version If-Match names. " +
			"A period ends, its reports are due, then reviewed, in that order.",
		Tags:   []string{tagPlans},
		Errors: changeErrors(),
	}, access{permission: nap.UpdatePeriod, domains: period}, func(ctx context.Context, in *UpdatePeriodInput) (*PeriodOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetPeriod, in.ID))
		if err != nil {
			return nil, err
		}
		return apply(in.Body, func(ch nap.PeriodChange) (nap.ReportingPeriod, error) {
			return d.Service.UpdatePeriod(ctx, in.ID, v, ch)
		}, periodOutput)
	})
}

// ReportCounts counts the reports a period expects. Counts other than expected and approved
// are given only where the caller sees reports in every state.
type ReportCounts struct {
	Expected  int  `json:"expected" doc:"Reports the period expects"`
	Approved  int  `json:"approved" doc:"Of them, approved (for callers who see only published reports: approved and published to them)"`
	Missing   *int `json:"missing,omitempty"`
	Draft     *int `json:"draft,omitempty"`
	Submitted *int `json:"submitted,omitempty"`
	SignedOff *int `json:"signed_off,omitempty"`
	Returned  *int `json:"returned,omitempty"`
	Rejected  *int `json:"rejected,omitempty"`
	Late      *int `json:"late,omitempty" doc:"Not submitted by the submission deadline"`
}

func toReportCounts(c nap.ReportCounts, detailed bool) ReportCounts {
	out := ReportCounts{Expected: c.Expected, Approved: c.ByState[nap.ReportApproved]}
	if detailed {
		n := func(s nap.ReportState) *int { v := c.ByState[s]; return &v }
		out.Missing, out.Draft, out.Submitted = n(nap.ReportMissing), n(nap.ReportDraft), n(nap.ReportSubmitted)
		out.SignedOff, out.Returned, out.Rejected = n(nap.ReportSignedOff), n(nap.ReportReturned), n(nap.ReportRejected)
		out.Late = &c.Late
	}
	return out
}

// OrganizationCompleteness counts the reports one organization owes for the period.
type OrganizationCompleteness struct {
	Organization string `json:"organization" doc:"Organization code"`
	Name         Text   `json:"name"`
	Detailed     bool   `json:"detailed" doc:"Whether the counts cover every state: for the organization's own roles and the coordinating roles; otherwise only approved reports published to the caller are counted"`
	ReportCounts
}

// ExpectedReport is one report the period expects, as the caller sees it in full.
type ExpectedReport struct {
	Organization string      `json:"organization" doc:"Code of the organization that owes it"`
	Role         string      `json:"role" enum:"lead,co_implementer" doc:"The organization's part in the measure"`
	MeasureID    string      `json:"measure_id" format:"uuid"`
	Measure      string      `json:"measure" doc:"Measure code"`
	MeasureTitle Text        `json:"measure_title"`
	State        ReportState `json:"state"`
	UpdateID     string      `json:"update_id,omitempty" format:"uuid" doc:"The update that stands for the report: the organization's approved one, or its latest"`
	SubmittedAt  *time.Time  `json:"submitted_at,omitempty" doc:"When it was first submitted"`
	Late         bool        `json:"late" doc:"Not submitted by the end of the submission deadline (UTC)"`
}

// Completeness is where a period's reporting round stands.
type Completeness struct {
	Period        ReportingPeriod            `json:"period"`
	AsOf          string                     `json:"as_of" format:"date" doc:"The day lateness is judged on"`
	Total         ReportCounts               `json:"total"` // as get-period-completeness says
	Organizations []OrganizationCompleteness `json:"organizations"`
	Items         []ExpectedReport           `json:"items" doc:"The reports the caller sees in full: its own organizations', or all for the coordinating roles"`
}

func toCompleteness(c nap.Completeness) Completeness {
	out := Completeness{Period: toReportingPeriod(c.Period), AsOf: date(c.AsOf), Organizations: []OrganizationCompleteness{}, Items: []ExpectedReport{}}
	var total nap.ReportCounts
	detailed := true
	for _, o := range c.Organizations {
		out.Organizations = append(out.Organizations, OrganizationCompleteness{Organization: o.Organization, Name: toText(o.OrganizationName),
			Detailed: o.Detailed, ReportCounts: toReportCounts(o.ReportCounts, o.Detailed)})
		detailed = detailed && o.Detailed
		total.Expected += o.Expected
		total.Late += o.Late
		for s, n := range o.ByState {
			if total.ByState == nil {
				total.ByState = map[nap.ReportState]int{}
			}
			total.ByState[s] += n
		}
	}
	out.Total = toReportCounts(total, detailed)
	for _, r := range c.Reports {
		out.Items = append(out.Items, ExpectedReport{Organization: r.Organization, Role: r.Role, MeasureID: r.MeasureID,
			Measure: r.MeasureCode, MeasureTitle: toText(r.MeasureTitle), State: ReportState(r.State), UpdateID: r.UpdateID,
			SubmittedAt: r.SubmittedAt, Late: r.Late})
	}
	return out
}

// CompletenessInput chooses a period's reports.
type CompletenessInput struct {
	PeriodPath
	Organization string      `query:"organization" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"MS" doc:"Only this organization's reports, by code"`
	State        ReportState `query:"state" doc:"Only reports in this state (the counts stay whole)"`
}

// CompletenessOutput is where a period's reporting round stands.
type CompletenessOutput struct {
	Body Completeness
}

func registerCompleteness(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "get-period-completeness",
		Method:      http.MethodGet,
		Path:        "/periods/{id}/completeness",
		Summary:     "See who has reported for a period",
		Description: "Every report the period expects (one per measure open in it, for its lead and each co-implementer), " +
			"where it stands (missing, draft, submitted, signed_off, returned, approved, rejected) and whether it is late, " +
			"with counts per organization and in all (the total's counts other than expected and approved only when the " +
			"caller sees every organization's reports in full). An organization's own roles see its reports in full; the " +
			"coordinating roles see every organization's; partners and the public see each organization's count of " +
			"approved reports published to them.",
		Tags:   []string{tagPlans},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *CompletenessInput) (*CompletenessOutput, error) {
		c, err := d.Service.Completeness(ctx, in.ID, nap.CompletenessFilter{Organization: in.Organization, State: nap.ReportState(in.State)})
		if err != nil {
			return nil, err
		}
		return &CompletenessOutput{Body: toCompleteness(c)}, nil
	})

	register(api, d, huma.Operation{
		OperationID: "export-period-completeness",
		Method:      http.MethodGet,
		Path:        "/periods/{id}/completeness/export",
		Summary:     "Export who has reported for a period",
		Description: "The completeness of the period's round as CSV or XLSX, as the caller may see it: view=organizations, one " +
			"row per organization that owes reports with its counts (those other than expected and approved left empty where " +
			"the caller sees only approved reports); view=reports, one row per report the caller sees in full, with its " +
			"state and whether it is late. Headings are in the chosen language; states and roles stay the API's keys. The " +
			"workbook's second sheet names the period, its deadlines, the day lateness is judged on, the filters, the row " +
			"count and the SHA-256 of the table's cells.",
		Tags:   []string{tagPlans},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
		Responses: map[string]*huma.Response{
			"200": {Description: "The completeness of the round", Content: map[string]*huma.MediaType{
				mediaCSV:  {Schema: &huma.Schema{Type: "string", Description: "RFC 4180 CSV"}},
				mediaXLSX: {Schema: binarySchema("An Office Open XML workbook")},
			}, Headers: attachmentHeaders(api)},
		},
	}, access{public: true}, func(ctx context.Context, in *CompletenessExportInput) (*huma.StreamResponse, error) {
		f := nap.CompletenessFilter{Organization: in.Organization, State: nap.ReportState(in.State)}
		c, err := d.Service.Completeness(ctx, in.ID, f)
		if err != nil {
			return nil, err
		}
		lang := string(in.Lang)
		sheet, rows := export.Completeness(c, in.View, lang)
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			writeTable(api, hctx, in.Format, in.BOM, table{
				sheet: sheet, rows: rows, name: "completeness-" + c.Period.Label + "-" + in.View + "-" + lang,
				about: func(n int, sha256 string) [][2]string {
					return export.AboutCompleteness(c, in.View, lang, f, n, sha256)
				},
			})
		}}, nil
	})
}

// CompletenessExportInput chooses a period's completeness as a file.
type CompletenessExportInput struct {
	CompletenessInput
	View   string       `query:"view" enum:"organizations,reports" default:"organizations" doc:"organizations: a row per organization with its counts; reports: a row per report the caller sees in full"`
	Format ExportFormat `query:"format" default:"csv"`
	Lang   Language     `query:"lang" default:"en" doc:"Language of the headings and names. A text missing in it falls back as in every export"`
	BOM    bool         `query:"bom" doc:"Start the CSV with a UTF-8 byte order mark, which spreadsheet programs need to read it as UTF-8"`
}

// ImportedRow is what an import does, or would do, with a row of the file.
type ImportedRow struct {
	Row      int           `json:"row" doc:"The row's line in the file, the heading row being 1"`
	Code     string        `json:"code" doc:"The measure's code, as the row gives it"`
	Action   ImportAction  `json:"action"`
	Errors   []ImportError `json:"errors,omitempty" doc:"Why the row is refused"`
	UpdateID string        `json:"update_id,omitempty" format:"uuid" doc:"The draft it edits, or, once committed, the one it created"`
}

// ImportError names a column of a row and why its cell is refused.
type ImportError struct {
	Column string `json:"column" doc:"The column, by its key: code, status, progress_percent or latest_narrative"`
	Reason string `json:"reason"`
}

// ImportCounts counts the rows of an import by action.
type ImportCounts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
	Error     int `json:"error"`
}

// ImportResult is what an import did, or would do.
type ImportResult struct {
	PeriodID  string        `json:"period_id" format:"uuid"`
	Language  Language      `json:"language"` // as import-period-matrix says
	Committed bool          `json:"committed" doc:"Whether the drafts were written; false for a dry run"`
	Counts    ImportCounts  `json:"counts"`
	Rows      []ImportedRow `json:"rows"`
}

func toImportResult(im nap.Import) ImportResult {
	out := ImportResult{PeriodID: im.Period.ID, Language: Language(im.Language), Committed: im.Committed, Rows: []ImportedRow{}}
	for _, r := range im.Rows {
		row := ImportedRow{Row: r.Row, Code: r.Code, Action: ImportAction(r.Action), UpdateID: r.UpdateID}
		for _, e := range r.Errors {
			row.Errors = append(row.Errors, ImportError{Column: e.Column, Reason: e.Reason})
		}
		out.Rows = append(out.Rows, row)
	}
	out.Counts = ImportCounts{Create: im.Count(nap.ImportCreate), Update: im.Count(nap.ImportUpdate),
		Unchanged: im.Count(nap.ImportUnchanged), Error: im.Count(nap.ImportError)}
	return out
}

// ImportInput names the period a matrix is imported into.
type ImportInput struct {
	PeriodPath
	Commit bool `query:"commit" doc:"Write the drafts, all in one transaction, or none when any row is in error; without it, a dry run"`
}

// ImportOutput is what an import did, or would do.
type ImportOutput struct {
	Body ImportResult
}

func registerImports(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "import-period-matrix",
		Method:      http.MethodPost,
		Path:        "/periods/{id}/imports",
		Summary:     "Import progress from an edited matrix",
		Description: "Takes back the implementation matrix as GET /v1/plans/{id}/export writes it (CSV or XLSX, headings in any " +
			"of tg, ru or en), in a multipart part named file, as drafts of progress updates for the period: status, " +
			"progress_percent and latest_narrative (in the headings' language) of each row. A row that says what the matrix " +
			"says today, as the caller reads it, is unchanged; another drafts an update of the caller's organization for the " +
			"measure, or edits its draft, as the same request through the API would be allowed to. Nothing is submitted or " +
			"approved. Without commit=true, a dry run: nothing is written. With it, every draft is written in one transaction, " +
			"or, when any row is in error, none is (422, naming each row's error). The result's language is the headings', " +
			"which the file's texts are taken to be in. A file that is not such a matrix is 422; " +
			"over the upload limit, 413; a locked period, 409.",
		Tags:   []string{tagProgress},
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, internalError},
		Middlewares: huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
			_, w := humago.Unwrap(ctx)
			body := newPacedReader(ctx.BodyReader(), http.NewResponseController(w), d.Limits.uploadIdle(), d.Limits.uploadDeadline())
			next(huma.WithValue(ctx, streamKey{}, stream{body: body, contentType: ctx.Header("Content-Type")}))
		}},
	}, access{}, func(ctx context.Context, in *ImportInput) (*ImportOutput, error) {
		file, err := importedFile(ctx, d.Limits.MaxUploadBytes)
		if err != nil {
			return nil, err
		}
		lang, rows, err := export.ReadMatrix(file)
		if err != nil {
			return nil, err
		}
		im, err := d.Service.Import(ctx, in.ID, lang, rows, in.Commit)
		if err != nil {
			return nil, err
		}
		out := toImportResult(im)
		if in.Commit && !im.Committed && out.Counts.Error > 0 {
			return nil, rowErrors(out)
		}
		return &ImportOutput{Body: out}, nil
	})
	describeBody(api, "import-period-matrix", &huma.RequestBody{
		Required: true,
		Content: map[string]*huma.MediaType{
			"multipart/form-data": {
				Schema: &huma.Schema{Type: "object", Required: []string{"file"}, AdditionalProperties: false, Properties: map[string]*huma.Schema{
					"file": binarySchema("The matrix, as CSV or XLSX"),
				}},
				Example: map[string]any{"file": "(the edited matrix)"},
			},
		},
	})
}

// importedFile reads the file part of an import's multipart body, refusing one over limit
// bytes.
func importedFile(ctx context.Context, limit int64) (io.Reader, error) {
	s, _ := ctx.Value(streamKey{}).(stream)
	mediaType, params, err := mime.ParseMediaType(s.contentType)
	if err != nil || mediaType != "multipart/form-data" || s.body == nil {
		return nil, nap.Errorf(nap.EUNSUPPORTED, "send the matrix as multipart/form-data, in a part named file")
	}
	part, err := multipart.NewReader(s.body, params["boundary"]).NextPart()
	switch {
	case nap.ErrorCode(err) == nap.ETIMEOUT:
		return nil, err
	case errors.Is(err, io.EOF):
		return nil, nap.Errorf(nap.EINVALID, "file: the multipart body has no part named file")
	case err != nil:
		return nil, nap.Errorf(nap.EMALFORMED, "the multipart body is malformed")
	case part.FormName() != "file":
		return nil, nap.Errorf(nap.EINVALID, "unexpected part %q: send only the part named file", part.FormName())
	}
	if limit <= 0 {
		limit = 25 << 20
	}
	b, err := io.ReadAll(io.LimitReader(part, limit+1))
	switch {
	case nap.ErrorCode(err) == nap.ETIMEOUT:
		return nil, err
	case err != nil:
		return nil, nap.Errorf(nap.EINVALID, "file: the upload ended before the file did")
	case int64(len(b)) > limit:
		return nil, nap.Errorf(nap.ETOOLARGE, "the file is larger than the limit of %d bytes", limit)
	}
	return bytes.NewReader(b), nil
}

// rowErrors is the problem a commit refused for its rows' errors answers with: each error
// named by its row and column.
func rowErrors(r ImportResult) error {
	e := &nap.Error{Code: nap.EINVALID, Message: fmt.Sprintf("%d of %d rows are in error; nothing was written", r.Counts.Error, len(r.Rows))}
	for _, row := range r.Rows {
		for _, x := range row.Errors {
			e.Fields = append(e.Fields, nap.FieldError{Location: fmt.Sprintf("file.row[%d].%s", row.Row, x.Column), Message: x.Reason})
		}
	}
	return e
}
