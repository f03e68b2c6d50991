package httpapi_test

import (
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
