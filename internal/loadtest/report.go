package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// outcome is how one request ended, for the report.
type outcome int

const (
	outcomeOK          outcome = iota // 2xx
	outcomeNotModified                // 304
	outcomeConflict                   // a conflict the scenario expects now and then (409, 412)
	outcomeError                      // anything else: another status or no response
)

// sample is one request's outcome.
type sample struct {
	latency time.Duration
	outcome outcome
	status  int // 0 when no response came
}

// recorder keeps one worker's samples by operation; workers never share one, so it needs no lock.
type recorder map[string][]sample

func (r recorder) add(op string, s sample) { r[op] = append(r[op], s) }

// Latency is a distribution of latencies in milliseconds.
type Latency struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// OperationReport is what one operation did during a run.
type OperationReport struct {
	Name        string  `json:"name"`
	Requests    int     `json:"requests"`
	OK          int     `json:"ok"`
	NotModified int     `json:"not_modified"`
	Conflicts   int     `json:"expected_conflicts"`
	Errors      int     `json:"errors"`
	Throughput  float64 `json:"throughput_rps"`
	Latency     Latency `json:"latency"`
	// ErrorStatuses counts the errors by HTTP status; "network" counts requests that got no
	// answer.
	ErrorStatuses map[string]int `json:"error_statuses,omitempty"`
	// ConflictStatuses counts the expected conflicts by HTTP status.
	ConflictStatuses map[string]int `json:"conflict_statuses,omitempty"`
}

// PhaseReport is one timed phase of a run: its operations and their total.
type PhaseReport struct {
	Target      string            `json:"target"`
	Scenario    string            `json:"scenario"`
	Concurrency int               `json:"concurrency"`
	Rate        float64           `json:"rate,omitempty"`           // actions offered a second, under an open model
	Missed      int64             `json:"missed_actions,omitempty"` // offered while every worker was busy
	Seconds     float64           `json:"seconds"`
	Operations  []OperationReport `json:"operations"`
	Total       OperationReport   `json:"total"`
	// CPU is what a request cost the server and PostgreSQL on this machine, when the run was
	// told the server's process. On a shared machine it moves far less than throughput and
	// latency, which a neighbour's load changes.
	CPU *CPUReport `json:"cpu_per_request,omitempty"`
}

// CPUReport is the CPU time (user and system) spent during a phase, per request it answered.
type CPUReport struct {
	ServerMillis   float64 `json:"server_ms"`
	DatabaseMillis float64 `json:"postgres_ms"` // every postgres process of this machine
}

// BaselineReport compares one phase (a measure list walk, or measure reads) against the API
// with the same phase against the raw baseline server.
type BaselineReport struct {
	API         PhaseReport `json:"api"`
	Baseline    PhaseReport `json:"baseline"`
	APIRPS      float64     `json:"api_rps"`
	BaselineRPS float64     `json:"baseline_rps"`
	// Ratio is the API's throughput as a fraction of the baseline's.
	Ratio float64 `json:"ratio"`
}

// Report is the result of a load test.
type Report struct {
	Started time.Time   `json:"started"`
	Main    PhaseReport `json:"main"`
	// Baselines compare the API with the baseline server: measure lists, then measures.
	Baselines []BaselineReport `json:"baselines,omitempty"`
	Streams   *StreamsReport   `json:"streams,omitempty"`
	// Notes say what a reader should know to judge the numbers, such as rate limiting.
	Notes []string `json:"notes,omitempty"`
}

// summarize turns the workers' samples into a phase report.
func summarize(target, scenario string, concurrency int, elapsed time.Duration, recs []recorder) PhaseReport {
	byOp := map[string][]sample{}
	var all []sample
	for _, r := range recs {
		for op, ss := range r {
			byOp[op] = append(byOp[op], ss...)
			all = append(all, ss...)
		}
	}
	p := PhaseReport{Target: target, Scenario: scenario, Concurrency: concurrency, Seconds: elapsed.Seconds()}
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		p.Operations = append(p.Operations, operationReport(op, byOp[op], elapsed))
	}
	p.Total = operationReport("total", all, elapsed)
	return p
}

func operationReport(name string, ss []sample, elapsed time.Duration) OperationReport {
	o := OperationReport{Name: name, Requests: len(ss)}
	if elapsed > 0 {
		o.Throughput = float64(len(ss)) / elapsed.Seconds()
	}
	lat := make([]time.Duration, len(ss))
	for i, s := range ss {
		lat[i] = s.latency
		switch s.outcome {
		case outcomeOK:
			o.OK++
		case outcomeNotModified:
			o.NotModified++
		case outcomeConflict:
			o.Conflicts++
			o.ConflictStatuses = increment(o.ConflictStatuses, statusKey(s.status))
		case outcomeError:
			o.Errors++
			o.ErrorStatuses = increment(o.ErrorStatuses, statusKey(s.status))
		}
	}
	o.Latency = latencyOf(lat)
	return o
}

// latencyOf summarizes latencies, which it sorts.
func latencyOf(lat []time.Duration) Latency {
	slices.Sort(lat)
	return Latency{P50: quantile(lat, 0.50), P95: quantile(lat, 0.95), P99: quantile(lat, 0.99), Max: quantile(lat, 1)}
}

func increment(m map[string]int, key string) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[key]++
	return m
}

func statusKey(status int) string {
	if status == 0 {
		return "network"
	}
	return strconv.Itoa(status)
}

// quantile is the q-quantile of sorted latencies in milliseconds, by the nearest rank.
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

// WriteTable writes the report as tables, one per phase, for a terminal.
func (r Report) WriteTable(w io.Writer) error {
	writePhase(w, r.Main)
	if r.Streams != nil {
		fmt.Fprintln(w)
		r.Streams.write(w)
	}
	for _, b := range r.Baselines {
		fmt.Fprintln(w)
		writePhase(w, b.API)
		fmt.Fprintln(w)
		writePhase(w, b.Baseline)
		fmt.Fprintf(w, "\n%s: API %.1f req/s, baseline %.1f req/s: the API reaches %.0f%% of the baseline\n",
			b.API.Scenario, b.APIRPS, b.BaselineRPS, 100*b.Ratio)
		if a, base := b.API.CPU, b.Baseline.CPU; a != nil && base != nil {
			fmt.Fprintf(w, "CPU per request, server + PostgreSQL: API %.3f + %.3f ms, baseline %.3f + %.3f ms\n",
				a.ServerMillis, a.DatabaseMillis, base.ServerMillis, base.DatabaseMillis)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

func writePhase(w io.Writer, p PhaseReport) {
	fmt.Fprintf(w, "%s scenario against %s: %d workers for %.1f s\n", p.Scenario, p.Target, p.Concurrency, p.Seconds)
	if p.Rate > 0 {
		fmt.Fprintf(w, "open model: %g actions offered a second; %d found every worker busy and were missed\n", p.Rate, p.Missed)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50 ms\tp95 ms\tp99 ms\t304\tconflicts\terrors\t")
	for _, o := range append(slices.Clone(p.Operations), p.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t\n", o.Name, o.Requests, o.Throughput,
			o.Latency.P50, o.Latency.P95, o.Latency.P99, o.NotModified,
			withStatuses(o.Conflicts, o.ConflictStatuses), withStatuses(o.Errors, o.ErrorStatuses))
	}
	_ = tw.Flush()
	if p.CPU != nil {
		fmt.Fprintf(w, "CPU per request: server %.3f ms, PostgreSQL %.3f ms\n", p.CPU.ServerMillis, p.CPU.DatabaseMillis)
	}
}

// withStatuses writes a count with its statuses, as "3 (409×2 412×1)".
func withStatuses(n int, by map[string]int) string {
	if n == 0 {
		return "0"
	}
	s := strconv.Itoa(n) + " ("
	for i, k := range slices.Sorted(maps.Keys(by)) {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s×%d", k, by[k])
	}
	return s + ")"
}
