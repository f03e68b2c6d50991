package export

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// A table is rows of text cells under a heading row, written as CSV or as a workbook; the
// matrix and the completeness of a round are both written as one.

// Sheet describes a table: the workbook sheet it is written to, its headings, and the widths
// of its columns in a workbook (0 or missing: a default).
type Sheet struct {
	Name     string
	Headings []string
	Widths   []float64
}

// AboutSheet is the name of the workbook sheet that describes a table.
const AboutSheet = "About"

// AboutFunc gives the key and value pairs that describe a table once it is written: how many
// rows it has and the SHA-256 of its cells, as DigestOf says.
type AboutFunc func(rows int, sha256 string) [][2]string

// DigestOf says how the SHA-256 of a table's cells is taken, for the sheet about it.
const DigestOf = "the cells in UTF-8, heading row included: every cell in double quotes with quotes inside doubled, cells joined by commas, each row ended by CRLF, line breaks inside a cell left as LF"

// CSV writes a table as RFC 4180 CSV in UTF-8, with CRLF line ends and a heading row.
type CSV struct {
	w *csv.Writer
}

// byteOrderMark lets spreadsheet programs recognise UTF-8 instead of guessing a code page.
const byteOrderMark = "\uFEFF"

// NewCSV writes the heading row of s to w, after a byte order mark when bom is set.
func NewCSV(w io.Writer, s Sheet, bom bool) (*CSV, error) {
	if bom {
		if _, err := io.WriteString(w, byteOrderMark); err != nil {
			return nil, err
		}
	}
	c := &CSV{w: csv.NewWriter(w)}
	c.w.UseCRLF = true
	return c, c.w.Write(s.Headings)
}

// Write writes one row. Cells a spreadsheet would take for a formula are neutralised.
func (c *CSV) Write(rec []string) error {
	out := make([]string, len(rec))
	for i, cell := range rec {
		out[i] = Neutralise(clean(cell))
	}
	return c.w.Write(out)
}

// Finish writes what is buffered and reports any error of the writes so far; a CSV has no
// room to say what it is, so about is not asked.
func (c *CSV) Finish(AboutFunc) error {
	c.w.Flush()
	return c.w.Error()
}

// Close releases nothing: a CSV holds no resources.
func (c *CSV) Close() error { return nil }

// Neutralise makes a cell that a spreadsheet would evaluate (it starts with =, +, - or @, or
// with a tab or carriage return before one) read as text, by prefixing an apostrophe, as
// OWASP advises against CSV injection.
func Neutralise(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// XLSX writes a table as a workbook: its sheet, with a frozen heading row, and a sheet about
// it. Rows stream to a temporary file past a size excelize decides, so a large table does not
// sit in memory; the workbook is written out by Finish. Close releases the temporary files.
type XLSX struct {
	w      io.Writer
	f      *excelize.File
	sheet  *excelize.StreamWriter
	rows   int
	digest hash.Hash // of the table's cells, as digestRow writes them
}

// NewXLSX starts a workbook for w and writes the heading row of s.
func NewXLSX(w io.Writer, s Sheet) (*XLSX, error) {
	f := excelize.NewFile()
	x, err := startXLSX(w, f, s)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return x, nil
}

func startXLSX(w io.Writer, f *excelize.File, s Sheet) (*XLSX, error) {
	if err := f.SetSheetName("Sheet1", s.Name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(s.Name)
	if err != nil {
		return nil, err
	}
	x := &XLSX{w: w, f: f, sheet: sw, digest: sha256.New()}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	// Column widths and panes must precede the rows in a streamed sheet.
	for i := range s.Headings {
		width := 14.0
		if i < len(s.Widths) && s.Widths[i] > 0 {
			width = s.Widths[i]
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	heading := make([]any, len(s.Headings))
	for i, h := range s.Headings {
		heading[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", heading); err != nil {
		return nil, err
	}
	x.digestRow(s.Headings)
	return x, nil
}

// digestRow adds a row to the digest of the table in a form anyone can write again from the
// sheet, as DigestOf says.
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
func (x *XLSX) Write(rec []string) error {
	cells := make([]string, len(rec))
	values := make([]any, len(rec))
	for i, cell := range rec {
		cells[i] = fitCell(clean(cell))
		values[i] = cells[i]
	}
	x.rows++
	cell, err := excelize.CoordinatesToCellName(1, x.rows+1)
	if err != nil {
		return err
	}
	if err := x.sheet.SetRow(cell, values); err != nil {
		return err
	}
	x.digestRow(cells)
	return nil
}

// Finish writes the sheet about the table, as about says, then the whole workbook.
func (x *XLSX) Finish(about AboutFunc) error {
	if err := x.sheet.Flush(); err != nil {
		return err
	}
	if _, err := x.f.NewSheet(AboutSheet); err != nil {
		return err
	}
	for i, kv := range about(x.rows, hex.EncodeToString(x.digest.Sum(nil))) {
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
