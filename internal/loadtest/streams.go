package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// streamPartners and streamMinistries are how many partners' tokens and ministries (an
// organization's viewer each) the streams scenario opens streams as: a hundred and twenty at
// 1,000 streams, fewer for fewer.
func streamPartners(streams int) int   { return min(100, max(1, streams/10)) }
func streamMinistries(streams int) int { return min(20, max(2, streams/50)) }

// streamsOpening is how many streams are being opened at once.
const streamsOpening = 64

// streamsSettle is how long the streams are given, once the writes end, to deliver what the
// feed lists.
const streamsSettle = 30 * time.Second

// StreamsReport is what the streams of the streams scenario received.
type StreamsReport struct {
	Streams        int `json:"streams"`
	Anonymous      int `json:"anonymous_streams"`
	Partner        int `json:"partner_streams"`
	PartnerTokens  int `json:"partner_tokens"`
	Ministry       int `json:"ministry_streams"`
	MinistryScopes int `json:"ministry_scopes"`
	// Expected sums, over the streams, the changes their caller's feed lists after where they
	// started, read with the API once the writes ended; a stream that lacks one missed it.
	Expected   int `json:"expected_events"`
	Received   int `json:"received_events"`
	Missed     int `json:"missed_events"`
	Duplicated int `json:"duplicated_events"`
	// Unexpected are changes received that the caller's feed does not list, read again once
	// the streams closed.
	Unexpected int `json:"unexpected_events"`
	// Latency runs from a change's recorded time (its at, when its transaction began) to its
	// receipt, on this machine's clock.
	Latency Latency `json:"delivery_latency"`
	Memory  Memory  `json:"server_memory"`
	// WritesCPU is the CPU time the server spent while the writes ran and the streams
	// delivered them, given its process id on this machine; 0: unknown.
	WritesCPUMillis int64 `json:"server_cpu_during_writes_ms,omitempty"`
}

// Memory is the server's resident memory: from its /metrics (process_resident_memory_bytes,
// sampled every half second) before the streams opened, at its peak and at the end; and,
// given its process id on this machine, VmRSS and VmHWM at the end. 0: unknown.
type Memory struct {
	Before int64 `json:"before_bytes"`
	Peak   int64 `json:"peak_bytes"`
	After  int64 `json:"after_bytes"`
	VmRSS  int64 `json:"vm_rss_bytes,omitempty"`
	VmHWM  int64 `json:"vm_hwm_bytes,omitempty"`
}

// openStream is one stream of the scenario and what it received.
type openStream struct {
	token string
	mu    sync.Mutex
	got   []received
}

type received struct {
	id      int64
	latency time.Duration
}

// runStreams opens the streams, plays the ministry scenario while they are open, then checks
// what each received against what its caller's feed lists.
func runStreams(ctx context.Context, api *client, w *world, cfg Config, progress io.Writer) (*StreamsReport, PhaseReport, error) {
	start, err := feedEnd(ctx, api, cfg.AdminToken, 0)
	if err != nil {
		return nil, PhaseReport{}, err
	}
	rep := &StreamsReport{Streams: cfg.Streams, PartnerTokens: len(w.partners), MinistryScopes: len(w.viewers)}
	streams := make([]*openStream, cfg.Streams)
	for i := range streams {
		s := &openStream{}
		switch {
		case i%10 == 0:
			s.token = w.partners[(i/10)%len(w.partners)].token
			rep.Partner++
		case i%10 == 1 && len(w.viewers) > 0:
			s.token = w.viewers[(i/10)%len(w.viewers)].token
			rep.Ministry++
		default:
			rep.Anonymous++
		}
		streams[i] = s
	}

	memCtx, stopMem := context.WithCancel(ctx)
	defer stopMem()
	memDone := make(chan struct{})
	go func() { defer close(memDone); sampleMemory(memCtx, api, &rep.Memory) }()

	fmt.Fprintf(progress, "opening %d streams: %d anonymous, %d as %d partners, %d as %d ministries\n",
		cfg.Streams, rep.Anonymous, rep.Partner, rep.PartnerTokens, rep.Ministry, rep.MinistryScopes)
	streamCtx, closeStreams := context.WithCancel(ctx)
	defer closeStreams()
	hc := streamClient(cfg.Streams)
	var running, opens sync.WaitGroup
	opening := make(chan struct{}, streamsOpening)
	errs := make(chan error, cfg.Streams)
	for _, s := range streams {
		opening <- struct{}{}
		opened := make(chan error, 1)
		running.Go(func() { s.follow(streamCtx, hc, api.base, start, opened) })
		opens.Go(func() {
			if err := <-opened; err != nil {
				errs <- err
			}
			<-opening
		})
	}
	opens.Wait()
	close(errs)
	if err := <-errs; err != nil {
		closeStreams()
		running.Wait()
		return nil, PhaseReport{}, err
	}

	fmt.Fprintf(progress, "ministry scenario while the streams are open: %d workers for %s\n", cfg.Concurrency, cfg.Duration)
	main := runPhase(ctx, api, w, cfg, ScenarioMinistry, cfg.ServerPID)
	if main.CPU != nil {
		rep.WritesCPUMillis = int64(math.Round(main.CPU.ServerMillis * float64(main.Total.Requests)))
	}

	// What each caller's feed lists after the start, once the writes ended.
	want := map[string][]int64{}
	for _, s := range streams {
		if _, ok := want[s.token]; !ok {
			if want[s.token], err = feedIDs(ctx, api, s.token, start); err != nil {
				closeStreams()
				running.Wait()
				return nil, main, err
			}
		}
	}
	for deadline := time.Now().Add(streamsSettle); time.Now().Before(deadline) && ctx.Err() == nil; {
		if !slices.ContainsFunc(streams, func(s *openStream) bool { return !s.has(want[s.token]) }) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	closeStreams()
	running.Wait()
	stopMem()
	<-memDone
	// What the feeds list now: a change held back by a transaction still running when they
	// were first read may have reached the streams since. A feed may also hold a change back
	// for a moment again, even one an earlier read listed (a transaction of another database
	// that ends while its horizon is worked out looks like one of this database). So each read
	// adds what it lists to what the caller's streams are to receive, and the feeds are read
	// until they list what the streams received, for as long as streams are given to settle.
	for deadline := time.Now().Add(streamsSettle); ; time.Sleep(100 * time.Millisecond) {
		for token := range want {
			ids, err := feedIDs(ctx, api, token, start)
			if err != nil {
				return nil, main, err
			}
			want[token] = slices.Compact(slices.Sorted(slices.Values(append(want[token], ids...))))
		}
		if time.Now().After(deadline) || !slices.ContainsFunc(streams, func(s *openStream) bool { return !s.listed(want[s.token]) }) {
			break
		}
	}
	if cfg.ServerPID > 0 {
		rep.Memory.VmRSS, rep.Memory.VmHWM = procMemory(cfg.ServerPID)
	}

	var lat []time.Duration
	for _, s := range streams {
		expected := want[s.token]
		seen := map[int64]int{}
		for _, r := range s.got {
			seen[r.id]++
			lat = append(lat, r.latency)
		}
		rep.Expected += len(expected)
		rep.Received += len(s.got)
		for _, id := range expected {
			if seen[id] == 0 {
				rep.Missed++
			}
		}
		for id, n := range seen {
			rep.Duplicated += n - 1
			if _, ok := slices.BinarySearch(expected, id); !ok {
				rep.Unexpected++
				fmt.Fprintf(progress, "a stream received change %d, which its caller's feed does not list\n", id)
			}
		}
	}
	rep.Latency = latencyOf(lat)
	return rep, main, nil
}

// streamClient holds a connection per stream.
func streamClient(streams int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = streams, streams, 0
	return &http.Client{Transport: t}
}

// follow opens the stream after the change after, says on opened whether it opened, and
// records the changes it receives until ctx ends.
func (s *openStream) follow(ctx context.Context, hc *http.Client, base string, after int64, opened chan<- error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/changes/stream?after="+strconv.FormatInt(after, 10), nil)
	if err != nil {
		opened <- err
		return
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := hc.Do(req)
	if err != nil {
		opened <- fmt.Errorf("opening a stream: %w", err)
		return
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		opened <- fmt.Errorf("opening a stream: %d %s", res.StatusCode, bytes.TrimSpace(b))
		return
	}
	sc := bufio.NewScanner(res.Body)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		if first { // the heartbeat a stream opens with
			opened <- nil
			first = false
		}
		var c struct {
			ID int64     `json:"id"`
			At time.Time `json:"at"`
		}
		if json.Unmarshal(data, &c) != nil || c.At.IsZero() {
			continue // a heartbeat
		}
		s.mu.Lock()
		s.got = append(s.got, received{id: c.ID, latency: time.Since(c.At)})
		s.mu.Unlock()
	}
	if first {
		opened <- fmt.Errorf("a stream ended before it opened: %v", sc.Err())
	}
}

// listed reports whether every change the stream received is among ids, sorted.
func (s *openStream) listed(ids []int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !slices.ContainsFunc(s.got, func(r received) bool {
		_, found := slices.BinarySearch(ids, r.id)
		return !found
	})
}

// has reports whether the stream received the last of ids.
func (s *openStream) has(ids []int64) bool {
	if len(ids) == 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.got, func(r received) bool { return r.id == ids[len(ids)-1] })
}

// feedEnd is the cursor at the end of token's change feed after the change after.
func feedEnd(ctx context.Context, api *client, token string, after int64) (int64, error) {
	_, end, err := readFeedAfter(ctx, api, token, after)
	return end, err
}

// feedIDs are the ids, sorted, of the changes token's feed lists after the change after.
func feedIDs(ctx context.Context, api *client, token string, after int64) ([]int64, error) {
	ids, _, err := readFeedAfter(ctx, api, token, after)
	slices.Sort(ids)
	return ids, err
}

func readFeedAfter(ctx context.Context, api *client, token string, after int64) ([]int64, int64, error) {
	var ids []int64
	for {
		var p struct {
			Items      []struct{ ID int64 } `json:"items"`
			NextCursor int64                `json:"next_cursor"`
			More       bool                 `json:"more"`
		}
		if _, err := api.expect(ctx, &p, []int{http.StatusOK}, "GET", fmt.Sprintf("/v1/changes?after=%d&limit=500", after), token, nil); err != nil {
			return nil, 0, err
		}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		after = p.NextCursor
		if !p.More {
			return ids, after, nil
		}
	}
}

// sampleMemory reads the server's resident memory from its /metrics every half second until
// ctx ends; a server without /metrics leaves m at 0.
func sampleMemory(ctx context.Context, api *client, m *Memory) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if rss := residentMemory(ctx, api); rss > 0 {
			if m.Before == 0 {
				m.Before = rss
			}
			m.Peak, m.After = max(m.Peak, rss), rss
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func residentMemory(ctx context.Context, api *client) int64 {
	res, err := api.send(ctx, "GET", "/metrics", "", nil)
	if err != nil || res.status != http.StatusOK {
		return 0
	}
	for line := range strings.Lines(string(res.body)) {
		if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f)
		}
	}
	return 0
}

// procMemory reads VmRSS and VmHWM of a process on this machine; 0 when it cannot.
func procMemory(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		name, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

func (r *StreamsReport) write(w io.Writer) {
	fmt.Fprintf(w, "%d streams: %d anonymous, %d as %d partners, %d as %d ministries\n",
		r.Streams, r.Anonymous, r.Partner, r.PartnerTokens, r.Ministry, r.MinistryScopes)
	fmt.Fprintf(w, "events: %d expected, %d received, %d missed, %d duplicated, %d unexpected\n",
		r.Expected, r.Received, r.Missed, r.Duplicated, r.Unexpected)
	fmt.Fprintf(w, "delivery latency from a change's recorded time: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max)
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(w, "server resident memory (/metrics): %.1f MB before the streams, %.1f MB at the peak, %.1f MB at the end\n",
		mb(r.Memory.Before), mb(r.Memory.Peak), mb(r.Memory.After))
	if r.Memory.VmHWM > 0 {
		fmt.Fprintf(w, "server process: VmRSS %.1f MB, VmHWM %.1f MB; CPU while the writes ran: %d ms\n",
			mb(r.Memory.VmRSS), mb(r.Memory.VmHWM), r.WritesCPUMillis)
	}
}
