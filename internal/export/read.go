package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// importColumns are the columns a matrix sent back must have: the measure, and what its
// report says. The other columns of the matrix may be there, and are not read.
var importColumns = []string{"code", "status", "progress_percent", "latest_narrative"}

// ReadMatrix reads a matrix as the export writes it, to import it: CSV (with or without a
// byte order mark) or XLSX, its headings in any of the three languages, all in one. It
// returns the headings' language, the one its texts are taken to be in, and its rows. A file
// that is neither CSV nor XLSX, or whose headings repeat a column, name one no matrix has, mix
// languages or lack one the import needs, is refused whole with EINVALID. A formula cell, or in
// CSV a cell a spreadsheet would take for one (the export writes such text after an
// apostrophe, which is taken off), is an error of its row.
func ReadMatrix(r io.Reader) (string, []nap.MatrixEdit, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", nil, err
	}
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return readXLSX(b)
	}
	return readCSV(bytes.TrimPrefix(b, []byte(byteOrderMark)))
}

func readCSV(b []byte) (string, []nap.MatrixEdit, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		return "", nil, nap.Errorf(nap.EINVALID, "file: the file is neither an XLSX workbook nor CSV as the export writes it: %v", err)
	}
	return readRecords(records, func(row, col int, cell string) (string, string) {
		if rest, ok := strings.CutPrefix(cell, "'"); ok && Neutralise(rest) != rest {
			return rest, ""
		}
		if Neutralise(cell) != cell {
			return cell, "is a formula; write text that starts with =, +, - or @ after an apostrophe"
		}
		return cell, ""
	})
}

func readXLSX(b []byte) (string, []nap.MatrixEdit, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return "", nil, nap.Errorf(nap.EINVALID, "file: the workbook cannot be read")
	}
	defer f.Close() //nolint:errcheck // read from memory
	records, err := f.GetRows(MatrixSheet)
	if err != nil {
		return "", nil, nap.Errorf(nap.EINVALID, "file: the workbook has no sheet %q, as the export writes it", MatrixSheet)
	}
	return readRecords(records, func(row, col int, cell string) (string, string) {
		name, err := excelize.CoordinatesToCellName(col+1, row)
		if err == nil {
			if formula, _ := f.GetCellFormula(MatrixSheet, name); formula != "" {
				return cell, "is a formula; the import takes values only"
			}
		}
		return cell, ""
	})
}

// readRecords reads the heading row and the rows of a matrix; cell gives, for row (1-based)
// and column (0-based), a cell's value as the import takes it and what is wrong with it.
func readRecords(records [][]string, cell func(row, col int, value string) (string, string)) (string, []nap.MatrixEdit, error) {
	if len(records) == 0 {
		return "", nil, nap.Errorf(nap.EINVALID, "file: the file is empty")
	}
	at := map[string]int{}
	lang := ""
	for i, h := range records[0] {
		key, l, ok := column(strings.TrimSpace(h))
		switch {
		case !ok:
			return "", nil, nap.Errorf(nap.EINVALID, "file: the heading %q names no column of the matrix", h)
		case lang != "" && l != lang:
			return "", nil, nap.Errorf(nap.EINVALID, "file: the headings are in more than one language (%s and %s)", lang, l)
		}
		if _, twice := at[key]; twice {
			return "", nil, nap.Errorf(nap.EINVALID, "file: the column %q is there twice", h)
		}
		at[key], lang = i, l
	}
	var missing []string
	for _, c := range importColumns {
		if _, ok := at[c]; !ok {
			missing = append(missing, Headings(lang)[columnIndex(c)])
		}
	}
	if len(missing) > 0 {
		return "", nil, nap.Errorf(nap.EINVALID, "file: the import needs the columns %s", strings.Join(missing, ", "))
	}
	var rows []nap.MatrixEdit
	for n, rec := range records[1:] {
		if blank(rec) {
			continue
		}
		e := nap.MatrixEdit{Row: n + 2}
		for _, c := range importColumns {
			i := at[c]
			value := ""
			if i < len(rec) {
				value = rec[i]
			}
			v, problem := cell(e.Row, i, value)
			if problem != "" {
				e.Errors = append(e.Errors, nap.CellError{Column: c, Reason: problem})
			}
			switch c {
			case "code":
				e.Code = strings.TrimSpace(v)
			case "status":
				e.Status = strings.TrimSpace(v)
			case "progress_percent":
				e.Progress = strings.TrimSpace(v)
			case "latest_narrative":
				e.Narrative = v
			}
		}
		rows = append(rows, e)
	}
	if len(rows) == 0 {
		return "", nil, nap.Errorf(nap.EINVALID, "file: the file has no rows below its headings")
	}
	return lang, rows, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func columnIndex(key string) int {
	for i, c := range Columns {
		if c == key {
			return i
		}
	}
	panic(fmt.Sprintf("export: no column %q", key))
}
