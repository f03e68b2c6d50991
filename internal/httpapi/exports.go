package httpapi

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/naptracker/naptracker/internal/export"
	"github.com/naptracker/naptracker/internal/nap"
)

// Media types of the exports.
const (
	mediaCSV  = "text/csv; charset=utf-8; header=present"
	mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mediaHTML = "text/html; charset=utf-8"
)

// ExportInput chooses a plan's matrix, its format and its language.
type ExportInput struct {
	PlanPath
	Format ExportFormat `query:"format" default:"csv"`
	ReportParams
	BOM bool `query:"bom" doc:"Start the CSV with a UTF-8 byte order mark, which spreadsheet programs need to read it as UTF-8"`
}

// ReportParams are the language and the moment of an export or a report.
type ReportParams struct {
	Lang   Language `query:"lang" default:"en" doc:"Language of the texts. A text missing in it falls back: tg to ru then en, ru to en then tg, en to ru then tg"`
	Period string   `query:"period" maxLength:"64" example:"2014-H2" doc:"A reporting period of the plan, by label or id: statuses as at its end, from the updates of periods that end by then. Omitted: as of today"`
}

// ReportInput chooses a plan's report and its language.
type ReportInput struct {
	PlanPath
	ReportParams
}

func registerExports(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "export-plan-matrix",
		Method:      http.MethodGet,
		Path:        "/plans/{id}/export",
		Summary:     "Export a plan's implementation matrix",
		Description: "The implementation matrix as CSV or XLSX, one row per measure in code order: code, title, lead, " +
			"co-implementers, recommendations, ICRMW articles, deadline, status with its OGP IRM completion level and IATI " +
			"activity-status code, progress, overdue, and the latest approved progress with its evidence (title, address, " +
			"SHA-256). It holds only what the caller may read, read 200 measures at a time. CSV cells that a spreadsheet " +
			"would take for a formula start with an apostrophe. The workbook's second sheet names the plan, the filters, " +
			"the time, the row count, the SHA-256 of the matrix's cells, the audit trail's head and its latest signed checkpoint, " +
			"all read from one snapshot of the database; the X-Audit-Head and X-Audit-Checkpoint headers say the same of either format.",
		Tags:   []string{tagPlans},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
		Responses: map[string]*huma.Response{
			"200": {Description: "The matrix", Content: map[string]*huma.MediaType{
				mediaCSV:  {Schema: &huma.Schema{Type: "string", Description: "RFC 4180 CSV"}},
				mediaXLSX: {Schema: binarySchema("An Office Open XML workbook")},
			}, Headers: with(attachmentHeaders(api), map[string]*huma.Header{
				headerAuditHead: {Description: "The audit trail's head the matrix was read at: its sequence number and hash; absent while the trail is empty",
					Schema: &huma.Schema{Type: huma.TypeString, Pattern: "^[0-9]+ [0-9a-f]{64}$"}},
				headerAuditCheckpoint: {Description: "The latest signed checkpoint up to that head, as `naptracker audit checkpoint` prints it; absent while there is none",
					Schema: &huma.Schema{Type: huma.TypeString}},
			})},
		},
	}, access{public: true}, func(ctx context.Context, in *ExportInput) (*huma.StreamResponse, error) {
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			m, rows, err := d.Service.Matrix(hctx.Context(), in.ID, in.Period)
			if err != nil {
				writeError(api, hctx, err)
				return
			}
			auditHeaders(hctx, m)
			lang := string(in.Lang)
			opts := exportOptions(hctx, d.PublicURL, lang)
			records := make([][]string, len(rows))
			for i, r := range rows {
				records[i] = export.Record(r, opts)
			}
			writeTable(api, hctx, in.Format, in.BOM, table{
				sheet: export.Matrix(lang), rows: records, name: fileName(m, lang),
				about: func(n int, sha256 string) [][2]string { return export.About(m, lang, n, sha256) },
			})
		}}, nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-plan-report",
		Method:      http.MethodGet,
		Path:        "/plans/{id}/report",
		Summary:     "Report a plan's progress by recommendation",
		Description: "A printable HTML page, grouped by the recommendation each measure answers: the recommendation's " +
			"text, its measures with their lead, status and latest approved progress, then the measures that answer " +
			"none: the draft annex of the report to the Committee. It holds only what the caller may read.",
		Tags:   []string{tagPlans},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
		Responses: map[string]*huma.Response{
			"200": {Description: "The report", Content: map[string]*huma.MediaType{
				mediaHTML: {Schema: &huma.Schema{Type: "string", Description: "An HTML document"}},
			}, Headers: map[string]*huma.Header{
				"Content-Security-Policy": {Required: true, Description: "The page loads nothing and runs no script",
					Schema: &huma.Schema{Type: huma.TypeString}},
			}},
		},
	}, access{public: true}, func(ctx context.Context, in *ReportInput) (*huma.StreamResponse, error) {
		r, err := d.Service.Report(ctx, in.ID, in.Period)
		if err != nil {
			return nil, err
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", mediaHTML)
			hctx.SetHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
			if err := export.Report(hctx.BodyWriter(), r, exportOptions(hctx, d.PublicURL, string(in.Lang))); err != nil {
				abort(hctx, err)
			}
		}}, nil
	})
}

// table is what an export writes: a sheet and its rows, under a file name without its
// extension, and what the workbook's sheet about it says.
type table struct {
	sheet export.Sheet
	rows  [][]string
	name  string
	about export.AboutFunc
}

// tableWriter writes a table's rows, then finishes the file; Close releases what it holds.
type tableWriter interface {
	Write(rec []string) error
	Finish(export.AboutFunc) error
	Close() error
}

// writeTable answers with t as CSV (with a byte order mark when bom is set) or as an XLSX
// workbook. Once the file has begun, a failure cuts the response off, so that the client
// cannot take a truncated file for a whole one.
func writeTable(api huma.API, hctx huma.Context, format ExportFormat, bom bool, t table) {
	var w tableWriter
	if format == "xlsx" {
		x, err := export.NewXLSX(hctx.BodyWriter(), t.sheet)
		if err != nil {
			writeError(api, hctx, err)
			return
		}
		attach(hctx, mediaXLSX, t.name+".xlsx")
		w = x
	} else {
		attach(hctx, mediaCSV, t.name+".csv")
		c, err := export.NewCSV(hctx.BodyWriter(), t.sheet, bom)
		if err != nil {
			abort(hctx, err)
		}
		w = c
	}
	defer w.Close() //nolint:errcheck // releases temporary files; the response is complete or cut off already
	for _, r := range t.rows {
		if err := w.Write(r); err != nil {
			abort(hctx, err)
		}
	}
	if err := w.Finish(t.about); err != nil {
		abort(hctx, err)
	}
}

// Headers that say which moment of the audit trail an export was read at.
const (
	headerAuditHead       = "X-Audit-Head"
	headerAuditCheckpoint = "X-Audit-Checkpoint"
)

// auditHeaders says which moment of the audit trail m was read at: its head ("<seq> <hash>")
// and the latest signed checkpoint up to it, as export.CheckpointText writes it.
func auditHeaders(hctx huma.Context, m nap.Matrix) {
	if m.Audit.Seq > 0 {
		hctx.SetHeader(headerAuditHead, strconv.FormatInt(m.Audit.Seq, 10)+" "+m.Audit.Hash)
	}
	if m.Checkpoint != nil {
		hctx.SetHeader(headerAuditCheckpoint, export.CheckpointText(*m.Checkpoint))
	}
}

// abort cuts off a response whose body has begun.
func abort(hctx huma.Context, err error) {
	slog.ErrorContext(hctx.Context(), "response cut off", "path", hctx.URL().Path, "error", err)
	panic(http.ErrAbortHandler)
}

// attachmentHeaders document what attach sends.
func attachmentHeaders(api huma.API) map[string]*huma.Header {
	return map[string]*huma.Header{
		"Content-Disposition": sharedHeader(api, "ContentDisposition", &huma.Header{Required: true,
			Description: "attachment, with the file's name",
			Schema:      &huma.Schema{Type: huma.TypeString, Examples: []any{"attachment; filename=TJK-CMW-NAP-2013-matrix-en.csv"}}}),
		"X-Content-Type-Options": sharedHeader(api, "NoSniff", &huma.Header{Required: true,
			Description: "Browsers take the Content-Type as it is", Schema: &huma.Schema{Type: huma.TypeString, Enum: []any{"nosniff"}}}),
	}
}

func attach(hctx huma.Context, mediaType, filename string) {
	hctx.SetHeader("Content-Type", mediaType)
	hctx.SetHeader("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	hctx.SetHeader("X-Content-Type-Options", "nosniff")
}

// fileName is "<plan code>-matrix-<lang>[-<period>]".
func fileName(m nap.Matrix, lang string) string {
	name := m.Plan.Code + "-matrix-" + lang
	if m.Period != nil {
		name += "-" + m.Period.Label
	}
	return name
}

// exportOptions link stored evidence files to their content at publicURL, or, when it is "",
// on the server the request came to.
func exportOptions(hctx huma.Context, publicURL, lang string) export.Options {
	base := strings.TrimSuffix(publicURL, "/")
	if base == "" {
		r, _ := humago.Unwrap(hctx)
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	base += apiBase
	return export.Options{Lang: lang, EvidenceURL: func(id string) string { return base + "/evidence/" + id + "/content" }}
}
