package export

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/naptracker/naptracker/internal/nap"
)

// CSV writes a matrix as RFC 4180 CSV in UTF-8, with CRLF line ends and a heading row.
type CSV struct {
	w    *csv.Writer
	opts Options
}

// byteOrderMark lets spreadsheet programs recognise UTF-8 instead of guessing a code page.
const byteOrderMark = "\uFEFF"

// NewCSV writes the heading row to w, after a byte order mark when bom is set.
func NewCSV(w io.Writer, opts Options, bom bool) (*CSV, error) {
	if bom {
		if _, err := io.WriteString(w, byteOrderMark); err != nil {
			return nil, err
		}
	}
	c := &CSV{w: csv.NewWriter(w), opts: opts}
	c.w.UseCRLF = true
	return c, c.w.Write(Headings(opts.Lang))
}

// Write writes one row. Cells a spreadsheet would take for a formula are neutralised.
func (c *CSV) Write(r nap.MatrixRow) error {
	rec := Record(r, c.opts)
	for i, cell := range rec {
		rec[i] = Neutralise(cell)
	}
	return c.w.Write(rec)
}

// Finish writes what is buffered and reports any error of the writes so far.
func (c *CSV) Finish(nap.Matrix) error {
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
