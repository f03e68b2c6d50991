// Package metrics exposes what an operator watches, in Prometheus' text format: the requests
// the API serves by operation, the database's connection pools and replicas, the reloads of
// the access policy, the lag of the change feed, the depth of the notification outbox, the
// change streams open, and the Go runtime's and the process's own.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/naptracker/naptracker/internal/postgres"
)

// Metrics are one process's metrics.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.HistogramVec
	inFlight prometheus.Gauge
	streams  prometheus.Gauge
}

// New returns the metrics of the process, with the Go runtime's and the process's own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "naptracker_http_request_duration_seconds",
			Help: "How long API operations took, by operation id and status class; _count is the number of requests.",
		}, []string{"operation", "status_class"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "naptracker_http_requests_in_flight",
			Help: "API operations being served now, change streams included.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "naptracker_change_streams_open",
			Help: "Change streams (GET /v1/changes/stream) open now.",
		}),
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.inFlight, m.streams)
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	})
}

// Begin counts an API operation in flight; what it returns records, as the operation ends,
// how long it took and the class of the status it answered.
func (m *Metrics) Begin(operation string) (end func(status int)) {
	m.inFlight.Inc()
	start := time.Now()
	return func(status int) {
		m.inFlight.Dec()
		m.requests.WithLabelValues(operation, statusClass(status)).Observe(time.Since(start).Seconds())
	}
}

// StreamsOpen records how many change streams are open.
func (m *Metrics) StreamsOpen(n int) {
	m.streams.Set(float64(n))
}

// statusClass is "2xx" for 200 and so on; a status never written (the handler failed) is a 5xx.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "5xx"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Policy is the access policy in force (authz.Enforcer).
type Policy interface {
	// Reloads says when the policy in force was loaded, and how many loads succeeded and
	// failed.
	Reloads() (loaded time.Time, ok, failed uint64)
}

// WatchPolicy adds the reloads of the access policy and the age of the one in force.
func (m *Metrics) WatchPolicy(p Policy) {
	m.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "naptracker_access_policy_reloads_total",
			Help: "Loads of the access policy and memberships that succeeded.",
		}, func() float64 { _, ok, _ := p.Reloads(); return float64(ok) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "naptracker_access_policy_reload_failures_total",
			Help: "Loads of the access policy and memberships that failed (the previous policy stayed in force).",
		}, func() float64 { _, _, failed := p.Reloads(); return float64(failed) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "naptracker_access_policy_age_seconds",
			Help: "Seconds since the access policy in force was loaded; it reloads on every change of access and at least hourly, so more than 3600 means reloading fails.",
		}, func() float64 { at, _, _ := p.Reloads(); return time.Since(at).Seconds() }),
	)
}

// Database is what the metrics read of the database (postgres.DB).
type Database interface {
	Pools() ([]postgres.Pool, error)
	Replicas() []postgres.ReplicaState
	PrimaryReads() uint64
	FeedLag(ctx context.Context) (postgres.FeedLag, error)
	PendingNotifications(ctx context.Context) (int64, error)
}

// WatchDatabase adds the statistics of each connection pool (go_sql_*, by db_name: "primary"
// or a replica's host:port/database), the state, lag and reads of each replica, the lag of
// the change feed and the depth of the notification outbox.
func (m *Metrics) WatchDatabase(db Database) error {
	pools, err := db.Pools()
	if err != nil {
		return err
	}
	for _, p := range pools {
		m.registry.MustRegister(collectors.NewDBStatsCollector(p.DB, p.Name))
	}
	m.registry.MustRegister(database{db})
	return nil
}

// scrapeTimeout bounds the queries a scrape makes of the database.
const scrapeTimeout = 2 * time.Second

var (
	feedHeldDesc = prometheus.NewDesc("naptracker_change_feed_held_back",
		"Committed changes the change feed cannot list yet, because a transaction that began before them is still running.", nil, nil)
	feedLagDesc = prometheus.NewDesc("naptracker_change_feed_lag_seconds",
		"How long ago the oldest change the feed holds back was made; 0 when it holds none back.", nil, nil)
	replicaUpDesc = prometheus.NewDesc("naptracker_replica_up",
		"1 when the replica serves reads: it answers, is a standby, and is within --max-replica-lag.", []string{"replica"}, nil)
	replicaLagDesc = prometheus.NewDesc("naptracker_replica_lag_seconds",
		"How long ago the primary first held WAL the replica has not replayed, at the last check (every 250 ms).", []string{"replica"}, nil)
	outboxDesc = prometheus.NewDesc("naptracker_notification_outbox_depth",
		"Notifications waiting to be sent.", nil, nil)
	routedDesc = prometheus.NewDesc("naptracker_reads_routed_total",
		"Read-only requests by where their reads went: a replica, or the primary when no replica was up, near enough, or had replayed the caller's last write.", []string{"to"}, nil)
)

// database collects, at each scrape, what the database says of itself.
type database struct{ db Database }

func (d database) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{feedHeldDesc, feedLagDesc, outboxDesc, replicaUpDesc, replicaLagDesc, routedDesc} {
		ch <- desc
	}
}

func (d database) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if lag, err := d.db.FeedLag(ctx); err != nil {
		slog.Warn("metrics: reading the change feed's lag failed", "error", err)
	} else {
		ch <- prometheus.MustNewConstMetric(feedHeldDesc, prometheus.GaugeValue, float64(lag.Held))
		ch <- prometheus.MustNewConstMetric(feedLagDesc, prometheus.GaugeValue, lag.Oldest.Seconds())
	}
	if pending, err := d.db.PendingNotifications(ctx); err != nil {
		slog.Warn("metrics: reading the notification outbox's depth failed", "error", err)
	} else {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(pending))
	}
	replicas := d.db.Replicas()
	if len(replicas) == 0 {
		return
	}
	ch <- prometheus.MustNewConstMetric(routedDesc, prometheus.CounterValue, float64(d.db.PrimaryReads()), "primary")
	for _, r := range replicas {
		up := 0.0
		if r.State == postgres.ReplicaStreaming {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaUpDesc, prometheus.GaugeValue, up, r.Name)
		ch <- prometheus.MustNewConstMetric(replicaLagDesc, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
		ch <- prometheus.MustNewConstMetric(routedDesc, prometheus.CounterValue, float64(r.Reads), r.Name)
	}
}
