package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/naptracker/naptracker/internal/export"
	"github.com/naptracker/naptracker/internal/httpapi"
)

type importResult struct {
	Committed bool
	Language  string
	Counts    struct{ Create, Update, Unchanged, Error int }
	Rows      []importedRow
}

type importedRow struct {
	Row      int
	Code     string
	Action   string
	UpdateID string `json:"update_id"`
	Errors   []struct{ Column, Reason string }
}

// importFile sends a matrix file to a period as c, and returns the status and the body.
func (p *progressFixture) importFile(c caller, periodID string, file []byte, commit bool) (int, []byte) {
	p.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", "matrix")
	_, _ = fw.Write(file)
	_ = w.Close()
	path := "/v1/periods/" + periodID + "/imports"
	if commit {
		path += "?commit=true"
	}
	res, b := p.sendRaw("POST", path, w.FormDataContentType(), body.Bytes(), c.auth()...)
	return res.StatusCode, b
}

// editCSV changes the cells of the rows of a CSV matrix whose code edit names, by column key.
func editCSV(t *testing.T, file []byte, lang string, edit map[string]map[string]string) []byte {
	t.Helper()
	rows := parseCSV(t, bytes.TrimPrefix(file, []byte("\uFEFF")))
	heading := export.Headings(lang)
	col := func(key string) int {
		return slices.Index(heading, export.Headings(lang)[slices.Index(export.Columns, key)])
	}
	for _, r := range rows[1:] {
		for key, value := range edit[r[col("code")]] {
			r[col(key)] = value
		}
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.WriteAll(rows)
	return out.Bytes()
}

// TestImportMatrix: a ministry edits the matrix it exported and sends it back; a dry run says
// what each row would do, and a commit drafts the changes in one transaction, or nothing.
func TestImportMatrix(t *testing.T) {
	p := newProgressFixture(t)
	own := p.ds.Plan.Measures[0]
	var other string
	for _, m := range p.ds.Plan.Measures {
		if m.Lead != own.Lead && !slices.Contains(m.CoImplementers, own.Lead) {
			other = m.Code
			break
		}
	}
	period := p.newPeriod(t, "2026-H2", "2026-07-01", "2026-11-20")
	file := p.exported(p.author, "format=csv&lang=ru", "text/csv")
	if !bytes.HasPrefix(file, []byte("Код,Мера,")) {
		t.Fatalf("the Russian matrix's headings: %.80s", file)
	}
	edited := editCSV(t, file, "ru", map[string]map[string]string{
		own.Code: {"status": "in_progress", "progress_percent": "35", "latest_narrative": "Законопроект внесён в Правительство."},
		other:    {"status": "implemented"},
	})
	updates := p.count(t, "progress_updates")

	status, b := p.importFile(p.author, period, edited, false)
	var dry importResult
	if status != 200 || json.Unmarshal(b, &dry) != nil {
		t.Fatalf("dry run: %d %s", status, b)
	}
	if dry.Committed || dry.Language != "ru" || dry.Counts.Create != 1 || dry.Counts.Error != 1 ||
		dry.Counts.Unchanged != len(p.ds.Plan.Measures)-2 || p.count(t, "progress_updates") != updates {
		t.Fatalf("dry run: %+v", dry.Counts)
	}
	for _, r := range dry.Rows {
		switch {
		case r.Code == own.Code && r.Action != "create", r.Code == other && (r.Action != "error" || r.Errors[0].Column != "code"):
			t.Errorf("row %d (%s): %+v", r.Row, r.Code, r)
		}
	}

	// Committed with a row in error: nothing is written.
	status, b = p.importFile(p.author, period, edited, true)
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(b), fmt.Sprintf(`"location":"file.row[%d].code"`, rowOf(dry, other))) ||
		p.count(t, "progress_updates") != updates {
		t.Fatalf("commit with a row in error: %d %s", status, b)
	}

	// Without it: the drafts are written, in the file's language, by the importer, in one
	// request of the audit trail.
	second := ""
	for _, m := range p.ds.Plan.Measures[1:] {
		if m.Lead == own.Lead {
			second = m.Code
			break
		}
	}
	edited = editCSV(t, file, "ru", map[string]map[string]string{
		own.Code: {"status": "in_progress", "progress_percent": "35", "latest_narrative": "Законопроект внесён в Правительство."},
		second:   {"status": "ongoing"},
	})
	status, b = p.importFile(p.author, period, edited, true)
	var done importResult
	if status != 200 || json.Unmarshal(b, &done) != nil || !done.Committed || done.Counts.Create != 2 {
		t.Fatalf("commit: %d %s", status, b)
	}
	var requests []string
	if err := p.db.LinkCommitted(context.Background()); err != nil { // as every reader of the trail does
		t.Fatal(err)
	}
	p.db.Gorm().Raw(`SELECT DISTINCT request_id FROM audit_events WHERE action = 'progress_update.insert' AND entity_id IN ?`,
		[]string{done.Rows[rowOf(done, own.Code)-2].UpdateID, done.Rows[rowOf(done, second)-2].UpdateID}).Scan(&requests)
	if len(requests) != 1 || requests[0] == "" {
		t.Errorf("the import's drafts are requests %q of the audit trail, not one", requests)
	}
	id := done.Rows[slices.IndexFunc(done.Rows, func(r importedRow) bool { return r.Code == own.Code })].UpdateID
	var u struct {
		State           string
		ProposedStatus  string `json:"proposed_status"`
		ProgressPercent int    `json:"progress_percent"`
		Narrative       map[string]string
		AuthorID        string `json:"author_id"`
	}
	_ = json.Unmarshal(p.expectStatus(p.author, 200, "GET", "/v1/updates/"+id, nil), &u)
	if u.State != "draft" || u.ProgressPercent != 35 || u.Narrative["ru"] != "Законопроект внесён в Правительство." || u.AuthorID != p.author.userID {
		t.Errorf("the imported draft: %+v", u)
	}
	// Sent again, edited again: the draft is edited, not doubled.
	again := editCSV(t, file, "ru", map[string]map[string]string{own.Code: {"status": "in_progress", "progress_percent": "40"}})
	status, b = p.importFile(p.author, period, again, true)
	if status != 200 || !strings.Contains(string(b), `"action":"update","update_id":"`+id+`"`) {
		t.Errorf("the second import: %d %s", status, b)
	}
}

func rowOf(r importResult, code string) int {
	for _, row := range r.Rows {
		if row.Code == code {
			return row.Row
		}
	}
	return 0
}

// TestImportRefusals: files that are not a matrix, formula cells, unknown codes and a locked
// period are refused, and change nothing; an XLSX workbook in Tajik is read like the CSV.
func TestImportRefusals(t *testing.T) {
	p := newProgressFixture(t)
	period := p.newPeriod(t, "2026-H2", "2026-07-01", "2026-11-20")
	updates := p.count(t, "progress_updates")
	code := p.ds.Plan.Measures[0].Code
	for name, c := range map[string]struct {
		file   string
		status int
		want   string
	}{
		"not a matrix":    {"a,b\n1,2\n", 422, "names no column of the matrix"},
		"missing columns": {"code,title\n1.1,x\n", 422, "needs the columns status, progress_percent, latest_narrative"},
		"two languages":   {"code,Статус,progress_percent,latest_narrative\n", 422, "more than one language"},
		"empty":           {"", 422, "empty"},
		"a formula":       {"code,status,progress_percent,latest_narrative\n" + code + ",=1+1,10,\n", 200, `"column":"status","reason":"is a formula`},
		"an unknown code": {"code,status,progress_percent,latest_narrative\n99.99,in_progress,10,\n", 200, `"column":"code"`},
		"a bad percent":   {"code,status,progress_percent,latest_narrative\n" + code + ",in_progress,140,\n", 200, `"column":"progress_percent"`},
	} {
		status, b := p.importFile(p.author, period, []byte(c.file), false)
		if status != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}

	// A workbook, headings in Tajik, its status cell edited, read back like the CSV.
	xlsx := p.exported(p.author, "format=xlsx&lang=tg", "application/vnd.openxmlformats")
	wb, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	status := export.Headings("tg")[slices.Index(export.Columns, "status")]
	if got, _ := wb.GetCellValue(export.MatrixSheet, "K1"); got != status {
		t.Fatalf("the Tajik workbook's status heading: %q", got)
	}
	_ = wb.SetCellValue(export.MatrixSheet, "K2", "ongoing")
	_ = wb.SetCellFormula(export.MatrixSheet, "N3", "=1+1")
	var edited bytes.Buffer
	if err := wb.Write(&edited); err != nil {
		t.Fatal(err)
	}
	st, b := p.importFile(p.author, period, edited.Bytes(), false)
	var dry importResult
	_ = json.Unmarshal(b, &dry)
	if st != 200 || dry.Language != "tg" || dry.Rows[0].Action != "create" || dry.Rows[1].Action != "error" ||
		dry.Rows[1].Errors[0].Column != "progress_percent" {
		t.Errorf("the edited workbook: %d %s", st, b)
	}

	// A file over the upload limit is refused before it is read.
	h, err := httpapi.New(listening(t, p.dsn, p.authz, httpapi.Deps{Service: p.svc, Authorizer: p.authz, Ready: p.app.Ping,
		Limits: httpapi.Limits{MaxUploadBytes: 4096}}))
	if err != nil {
		t.Fatal(err)
	}
	small := httptest.NewServer(h)
	defer small.Close()
	big := &progressFixture{fixture: &fixture{t: t, srv: small}}
	if st, b := big.importFile(p.author, period, edited.Bytes(), false); st != http.StatusRequestEntityTooLarge {
		t.Errorf("a file over the limit: %d %s", st, b)
	}

	// A locked period takes nothing.
	p.expectStatus(p.coordinator, 200, "POST", "/v1/periods/"+period+"/lock", nil)
	if st, b := p.importFile(p.author, period, edited.Bytes(), true); st != http.StatusConflict {
		t.Errorf("into a locked period: %d %s", st, b)
	}
	if p.count(t, "progress_updates") != updates {
		t.Error("a refused import wrote updates")
	}

}
