// Package loadtest drives a naptracker server with the traffic of realistic roles and
// reports, per operation, throughput, latency percentiles and errors.
//
// It is a closed loop: a fixed number of workers each send one request, wait for the answer
// and send the next, for a fixed time. The scenarios are conversations rather than independent
// requests (follow a list's next cursors, send a measure's ETag back, take one update through
// its review by three people), so each request depends on the answer before it; an open-model
// attacker that paces independent requests at a rate does not fit them.
package loadtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenarios a run can play.
const (
	ScenarioPartner  = "partner"  // development partners read measures, summaries and the feed
	ScenarioMinistry = "ministry" // ministries report progress and the coordinator reviews it
	ScenarioMixed    = "mixed"    // mostly partners' reads, with ministries' reporting between
	ScenarioStreams  = "streams"  // many change streams open while ministries report
)

// The phases compared with the baseline server: a partner walking measure lists and nothing
// else, and a partner reading measures one by one and nothing else.
const (
	scenarioListMeasures = "list-measures"
	scenarioGetMeasure   = "get-measure"
)

// Config is what a run does.
type Config struct {
	URL         string        // the API, e.g. http://127.0.0.1:8080
	BaselineURL string        // optional: the raw baseline server to compare the measure list and detail with
	AdminToken  string        // an admin's token, to create the load test's users and tokens
	Duration    time.Duration // of each phase
	Concurrency int           // workers
	Scenario    string
	Rate        float64   // actions started a second (an open model); 0: each worker starts the next when one ends
	Plans       int       // published plans sampled; 0 means 4
	Partners    int       // partners, each with a token, the workers take turns as; 0 means 1
	Streams     int       // change streams the streams scenario opens
	ServerPID   int       // the server's process on this machine, for its memory and CPU; 0: none
	BaselinePID int       // the baseline server's process on this machine, for its CPU; 0: none
	Seed        uint64    // of the random choices; 0 picks one
	Progress    io.Writer // where to say what the run is doing; nil for silence
}

func (c Config) validate() error {
	var errs []error
	for name, u := range map[string]string{"--url": c.URL, "--baseline-url": c.BaselineURL} {
		if u == "" && name == "--baseline-url" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q is not an http(s) URL", name, u))
		}
	}
	if c.AdminToken == "" {
		errs = append(errs, errors.New("no admin token: pass --admin-token or set NAPTRACKER_ADMIN_TOKEN"))
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("--duration must be positive"))
	}
	if c.Plans < 0 || c.Plans > 500 || c.Partners < 0 || c.Partners > 1024 {
		errs = append(errs, errors.New("--plans goes from 1 to 500 and --partners from 1 to 1024"))
	}
	if c.Rate < 0 {
		errs = append(errs, errors.New("--rate is actions a second, 0 or more"))
	}
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		errs = append(errs, errors.New("--concurrency must be from 1 to 1024"))
	}
	switch c.Scenario {
	case ScenarioPartner, ScenarioMinistry, ScenarioMixed:
	case ScenarioStreams:
		if c.Streams < 1 || c.Streams > 100000 {
			errs = append(errs, errors.New("--streams must be from 1 to 100000"))
		}
	default:
		errs = append(errs, fmt.Errorf("--scenario %q is not partner, ministry, mixed or streams", c.Scenario))
	}
	return errors.Join(errs...)
}

// Run prepares the users, plays the scenario for the configured duration and, with a baseline
// URL, compares the measure list and the measure detail with the baseline's. It revokes the tokens it issued.
func Run(ctx context.Context, cfg Config) (rep Report, err error) {
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	httpClient := newHTTPClient(cfg.Concurrency)
	api := &client{http: httpClient, base: strings.TrimRight(cfg.URL, "/")}
	rng := rand.New(rand.NewPCG(cfg.Seed, 1)) //nolint:gosec // repeatable traffic, not secrets

	fmt.Fprintf(progress, "discovering plans and measures at %s\n", api.base)
	w, err := discover(ctx, api, cfg.AdminToken, rng, cmp.Or(cfg.Plans, 4))
	if err != nil {
		return Report{}, fmt.Errorf("discovery: %w", err)
	}
	if cfg.Scenario != ScenarioPartner && len(w.slots) == 0 {
		return Report{}, errors.New("no sampled plan has an open reporting period with measures to report on")
	}
	fmt.Fprintf(progress, "preparing users: a partner, a coordinator, focal points and approvers of %d organizations\n", len(w.orgs))
	runName := "load test " + time.Now().UTC().Format(time.RFC3339)
	defer func() {
		if rerr := revokeTokens(api, cfg.AdminToken, w); rerr != nil && err == nil {
			err = fmt.Errorf("revoking the run's tokens: %w", rerr)
		}
	}()
	partners, viewers := cmp.Or(cfg.Partners, 1), 0
	if cfg.Scenario == ScenarioStreams {
		partners, viewers = streamPartners(cfg.Streams), streamMinistries(cfg.Streams)
	}
	if err := enlist(ctx, api, cfg.AdminToken, runName, w, partners, viewers); err != nil {
		return Report{}, fmt.Errorf("preparing users: %w", err)
	}

	rep.Started = time.Now().UTC()
	if cfg.Scenario == ScenarioStreams {
		rep.Streams, rep.Main, err = runStreams(ctx, api, w, cfg, progress)
		return rep, errors.Join(err, ctx.Err())
	}
	fmt.Fprintf(progress, "%s scenario: %d workers for %s\n", cfg.Scenario, cfg.Concurrency, cfg.Duration)
	rep.Main = runPhase(ctx, api, w, cfg, cfg.Scenario, cfg.ServerPID)
	if cfg.BaselineURL != "" && ctx.Err() == nil {
		base := &client{http: httpClient, base: strings.TrimRight(cfg.BaselineURL, "/")}
		for _, path := range []string{"/v1/plans/" + w.plans[0].id + "/measures?limit=1", "/v1/measures/" + w.plans[0].measures[0].id} {
			if _, err := base.expect(ctx, nil, []int{http.StatusOK}, "GET", path, "", nil); err != nil {
				return rep, fmt.Errorf("the baseline server: %w", err)
			}
		}
		for _, scenario := range []string{scenarioListMeasures, scenarioGetMeasure} {
			fmt.Fprintf(progress, "%s only, against the API and then the baseline, %s each\n", scenario, cfg.Duration)
			b := BaselineReport{API: runPhase(ctx, api, w, cfg, scenario, cfg.ServerPID)}
			b.Baseline = runPhase(ctx, base, w, cfg, scenario, cfg.BaselinePID)
			b.APIRPS, b.BaselineRPS = answered(b.API), answered(b.Baseline)
			if b.BaselineRPS > 0 {
				b.Ratio = b.APIRPS / b.BaselineRPS
			}
			rep.Baselines = append(rep.Baselines, b)
		}
	}
	rep.Notes = notes(rep)
	return rep, ctx.Err()
}

// answered is a phase's throughput of answers that were not errors.
func answered(p PhaseReport) float64 {
	if p.Seconds <= 0 {
		return 0
	}
	return float64(p.Total.Requests-p.Total.Errors) / p.Seconds
}

func notes(rep Report) []string {
	phases := []PhaseReport{rep.Main}
	for _, b := range rep.Baselines {
		phases = append(phases, b.API, b.Baseline)
	}
	for _, p := range phases {
		if p.Total.ErrorStatuses["429"] > 0 {
			return []string{"the server rate-limited the run's tokens (429): start it with --rate-limit 0 to measure its capacity"}
		}
	}
	return nil
}

// runPhase runs the workers for the configured duration and summarizes what they did, with
// the CPU that server (a process on this machine; 0: none) and PostgreSQL spent on it.
func runPhase(ctx context.Context, c *client, w *world, cfg Config, scenario string, server int) PhaseReport {
	cpu := startCPU(server)
	start := time.Now()
	end := start.Add(cfg.Duration)
	phaseCtx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	recs := make([]recorder, cfg.Concurrency)
	var wg sync.WaitGroup
	// An open model: actions are offered at the rate whether or not the last has ended, and
	// one offered while every worker is busy is counted as missed rather than queued, so that a
	// saturated server shows as missed actions, not as latency the load test made up.
	var starts chan struct{}
	var missed atomic.Int64
	if cfg.Rate > 0 {
		starts = make(chan struct{})
		go offer(phaseCtx, cfg.Rate, starts, &missed)
	}
	for i := range cfg.Concurrency {
		recs[i] = recorder{}
		wk := &worker{ctx: ctx, phase: phaseCtx, c: c, w: w, reader: w.partners[i%len(w.partners)], rec: recs[i], rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)+2)), //nolint:gosec // repeatable traffic
			etags: map[string]string{}}
		wk.slots = workerSlots(w.slots, i, cfg.Concurrency)
		wk.starts = starts
		wg.Go(func() { wk.loop(scenario) })
	}
	wg.Wait()
	// Requests that ended after the phase are not counted, so neither is the time they took.
	elapsed := min(time.Since(start), cfg.Duration)
	p := summarize(c.base, scenario, cfg.Concurrency, elapsed, recs)
	p.Rate, p.Missed = cfg.Rate, missed.Load()
	p.CPU = cpu.perRequest(p.Total.Requests)
	return p
}

// offer offers an action to the workers rate times a second until ctx ends, counting those no
// worker was free to take.
func offer(ctx context.Context, rate float64, starts chan<- struct{}, missed *atomic.Int64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			select {
			case starts <- struct{}{}:
			default:
				missed.Add(1)
			}
		}
	}
}

// workerSlots deals the reporting slots out to the workers, so no two report on the same
// measure, period and organization while there are enough slots to go round.
func workerSlots(all []slot, i, n int) []slot {
	var mine []slot
	for j := i; j < len(all); j += n {
		mine = append(mine, all[j])
	}
	if len(mine) == 0 && len(all) > 0 {
		mine = append(mine, all[i%len(all)])
	}
	return mine
}

// worker plays one client: it sends one request at a time until its phase ends. A request
// still running then is let finish, and an update half way through its review is taken to the
// end, so that no run leaves updates in the works behind; neither is counted.
type worker struct {
	ctx    context.Context // of the run: requests are sent with it
	phase  context.Context // ends with the phase
	c      *client
	w      *world
	reader actor // the partner this worker reads as
	rec    recorder
	rng    *rand.Rand
	slots  []slot
	next   int               // the slot to report on next
	starts <-chan struct{}   // under an open model, the actions offered; nil: one after another
	etags  map[string]string // measure id → the ETag last read
	feed   int64             // the change feed cursor
}

func (wk *worker) loop(scenario string) {
	for wk.phase.Err() == nil && wk.ctx.Err() == nil {
		if wk.starts != nil {
			select {
			case <-wk.starts:
			case <-wk.phase.Done():
				return
			}
		}
		switch scenario {
		case ScenarioPartner:
			wk.partner()
		case ScenarioMinistry:
			wk.report()
		case ScenarioMixed:
			// About one action in ten is a ministry's report, which is five requests: a third of
			// the requests, the rest partners' reads.
			if wk.rng.IntN(10) == 0 {
				wk.report()
			} else {
				wk.partner()
			}
		case scenarioListMeasures:
			wk.listMeasures()
		case scenarioGetMeasure:
			wk.getMeasure(wk.pickMeasure())
		}
	}
}

// call sends a request and records it under op, unless the phase ended first; expected
// lists the statuses counted as expected conflicts. The status is 0 when no answer came.
func (wk *worker) call(op, method, path, token string, body any, expected []int, header ...string) response {
	res, err := wk.c.send(wk.ctx, method, path, token, body, header...)
	if err != nil {
		res.status = 0
	}
	if wk.phase.Err() != nil {
		return res
	}
	s := sample{latency: res.latency, status: res.status}
	switch {
	case err != nil:
		s.outcome = outcomeError
	case res.status == http.StatusNotModified:
		s.outcome = outcomeNotModified
	case res.status >= 200 && res.status < 300:
		s.outcome = outcomeOK
	case containsInt(expected, res.status):
		s.outcome = outcomeConflict
	default:
		s.outcome = outcomeError
	}
	wk.rec.add(op, s)
	return res
}

// over reports whether the phase has ended.
func (wk *worker) over() bool { return wk.phase.Err() != nil }

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func (wk *worker) pickPlan() *plan { return wk.w.plans[wk.rng.IntN(len(wk.w.plans))] }
func (wk *worker) pickMeasure() string {
	p := wk.pickPlan()
	return p.measures[wk.rng.IntN(len(p.measures))].id
}
