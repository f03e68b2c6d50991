package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// The benchmarks serve the seeded plan over a real listener and database, one request per
// iteration; they measure, they assert only that each answer is the expected status. They
// use a client that does not check the contract, whose cost is not the server's.

func benchmarkGet(b *testing.B, f *fixture, path string, status int, header ...string) {
	b.Helper()
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != status {
			b.Fatalf("GET %s: %d", path, res.StatusCode)
		}
	}
}

func BenchmarkListMeasures(b *testing.B) {
	f := newFixture(b, today)
	benchmarkGet(b, f, "/v1/plans/"+f.planID+"/measures?limit=50", http.StatusOK)
}

// BenchmarkListMeasuresRevalidated reads every measure of the plan on one page, then again
// with its weak ETag: the 304 still reads the page, to know its representation, and saves
// sending it.
func BenchmarkListMeasuresRevalidated(b *testing.B) {
	f := newFixture(b, today)
	path := "/v1/plans/" + f.planID + "/measures?limit=500"
	b.Run("200", func(b *testing.B) { benchmarkGet(b, f, path, http.StatusOK) })
	res, _ := f.get(path)
	b.Run("304", func(b *testing.B) {
		benchmarkGet(b, f, path, http.StatusNotModified, "If-None-Match", res.Header.Get("ETag"))
	})
}

func BenchmarkListMeasuresFiltered(b *testing.B) {
	f := newFixture(b, today)
	benchmarkGet(b, f, "/v1/plans/"+f.planID+"/measures?organization=MFA&overdue=true&q=consular", http.StatusOK)
}

func BenchmarkGetMeasure(b *testing.B) {
	f := newFixture(b, today)
	var p page[struct{ ID string }]
	f.getJSON("/v1/plans/"+f.planID+"/measures?code=3.11", &p)
	path := "/v1/measures/" + p.Items[0].ID
	b.Run("200", func(b *testing.B) { benchmarkGet(b, f, path, http.StatusOK) })
	res, _ := f.get(path)
	b.Run("304", func(b *testing.B) {
		benchmarkGet(b, f, path, http.StatusNotModified, "If-None-Match", res.Header.Get("ETag"))
	})
}

func BenchmarkPlanSummary(b *testing.B) {
	f := newFixture(b, today)
	benchmarkGet(b, f, "/v1/plans/"+f.planID+"/summary", http.StatusOK)
}

// BenchmarkImport10000 takes back a matrix of 10,000 rows, each one changed, into a plan of
// as many more measures, all led by the importer's organization: a dry run, and commits (the
// first drafts 10,000 updates in one transaction, each next one edits them all).
func BenchmarkImport10000(b *testing.B) {
	const rows = 10000
	p := newProgressFixture(b)
	p.asSuperuser(b, fmt.Sprintf(`INSERT INTO measures (id, plan_id, code, title, lead_id, provenance, provenance_note)
		SELECT gen_random_uuid(), '%s', 'B.' || lpad(n::text, 5, '0'), jsonb_build_object('en', 'Benchmark measure ' || n),
			(SELECT id FROM organizations WHERE code = '%s'), 'illustrative', 'Generated for a benchmark'
		FROM generate_series(1, %d) n`, p.planID, p.ds.Plan.Measures[0].Lead, rows))
	period := p.newPeriod(b, "2026-H1", "2026-01-01", "2026-06-30")
	matrix := func(round int) []byte {
		var file bytes.Buffer
		file.WriteString("code,status,progress_percent,latest_narrative\r\n")
		for n := 1; n <= rows; n++ {
			fmt.Fprintf(&file, "B.%05d,in_progress,%d,Round %d: the work on measure %d goes on.\r\n", n, round%100, round, n)
		}
		return file.Bytes()
	}
	importAll := func(b *testing.B, commit bool) {
		b.ReportAllocs()
		round := 0
		for b.Loop() {
			round++
			status, body := p.importFile(p.author, period, matrix(round), commit)
			var out struct {
				Counts struct{ Create, Update, Unchanged, Error int }
			}
			_ = json.Unmarshal(body, &out)
			if status != http.StatusOK || out.Counts.Create+out.Counts.Update != rows {
				b.Fatalf("import: %d %+v %.300s", status, out.Counts, body)
			}
		}
	}
	b.Run("dry-run", func(b *testing.B) { importAll(b, false) })
	b.Run("commit", func(b *testing.B) { importAll(b, true) })
}
