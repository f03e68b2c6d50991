package httpapi_test

import (
	"net/http"
	"testing"
)

// The benchmarks serve the seeded plan over a real listener and database, one request per
// iteration; they measure, they assert only that each answer is the expected status.

func benchmarkGet(b *testing.B, f *fixture, path string, status int, header ...string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res, _ := f.get(path, header...); res.StatusCode != status {
			b.Fatalf("GET %s: %d", path, res.StatusCode)
		}
	}
}

func BenchmarkListMeasures(b *testing.B) {
	f := newFixture(b, today)
	benchmarkGet(b, f, "/v1/plans/"+f.planID+"/measures?limit=50", http.StatusOK)
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
