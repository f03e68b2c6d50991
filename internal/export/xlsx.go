package export

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// Sheet names of the workbook.
const (
	MatrixSheet = "Matrix"
	AboutSheet  = "About"
)

// XLSX writes a matrix as a workbook: the matrix sheet, with a frozen heading row, and a
// sheet about it. Rows stream to a temporary file past a size excelize decides, so a large
// plan does not sit in memory; the workbook is written out by Finish. Close releases the
// temporary files.
type XLSX struct {
	w      io.Writer
	f      *excelize.File
	sheet  *excelize.StreamWriter
	opts   Options
	rows   int
	digest hash.Hash // of the matrix's cells, as digestRow writes them
}

// NewXLSX starts a workbook for w and writes the heading row.
func NewXLSX(w io.Writer, opts Options) (*XLSX, error) {
	f := excelize.NewFile()
	x, err := startXLSX(w, f, opts)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return x, nil
}

func startXLSX(w io.Writer, f *excelize.File, opts Options) (*XLSX, error) {
	if err := f.SetSheetName("Sheet1", MatrixSheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(MatrixSheet)
	if err != nil {
		return nil, err
	}
	x := &XLSX{w: w, f: f, sheet: sw, opts: opts, digest: sha256.New()}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	// Column widths and panes must precede the rows in a streamed sheet.
	for i, c := range Columns {
		width := 14.0
		switch c {
		case "title", "latest_narrative", "evidence":
			width = 60
		case "lead_name", "recommendations", "deadline":
			width = 30
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	headings := Headings(opts.Lang)
	heading := make([]any, len(headings))
	for i, h := range headings {
		heading[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", heading); err != nil {
		return nil, err
	}
	x.digestRow(headings)
	return x, nil
}

// digestRow adds a row to the digest of the matrix in a form anyone can write again from the
// sheet: every cell in double quotes, quotes inside doubled, cells joined by commas, the row
// ended by CRLF; line breaks inside a cell stay LF.
func (x *XLSX) digestRow(cells []string) {
	for i, c := range cells {
		if i > 0 {
			_, _ = io.WriteString(x.digest, ",")
		}
		_, _ = io.WriteString(x.digest, `"`+strings.ReplaceAll(c, `"`, `""`)+`"`)
	}
	_, _ = io.WriteString(x.digest, "\r\n")
}

// maxCellLength is the most UTF-16 units a workbook's cell holds; longer text is cut there,
// with an ellipsis, in the sheet and in the digest alike.
const maxCellLength = 32767

func fitCell(s string) string {
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > maxCellLength-1 {
			return s[:i] + "…"
		}
	}
	return s
}

// Write writes one row. Cells are text: a workbook never evaluates them.
func (x *XLSX) Write(r nap.MatrixRow) error {
	rec := Record(r, x.opts)
	for i, cell := range rec {
		rec[i] = fitCell(cell)
	}
	x.rows++
	cell, err := excelize.CoordinatesToCellName(1, x.rows+1)
	if err != nil {
		return err
	}
	values := make([]any, len(rec))
	for i, v := range rec {
		values[i] = v
	}
	if err := x.sheet.SetRow(cell, values); err != nil {
		return err
	}
	x.digestRow(rec)
	return nil
}

// Finish writes the sheet about the matrix, then the whole workbook.
func (x *XLSX) Finish(m nap.Matrix) error {
	if err := x.sheet.Flush(); err != nil {
		return err
	}
	if _, err := x.f.NewSheet(AboutSheet); err != nil {
		return err
	}
	for i, kv := range About(m, x.opts.Lang, x.rows, hex.EncodeToString(x.digest.Sum(nil))) {
		if err := x.f.SetSheetRow(AboutSheet, "A"+strconv.Itoa(i+1), &[]any{kv[0], kv[1]}); err != nil {
			return err
		}
	}
	if err := x.f.SetColWidth(AboutSheet, "A", "A", 24); err != nil {
		return err
	}
	if err := x.f.SetColWidth(AboutSheet, "B", "B", 100); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.w)
	return err
}

// Close releases the workbook's temporary files.
func (x *XLSX) Close() error { return x.f.Close() }

// About describes a matrix, as key and value pairs.
func About(m nap.Matrix, lang string, rows int, digest string) [][2]string {
	period := "current"
	if m.Period != nil {
		period = m.Period.Label
	}
	audit, checkpoint := "empty", "none"
	if m.Audit.Seq > 0 {
		audit = fmt.Sprintf("%d %s", m.Audit.Seq, m.Audit.Hash)
	}
	if m.Checkpoint != nil {
		checkpoint = CheckpointText(*m.Checkpoint)
	}
	return [][2]string{
		{"plan", m.Plan.Code + " " + m.Plan.Title.In(lang)},
		{"plan_id", m.Plan.ID},
		{"language", lang + " (missing texts fall back to " + strings.Join(nap.Languages[lang][1:], ", then ") + ")"},
		{"period", period},
		{"as_of", m.AsOf.Format(nap.DateLayout)},
		{"generated_at", m.Read.Format(time.RFC3339)},
		{"rows", strconv.Itoa(rows)},
		{"data_sha256", digest},
		{"data_sha256_of", "the " + MatrixSheet + " sheet's cells in UTF-8, heading row included: every cell in double quotes with quotes inside doubled, cells joined by commas, each row ended by CRLF, line breaks inside a cell left as LF"},
		{"audit_head", audit},
		{"audit_checkpoint", checkpoint},
		{"scope", "only what the account that requested the export may read, all read at one moment"},
		{"status", "derived from the latest approved update the account may read; no_information when there is none"},
		{"ogp_irm_completion", crosswalk(nap.Status.OGPCompletion)},
		{"iati_activity_status", crosswalk(nap.Status.IATIActivityStatus)},
	}
}

// CheckpointText writes a signed checkpoint on one line: "seq <seq> head <hash> signed_at <time>
// key_id <id> public_key <base64> signature <base64>", what GET /v1/audit/checkpoints serves.
func CheckpointText(cp nap.Checkpoint) string {
	return fmt.Sprintf("seq %d head %s signed_at %s key_id %s public_key %s signature %s", cp.Seq, cp.Head,
		cp.SignedAt.UTC().Format(time.RFC3339Nano), cp.KeyID, base64.StdEncoding.EncodeToString(cp.PublicKey),
		base64.StdEncoding.EncodeToString(cp.Signature))
}

// crosswalk describes a mapping of statuses, as "value: status, status; …".
func crosswalk(to func(nap.Status) string) string {
	var values []string
	from := map[string][]string{}
	for _, s := range nap.Statuses {
		v := to(s)
		if v == "" {
			continue
		}
		if from[v] == nil {
			values = append(values, v)
		}
		from[v] = append(from[v], string(s))
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = v + ": " + strings.Join(from[v], ", ")
	}
	return strings.Join(parts, "; ") + "; empty: no_information"
}
