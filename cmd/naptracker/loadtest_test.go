package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/loadtest"
	"github.com/naptracker/naptracker/internal/loadtest/baseline"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

// servedAPI is the real service on a test database, with an admin's token.
type servedAPI struct {
	url, dsn, adminToken string
}

// startService runs `naptracker serve --migrate --seed --rate-limit 0` in-process until the
// test ends, and bootstraps an admin with the CLI as an operator would; with, changes the
// options first.
func startService(t *testing.T, with ...func(*config.Options)) servedAPI {
	t.Helper()
	opts := config.Defaults()
	opts.DatabaseURL = pgtest.NewDatabase(t)
	opts.Migrate, opts.Seed, opts.RateLimit = true, true, 0
	for _, f := range with {
		f(&opts)
	}
	api := servedAPI{url: serveInProcess(t, opts), dsn: opts.DatabaseURL}
	cli(t, "users", "add", "--database-url", api.dsn, "--email", "ops@example.org", "--name", "Operator", "--role", "admin")
	lines := strings.Split(strings.TrimSpace(cli(t, "tokens", "issue", "--database-url", api.dsn, "--email", "ops@example.org", "--ttl", "1h")), "\n")
	api.adminToken = lines[len(lines)-1]
	return api
}

// cli runs a naptracker command and returns its stdout; the test fails if the command does.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := tryCLI(args...)
	if err != nil {
		t.Fatalf("naptracker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tryCLI runs a naptracker command, as an operator would, and returns its stdout.
func tryCLI(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := rootCommand()
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestLoadtest plays each scenario briefly against the real service and checks that every
// operation ran without an unexpected error, that caching clients got 304s, and that the
// ministries' updates went all the way to approval.
func TestLoadtest(t *testing.T) {
	api := startService(t)
	dir := t.TempDir()
	want := map[string][]string{
		loadtest.ScenarioPartner:  {"get-measure", "get-measure-if-none-match", "get-plan-summary", "list-changes", "list-measures"},
		loadtest.ScenarioMinistry: {"approve-update", "create-update", "edit-update", "sign-off-update", "submit-update"},
	}
	want[loadtest.ScenarioMixed] = slices.Sorted(slices.Values(append(slices.Clone(want[loadtest.ScenarioPartner]), want[loadtest.ScenarioMinistry]...)))
	for _, scenario := range []string{loadtest.ScenarioPartner, loadtest.ScenarioMinistry, loadtest.ScenarioMixed} {
		t.Run(scenario, func(t *testing.T) {
			path := filepath.Join(dir, scenario+".json")
			table := cli(t, "loadtest", "--url", api.url, "--admin-token", api.adminToken, "--scenario", scenario,
				"--duration", "2s", "--concurrency", "3", "--partners", "2", "--seed", "7", "--json", path)
			if !strings.Contains(table, "p99 ms") || !strings.Contains(table, "total") {
				t.Errorf("no table on stdout:\n%s", table)
			}
			t.Log("\n" + table)
			rep := readReport(t, path)
			if rep.Main.Scenario != scenario || rep.Main.Concurrency != 3 || rep.Main.Seconds < 1.5 || rep.Main.Seconds > 2.5 {
				t.Errorf("report header: %+v", rep.Main)
			}
			var names []string
			for _, o := range rep.Main.Operations {
				names = append(names, o.Name)
				if o.Errors != 0 || o.OK+o.NotModified == 0 || o.Requests != o.OK+o.NotModified+o.Conflicts+o.Errors {
					t.Errorf("%s: %+v", o.Name, o)
				}
				if o.Throughput <= 0 || o.Latency.P50 <= 0 || o.Latency.P50 > o.Latency.P95 || o.Latency.P95 > o.Latency.P99 || o.Latency.P99 > o.Latency.Max {
					t.Errorf("%s: throughput or latencies: %+v", o.Name, o)
				}
				if o.Name == "get-measure-if-none-match" && o.NotModified == 0 {
					t.Errorf("no 304 for If-None-Match: %+v", o)
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(want[scenario]) {
				t.Errorf("operations %v, want %v", names, want[scenario])
			}
			if rep.Main.Total.Errors != 0 || rep.Main.Total.Requests == 0 {
				t.Errorf("total: %+v", rep.Main.Total)
			}
		})
	}

	// An open model offers actions at the rate asked, whether or not earlier ones ended, and
	// counts those no worker was free for.
	path := filepath.Join(dir, "open.json")
	table := cli(t, "loadtest", "--url", api.url, "--admin-token", api.adminToken, "--scenario", loadtest.ScenarioPartner,
		"--duration", "2s", "--concurrency", "4", "--rate", "25", "--seed", "7", "--json", path)
	rep := readReport(t, path)
	// A partner's action is one request, or a page walk of several: at least 25 a second.
	if rep.Main.Rate != 25 || rep.Main.Total.Errors != 0 || rep.Main.Total.Requests < 40 || rep.Main.Total.Throughput > 250 ||
		!strings.Contains(table, "open model: 25 actions offered a second") {
		t.Errorf("open model: rate %g, %d requests (%.0f/s), %d errors, %d missed\n%s", rep.Main.Rate,
			rep.Main.Total.Requests, rep.Main.Total.Throughput, rep.Main.Total.Errors, rep.Main.Missed, table)
	}

	// The ministries' updates went through review to approval, each step by another person.
	db, err := postgres.Open(context.Background(), api.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var steps []struct {
		Action string
		Author string
		Actor  string
		N      int
	}
	err = db.Gorm().Raw(`SELECT ra.action, au.email AS author, ac.email AS actor, count(*) AS n
		FROM review_actions ra JOIN progress_updates u ON u.id = ra.update_id
		JOIN users au ON au.id = u.created_by JOIN users ac ON ac.id = ra.actor_id
		WHERE au.email LIKE 'loadtest-%' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`).Scan(&steps).Error
	if err != nil {
		t.Fatal(err)
	}
	approved := 0
	for _, s := range steps {
		switch s.Action {
		case "submit":
			if s.Actor != s.Author {
				t.Errorf("submitted by %s, written by %s", s.Actor, s.Author)
			}
		case "sign_off":
			if !strings.HasPrefix(s.Actor, "loadtest-approver-") {
				t.Errorf("signed off by %s", s.Actor)
			}
		case "approve":
			approved += s.N
			if s.Actor != "loadtest-coordinator@example.org" {
				t.Errorf("approved by %s", s.Actor)
			}
		}
	}
	var open int64
	if err := db.Gorm().Raw(`SELECT count(*) FROM progress_updates WHERE state IN ('draft', 'submitted', 'signed_off', 'returned')`).Scan(&open).Error; err != nil {
		t.Fatal(err)
	}
	if approved == 0 || open != 0 {
		t.Errorf("%d updates approved, %d left in the works; review steps: %+v", approved, open, steps)
	}
	// The run's tokens were revoked at its end.
	var live int64
	if err := db.Gorm().Raw(`SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE u.email LIKE 'loadtest-%' AND t.revoked_at IS NULL`).Scan(&live).Error; err != nil {
		t.Fatal(err)
	}
	if live != 0 {
		t.Errorf("%d tokens of the load test are still live", live)
	}
}

func readReport(t *testing.T, path string) loadtest.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("the JSON report does not parse: %v\n%s", err, b)
	}
	return rep
}

// TestBaselineServesTheAPIsPage checks that the raw baseline server answers the measure list
// as the API does, page by page, for the filters the load test uses, and that a load test
// compares the two.
func TestBaselineServesTheAPIsPage(t *testing.T) {
	api := startService(t)
	pool, err := baseline.Open(context.Background(), api.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	base := httptest.NewServer(baseline.Handler(pool))
	defer base.Close()

	var plans struct{ Items []struct{ ID string } }
	getJSON(t, api.url+"/v1/plans", &plans)
	planID := plans.Items[0].ID
	var all measurePage
	getJSON(t, api.url+"/v1/plans/"+planID+"/measures?limit=500", &all)
	lead, article := all.Items[0].Lead, all.Items[0].Articles[0]

	for _, filter := range []string{"", "lead=" + lead, "organization=" + lead, "status=no_information,in_progress",
		"overdue=true", "overdue=false", fmt.Sprintf("article=%d", article)} {
		apiIDs, apiPages := walk(t, api.url, planID, filter)
		baseIDs, basePages := walk(t, base.URL, planID, filter)
		if len(apiIDs) == 0 && filter == "" {
			t.Fatal("the plan has no measures")
		}
		if fmt.Sprint(apiIDs) != fmt.Sprint(baseIDs) || apiPages != basePages {
			t.Errorf("filter %q: the API's %d pages %v\nthe baseline's %d pages %v", filter, apiPages, apiIDs, basePages, baseIDs)
		}
	}
	// The items carry the same fields with the same values.
	var a, b map[string]any
	getJSON(t, api.url+"/v1/plans/"+planID+"/measures?limit=3", &a)
	getJSON(t, base.URL+"/v1/plans/"+planID+"/measures?limit=3", &b)
	for i, item := range a["items"].([]any) {
		want, got := item.(map[string]any), b["items"].([]any)[i].(map[string]any)
		if !sameMeasure(want, got) {
			t.Errorf("item %d:\nAPI      %v\nbaseline %v", i, want, got)
		}
	}
	if res, err := http.Get(base.URL + "/v1/plans/01a21a8d-0000-7000-8000-000000000000/measures"); err != nil || res.StatusCode != 404 {
		t.Errorf("an unknown plan: %v %v", res, err)
	}
	// A measure reads the same too.
	for _, m := range all.Items[:3] {
		var a, b map[string]any
		getJSON(t, api.url+"/v1/measures/"+m.ID, &a)
		getJSON(t, base.URL+"/v1/measures/"+m.ID, &b)
		if !sameMeasure(a, b) {
			t.Errorf("measure %s:\nAPI      %v\nbaseline %v", m.ID, a, b)
		}
	}
	if res, err := http.Get(base.URL + "/v1/measures/01a21a8d-0000-7000-8000-000000000000"); err != nil || res.StatusCode != 404 {
		t.Errorf("an unknown measure: %v %v", res, err)
	}

	// Both servers are this process here: what a request cost them, and PostgreSQL, is
	// reported for every phase.
	path := filepath.Join(t.TempDir(), "baseline.json")
	self := strconv.Itoa(os.Getpid())
	table := cli(t, "loadtest", "--url", api.url, "--admin-token", api.adminToken, "--scenario", "partner",
		"--duration", "1s", "--concurrency", "2", "--baseline-url", base.URL, "--json", path,
		"--server-pid", self, "--baseline-pid", self)
	rep := readReport(t, path)
	if len(rep.Baselines) != 2 {
		t.Fatalf("%d baseline comparisons, want the list and the detail", len(rep.Baselines))
	}
	for i, op := range []string{"list-measures", "get-measure"} {
		if b := rep.Baselines[i]; b.Baseline.Total.Requests == 0 || b.Baseline.Total.Errors != 0 || b.API.Total.Errors != 0 ||
			b.Ratio <= 0 || b.Baseline.Operations[0].Name != op || b.API.Operations[0].Name != op {
			t.Fatalf("baseline report of %s: %+v", op, b)
		}
	}
	phases := []loadtest.PhaseReport{rep.Main, rep.Baselines[0].API, rep.Baselines[0].Baseline, rep.Baselines[1].API, rep.Baselines[1].Baseline}
	for _, p := range phases {
		if p.CPU == nil || p.CPU.ServerMillis <= 0 || p.CPU.DatabaseMillis <= 0 {
			t.Errorf("%s against %s: CPU per request %+v", p.Scenario, p.Target, p.CPU)
		}
	}
	if n := strings.Count(table, "CPU per request, server + PostgreSQL: API "); n != 2 {
		t.Errorf("%d comparisons of CPU per request in the table, want 2:\n%s", n, table)
	}
}

// sameMeasure reports whether the API and the baseline wrote the same measure. It forgets
// their times, the same instants maybe in other zones.
func sameMeasure(api, base map[string]any) bool {
	for _, k := range []string{"created_at", "updated_at"} {
		delete(api, k)
		delete(base, k)
	}
	return fmt.Sprint(api) == fmt.Sprint(base)
}

type measurePage struct {
	Items []struct {
		ID       string
		Lead     string
		Articles []int
	}
	NextCursor string `json:"next_cursor"`
}

// walk follows a filtered measure list 7 at a time and returns its ids and its page count.
func walk(t *testing.T, baseURL, planID, filter string) ([]string, int) {
	t.Helper()
	var ids []string
	cursor, pages := "", 0
	for {
		var p measurePage
		getJSON(t, fmt.Sprintf("%s/v1/plans/%s/measures?limit=7&%s&cursor=%s", baseURL, planID, filter, cursor), &p)
		pages++
		for _, m := range p.Items {
			ids = append(ids, m.ID)
		}
		if p.NextCursor == "" {
			return ids, pages
		}
		cursor = p.NextCursor
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestLoadtestStreams: the streams scenario's streams, of several scopes, each receive every
// change their caller's feed lists, once, while ministries report; a server that bounds no
// client's streams takes them all from one address.
func TestLoadtestStreams(t *testing.T) {
	api := startService(t, func(o *config.Options) { o.MaxStreamsPerClient = 0 })
	path := filepath.Join(t.TempDir(), "streams.json")
	table := cli(t, "loadtest", "--url", api.url, "--admin-token", api.adminToken, "--scenario", loadtest.ScenarioStreams,
		"--streams", "50", "--duration", "3s", "--concurrency", "2", "--seed", "7", "--json", path)
	t.Log("\n" + table)
	rep := readReport(t, path)
	s := rep.Streams
	if s == nil {
		t.Fatal("no streams report")
	}
	if s.Streams != 50 || s.Anonymous+s.Partner+s.Ministry != 50 || s.Partner == 0 || s.Ministry == 0 || s.MinistryScopes < 2 {
		t.Errorf("streams: %+v", s)
	}
	if s.Expected == 0 || s.Received != s.Expected || s.Missed != 0 || s.Duplicated != 0 || s.Unexpected != 0 {
		t.Errorf("events: %d expected, %d received, %d missed, %d duplicated, %d unexpected",
			s.Expected, s.Received, s.Missed, s.Duplicated, s.Unexpected)
	}
	if s.Latency.P50 <= 0 || s.Latency.P99 < s.Latency.P50 || s.Memory.Peak == 0 || s.Memory.Peak < s.Memory.Before {
		t.Errorf("latency %+v, memory %+v", s.Latency, s.Memory)
	}
	if rep.Main.Total.Errors != 0 || rep.Main.Total.Requests == 0 {
		t.Errorf("writes: %+v", rep.Main.Total)
	}
	if !strings.Contains(table, "0 missed, 0 duplicated") {
		t.Errorf("no streams summary in the table:\n%s", table)
	}
}
