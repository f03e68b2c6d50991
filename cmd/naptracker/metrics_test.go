package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/pgtest"
)

// TestMetrics serves a few requests and reads /metrics as Prometheus would: request histograms
// by operation and status class, the open change streams, the connection pool, the access
// policy, the change feed, the Go runtime and the process.
func TestMetrics(t *testing.T) {
	s := startSDKServerOn(t, pgtest.NewDatabase(t), func(o *config.Options) { o.DBConnections = 3 })
	// A submission tells the organization's approver; with no mail server, the notice waits.
	update := draftUpdater(t, s)(t)
	if res := request(t, http.MethodPost, s.url+"/v1/updates/"+update+"/submit", s.tokens["focal_point"], "", nil); res.status != http.StatusOK {
		t.Fatalf("submit: %d %s", res.status, res.body)
	}

	before := scrape(t, s.url+"/metrics")["naptracker_http_request_duration_seconds"]
	for range 3 {
		if status, _ := get(t, s.url+"/v1/plans", ""); status != http.StatusOK {
			t.Fatalf("plans: %d", status)
		}
	}
	if status, _ := get(t, s.url+"/v1/plans/not-a-uuid", ""); status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad plan id: %d", status)
	}
	if status, _ := get(t, s.url+"/v1/me", s.tokens["partner"]); status != http.StatusOK {
		t.Fatalf("me: %d", status)
	}
	// Streamed answers (files, pages) count by the status the client was sent too.
	_, plans := get(t, s.url+"/v1/plans", "")
	var list struct{ Items []struct{ ID string } }
	if err := json.Unmarshal(plans, &list); err != nil || len(list.Items) == 0 {
		t.Fatalf("plans: %v %s", err, plans)
	}
	for path, want := range map[string]int{
		"/v1/plans/" + list.Items[0].ID + "/export?format=csv":  http.StatusOK,
		"/v1/plans/" + list.Items[0].ID + "/report":             http.StatusOK,
		"/v1/plans/00000000-0000-4000-8000-000000000000/export": http.StatusNotFound,
	} {
		if status, _ := get(t, s.url+path, ""); status != want {
			t.Fatalf("%s: %d, want %d", path, status, want)
		}
	}

	families := scrape(t, s.url+"/metrics")
	requests := families["naptracker_http_request_duration_seconds"]
	if requests.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("request durations are not a histogram: %v", requests)
	}
	for _, want := range []struct {
		operation, class string
		count            uint64
	}{
		{"list-plans", "2xx", 4}, {"get-plan", "4xx", 1}, {"get-me", "2xx", 1},
		{"export-plan-matrix", "2xx", 1}, {"export-plan-matrix", "4xx", 1}, {"export-plan-matrix", "5xx", 0},
		{"get-plan-report", "2xx", 1}, {"get-plan-report", "5xx", 0},
	} {
		labels := map[string]string{"operation": want.operation, "status_class": want.class}
		m := find(requests, labels)
		if got := m.GetHistogram().GetSampleCount() - find(before, labels).GetHistogram().GetSampleCount(); got != want.count ||
			want.count > 0 && len(m.GetHistogram().GetBucket()) == 0 {
			t.Errorf("%s %s: %d more requests in %v, want %d in buckets", want.operation, want.class, got, m, want.count)
		}
	}
	for name, labels := range map[string]map[string]string{
		"go_sql_open_connections":                        {"db_name": "primary"},
		"naptracker_http_requests_in_flight":             nil,
		"naptracker_access_policy_reloads_total":         nil,
		"naptracker_access_policy_reload_failures_total": nil,
		"naptracker_access_policy_age_seconds":           nil,
		"naptracker_change_feed_held_back":               nil,
		"naptracker_change_feed_lag_seconds":             nil,
		"go_goroutines":                                  nil,
		"process_resident_memory_bytes":                  nil,
	} {
		if find(families[name], labels) == nil {
			t.Errorf("no %s%v", name, labels)
		}
	}
	if open := value(find(families["go_sql_max_open_connections"], map[string]string{"db_name": "primary"})); open != 3 {
		t.Errorf("the primary's pool: at most %v connections, want --db-connections 3", open)
	}
	if reloads := value(find(families["naptracker_access_policy_reloads_total"], nil)); reloads < 1 {
		t.Errorf("access policy reloads: %v", reloads)
	}
	if pending := value(find(families["naptracker_notification_outbox_depth"], nil)); pending < 1 {
		t.Errorf("notifications waiting: %v", pending)
	}

	// An open change stream counts while it is open.
	res, err := http.Get(s.url + "/v1/changes/stream")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	streams := func() float64 {
		return value(find(scrape(t, s.url+"/metrics")["naptracker_change_streams_open"], nil))
	}
	eventually(t, "the stream counts", func() bool { return streams() == 1 })
	res.Body.Close()
	eventually(t, "the closed stream no longer counts", func() bool { return streams() == 0 })
}

// TestMetricsAddr: with --metrics-addr, /metrics is served there and not on the API's address.
func TestMetricsAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	opts := config.Defaults()
	opts.DatabaseURL, opts.MetricsAddr = pgtest.AppDSN(pgtest.NewDatabase(t)), addr
	url := serveInProcess(t, opts)
	if status, _ := get(t, url+"/metrics", ""); status != http.StatusNotFound {
		t.Errorf("/metrics on the API's address: %d", status)
	}
	if _, ok := scrape(t, "http://"+addr+"/metrics")["go_goroutines"]; !ok {
		t.Error("no Go metrics on --metrics-addr")
	}
}

// scrape reads url in Prometheus' text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res := request(t, http.MethodGet, url, "", "", nil)
	if res.status != http.StatusOK || !bytes.HasPrefix([]byte(res.header.Get("Content-Type")), []byte("text/plain; version=0.0.4")) {
		t.Fatalf("GET %s: %d %s", url, res.status, res.header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(res.body))
	if err != nil {
		t.Fatalf("%s is not Prometheus' text format: %v", url, err)
	}
	return families
}

// find is the metric of family whose labels include labels; nil when there is none.
func find(family *dto.MetricFamily, labels map[string]string) *dto.Metric {
	for _, m := range family.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		matches := true
		for k, v := range labels {
			matches = matches && have[k] == v
		}
		if matches {
			return m
		}
	}
	return nil
}

// value is a counter's or a gauge's value; NaN when m is nil.
func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	return math.NaN()
}
