package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/seed"
	napclient "github.com/naptracker/naptracker/sdk/go"
)

// The SDK tests act as these people: a partner who reads, and the lead ministry's focal point
// and approver and the coordinator, who take an update through review.
var sdkRoles = []struct{ name, role string }{
	{"partner", "partner"}, {"focal_point", "focal_point"}, {"approver", "approver"}, {"coordinator", "coordinator"},
}

// sdkFilterOrganization is the filter the SDK tests list measures with; it has more measures
// than sdkPageSize, so reading them all follows the cursor.
const (
	sdkFilterOrganization = "MFA"
	sdkPageSize           = 2
)

// sdkServer is `naptracker serve` on a seeded test database, as a dashboard meets it.
type sdkServer struct {
	url     string
	ds      seed.Dataset
	measure seed.Measure      // the measure the focal point reports on
	tokens  map[string]string // by sdkRoles name
}

// startSDKServer seeds a fresh database, adds the SDK tests' users and their tokens with the
// CLI, and serves the API on a free port until the test ends.
func startSDKServer(t *testing.T) *sdkServer {
	t.Helper()
	return startSDKServerOn(t, pgtest.NewDatabase(t), nil)
}

// startSDKServerOn is startSDKServer on the migrated database dsn, as its owner, with the
// server's options as configure changes them, when it is not nil.
func startSDKServerOn(t *testing.T, dsn string, configure func(*config.Options)) *sdkServer {
	t.Helper()
	slog.SetDefault(logging.New(io.Discard, slog.LevelInfo))
	ds, err := seed.Reference()
	if err != nil {
		t.Fatal(err)
	}
	s := &sdkServer{ds: ds, measure: ds.Plan.Measures[0], tokens: map[string]string{}}
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := rootCommand()
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append(args, "--database-url", dsn))
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("naptracker %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	run("seed")
	for _, r := range sdkRoles {
		email := r.name + "@sdk.example.org"
		args := []string{"users", "add", "--email", email, "--name", r.name, "--role", r.role}
		if r.role == "focal_point" || r.role == "approver" {
			args = append(args, "--org", s.measure.Lead)
		}
		run(args...)
		lines := strings.Split(strings.TrimSpace(run("tokens", "issue", "--email", email, "--ttl", "1h")), "\n")
		s.tokens[r.name] = lines[len(lines)-1]
	}

	opts := config.Defaults()
	opts.DatabaseURL = dsn
	if configure != nil {
		configure(&opts)
	}
	s.url = serveInProcess(t, opts)
	return s
}

// serveInProcess runs `naptracker serve` with opts on a free port until the test ends, and
// returns its base URL.
func serveInProcess(t *testing.T, opts config.Options) string {
	t.Helper()
	slog.SetDefault(logging.New(io.Discard, slog.LevelInfo))
	opts.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, opts, listening) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case addr := <-listening:
		return "http://" + addr.String()
	case err := <-done:
		t.Fatalf("serve ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
	}
	return ""
}

// expectedCodes are the codes of the seeded measures that sdkFilterOrganization leads or
// co-implements, in the plan's order.
func (s *sdkServer) expectedCodes() []string {
	var codes []string
	for _, m := range s.ds.Plan.Measures {
		if m.Lead == sdkFilterOrganization || slices.Contains(m.CoImplementers, sdkFilterOrganization) {
			codes = append(codes, m.Code)
		}
	}
	return codes
}

// client is the generated Go client acting as the named person.
func (s *sdkServer) client(t *testing.T, who string) *napclient.ClientWithResponses {
	t.Helper()
	token := s.tokens[who]
	c, err := napclient.NewClientWithResponses(s.url, napclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGoClient drives the generated Go client as a dashboard would: a partner pages through a
// filtered list and reads a measure; the focal point drafts and submits an update; the change
// feed shows it to the partner only once it is approved for partners.
func TestGoClient(t *testing.T) {
	s := startSDKServer(t)
	ctx := context.Background()
	partner, focal := s.client(t, "partner"), s.client(t, "focal_point")

	plans, err := partner.ListPlansWithResponse(ctx, nil)
	if err != nil || plans.JSON200 == nil || len(plans.JSON200.Items) != 1 {
		t.Fatalf("list plans: %v %s", err, body(plans))
	}
	planID := plans.JSON200.Items[0].ID

	// Every measure of the filter, once, following the cursor with the SDK's iterator.
	var codes []string
	pages := 0
	params := &napclient.ListMeasuresParams{Organization: ptr(sdkFilterOrganization), Limit: ptr[int64](sdkPageSize)}
	for m, err := range napclient.All(ctx, func(ctx context.Context, cursor *string) (*napclient.ListMeasuresResponse, error) {
		pages++
		params.Cursor = cursor
		return partner.ListMeasuresWithResponse(ctx, planID, params)
	}) {
		if err != nil {
			t.Fatalf("list measures, page %d: %v", pages, err)
		}
		codes = append(codes, m.Code)
	}
	if want := s.expectedCodes(); !slices.Equal(codes, want) || pages < 2 {
		t.Fatalf("organization=%s in %d pages: %v, want %v in more than one page", sdkFilterOrganization, pages, codes, want)
	}

	// One measure, found by its code, in full.
	found, err := partner.ListMeasuresWithResponse(ctx, planID, &napclient.ListMeasuresParams{Code: &s.measure.Code})
	if err != nil || found.JSON200 == nil || len(found.JSON200.Items) != 1 {
		t.Fatalf("measure %s by code: %v %s", s.measure.Code, err, body(found))
	}
	measureID := found.JSON200.Items[0].ID
	got, err := partner.GetMeasureWithResponse(ctx, measureID, nil)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get measure: %v %s", err, body(got))
	}
	m := got.JSON200
	if m.Code != s.measure.Code || deref(m.Title.Ru) != s.measure.Title["ru"] || deref(m.Title.En) != s.measure.Title["en"] ||
		m.Lead != s.measure.Lead || !m.CurrentStatus.Valid() || got.HTTPResponse.Header.Get("ETag") == "" {
		t.Fatalf("measure %s: code %q, title ru %q en %q, lead %q, status %q", s.measure.Code, m.Code, deref(m.Title.Ru), deref(m.Title.En), m.Lead, m.CurrentStatus)
	}

	// Read again with its ETag, it is not modified: a 304, no error and no body.
	tag := got.HTTPResponse.Header.Get("ETag")
	again, err := partner.GetMeasureWithResponse(ctx, measureID, &napclient.GetMeasureParams{IfNoneMatch: &tag})
	if err != nil || again.StatusCode() != http.StatusNotModified || again.JSON200 != nil {
		t.Fatalf("the measure again with its ETag: %v %d", err, again.StatusCode())
	}

	// The plan's summary counts every measure once, and its statuses add up; a dashboard
	// that polls it is told when nothing changed.
	summary, err := partner.GetPlanSummaryWithResponse(ctx, planID, nil)
	if err != nil || summary.JSON200 == nil {
		t.Fatalf("plan summary: %v %s", err, body(summary))
	}
	tag = summary.HTTPResponse.Header.Get("ETag")
	if same, err := partner.GetPlanSummaryWithResponse(ctx, planID, &napclient.GetPlanSummaryParams{IfNoneMatch: &tag}); err != nil ||
		same.StatusCode() != http.StatusNotModified || same.JSON200 != nil {
		t.Fatalf("the summary again with its ETag %q: %v %s", tag, err, body(same))
	}
	total, byLead := summary.JSON200.Total, 0
	for _, l := range summary.JSON200.ByLead {
		byLead += int(l.Measures)
	}
	st := total.ByStatus
	statuses := st.NoInformation + st.NotStarted + st.InProgress + st.Ongoing + st.PartiallyImplemented + st.Implemented + st.NotImplemented + st.Cancelled
	if int(total.Measures) != len(s.ds.Plan.Measures) || byLead != len(s.ds.Plan.Measures) || statuses != total.Measures {
		t.Fatalf("summary: %d measures (%d by lead, %d by status), the plan has %d", total.Measures, byLead, statuses, len(s.ds.Plan.Measures))
	}

	// The implementation matrix, as CSV in Russian: a heading in Russian and a row per measure.
	matrix, err := partner.ExportPlanMatrixWithResponse(ctx, planID, &napclient.ExportPlanMatrixParams{
		Format: ptr(napclient.ExportFormatCsv), Lang: ptr(napclient.LanguageRu)})
	if err != nil || matrix.StatusCode() != http.StatusOK {
		t.Fatalf("export: %v %d", err, matrix.StatusCode())
	}
	records, err := csv.NewReader(bytes.NewReader(matrix.Body)).ReadAll()
	if err != nil || len(records) != len(s.ds.Plan.Measures)+1 || !slices.Contains(records[0], "Мера") ||
		!slices.ContainsFunc(records[1:], func(r []string) bool { return slices.Contains(r, s.measure.Title["ru"]) }) {
		t.Fatalf("export: %d records (%v), want a heading and %d measures with Russian titles", len(records), err, len(s.ds.Plan.Measures))
	}

	// The focal point reports on the latest period, which is open.
	periods, err := focal.ListReportingPeriodsWithResponse(ctx, planID, &napclient.ListReportingPeriodsParams{Limit: ptr[int64](500)})
	if err != nil || periods.JSON200 == nil || len(periods.JSON200.Items) == 0 {
		t.Fatalf("periods: %v %s", err, body(periods))
	}
	period := periods.JSON200.Items[len(periods.JSON200.Items)-1]
	if period.State != napclient.PeriodStateOpen {
		t.Fatalf("the latest period %s is %s", period.Label, period.State)
	}
	start := readFeed(t, s.client(t, "coordinator"), 0).cursor

	created, err := focal.CreateProgressUpdateWithResponse(ctx, measureID, nil, napclient.NewProgressUpdate{
		PeriodID: period.ID, ProposedStatus: napclient.ReportedStatusInProgress,
		ProgressPercent: ptr[int64](40), Visibility: ptr(napclient.VisibilityPartners),
		Narrative: &napclient.TextInput{En: ptr("The draft law went to the ministries."), Ru: ptr("Проект закона направлен в министерства.")},
	})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create update: %v %s", err, body(created))
	}
	draft := created.JSON201
	if draft.State != napclient.UpdateStateDraft || draft.ReportingOrganization != s.measure.Lead || draft.Period != period.Label {
		t.Fatalf("draft: state %s, organization %s, period %s", draft.State, draft.ReportingOrganization, draft.Period)
	}
	submitted, err := focal.SubmitProgressUpdateWithResponse(ctx, draft.ID, nil, napclient.ReviewComment{})
	if err != nil || submitted.JSON200 == nil {
		t.Fatalf("submit: %v %s", err, body(submitted))
	}
	if u := submitted.JSON200; u.State != napclient.UpdateStateSubmitted || u.Version <= draft.Version || u.SubmittedAt == nil {
		t.Fatalf("submitted: state %s, version %d after %d", u.State, u.Version, draft.Version)
	}

	// Submitted, the update is in the coordinator's feed but not yet in the partner's.
	awaitInFeed(t, s.client(t, "coordinator"), start, draft.ID.String())
	if readFeed(t, partner, start).entities[draft.ID.String()] {
		t.Fatal("the partner's feed shows a submitted update")
	}
	// Signed off and approved for partners, it is in theirs, and the measure follows it.
	if res, err := s.client(t, "approver").SignOffProgressUpdateWithResponse(ctx, draft.ID, nil, napclient.ReviewComment{}); err != nil || res.JSON200 == nil {
		t.Fatalf("sign off: %v %s", err, body(res))
	}
	approved, err := s.client(t, "coordinator").ApproveProgressUpdateWithResponse(ctx, draft.ID, nil, napclient.ReviewComment{})
	if err != nil || approved.JSON200 == nil || approved.JSON200.State != napclient.UpdateStateApproved {
		t.Fatalf("approve: %v %s", err, body(approved))
	}
	awaitInFeed(t, partner, start, draft.ID.String())
	got, err = partner.GetMeasureWithResponse(ctx, measureID, nil)
	if err != nil || got.JSON200 == nil || got.JSON200.CurrentStatus != napclient.ImplementationStatusInProgress || deref(got.JSON200.ProgressPercent) != 40 {
		t.Fatalf("measure after approval: %v %s", err, body(got))
	}
}

// feed is what one reader saw of the change feed.
type feed struct {
	entities map[string]bool
	cursor   int64
}

// readFeed reads the change feed after a cursor until nothing more can be read now.
func readFeed(t *testing.T, c *napclient.ClientWithResponses, after int64) feed {
	t.Helper()
	f := feed{entities: map[string]bool{}, cursor: after}
	for {
		res, err := c.ListChangesWithResponse(context.Background(), &napclient.ListChangesParams{After: &f.cursor, Limit: ptr[int64](50)})
		if err != nil || res.JSON200 == nil {
			t.Fatalf("changes after %d: %v %s", f.cursor, err, body(res))
		}
		for _, ch := range res.JSON200.Items {
			f.entities[ch.EntityID.String()] = true
		}
		f.cursor = res.JSON200.NextCursor
		if !res.JSON200.More {
			return f
		}
	}
}

// awaitInFeed waits until c's feed after start shows entity; a transaction still open
// elsewhere may hold the feed back a moment.
func awaitInFeed(t *testing.T, c *napclient.ClientWithResponses, start int64, entity string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !readFeed(t, c, start).entities[entity]; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s not in the feed within 30 s", entity)
		}
	}
}

// body is a generated response's status and body, for failure messages.
func body[R interface{ StatusCode() int }](res *R) string {
	if res == nil {
		return "no response"
	}
	return fmt.Sprintf("%d %s", (*res).StatusCode(), reflect.ValueOf(res).Elem().FieldByName("Body").Bytes())
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// TestTypeScriptSDK packs sdk/typescript as npm would publish it, installs the tarball in a
// fresh project, and there compiles e2e/e2e.ts with the SDK's pinned tsc and runs it, and
// examples/list-plans.mjs, with plain node against the server: the same journey as
// TestGoClient, through the TypeScript SDK as a partner installs it. In CI a missing Node.js
// 22 or SDK install fails the test rather than skipping it.
func TestTypeScriptSDK(t *testing.T) {
	sdkDir, err := filepath.Abs("../../sdk/typescript")
	if err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(sdkDir, "node_modules", ".bin", "tsc")
	node, npm := requireNode(t, tsc)
	s := startSDKServer(t)

	project := t.TempDir()
	started := time.Now()
	packed := runIn(t, sdkDir, nil, npm, "pack", "--pack-destination", project, "--json", "--loglevel=error")
	var tarballs []struct{ Filename string }
	if err := json.Unmarshal(packed[bytes.IndexByte(packed, '['):], &tarballs); err != nil || len(tarballs) != 1 {
		t.Fatalf("npm pack printed %s", packed)
	}
	writeFile(t, filepath.Join(project, "package.json"), `{"private": true, "type": "module"}`)
	runIn(t, project, nil, npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "./"+tarballs[0].Filename)
	installed := time.Since(started)

	// The e2e script and the example import "@naptracker/sdk", as a partner's code would.
	for _, f := range []string{"e2e/e2e.ts", "examples/list-plans.mjs"} {
		b, err := os.ReadFile(filepath.Join(sdkDir, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(project, filepath.Base(f)), string(b))
	}
	// The consumer's settings as strict as the SDK's, its declarations checked too.
	writeFile(t, filepath.Join(project, "tsconfig.json"), `{"compilerOptions": {
		"target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "lib": ["ES2022", "DOM", "DOM.Iterable"],
		"strict": true, "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true, "skipLibCheck": false,
		"types": ["node"], "typeRoots": [`+strconv.Quote(filepath.Join(sdkDir, "node_modules", "@types"))+`]},
		"files": ["e2e.ts"]}`)
	started = time.Now()
	runIn(t, project, nil, tsc, "-p", ".")
	compiled := time.Since(started)

	env := []string{
		"NAPTRACKER_URL=" + s.url,
		"E2E_ORGANIZATION=" + sdkFilterOrganization,
		"E2E_PAGE_SIZE=" + strconv.Itoa(sdkPageSize),
		"E2E_EXPECTED_CODES=" + strings.Join(s.expectedCodes(), ","),
		"E2E_MEASURE_CODE=" + s.measure.Code,
		"E2E_MEASURE_TITLE_RU=" + s.measure.Title["ru"],
		"E2E_PLAN_MEASURES=" + strconv.Itoa(len(s.ds.Plan.Measures)),
	}
	for who, token := range s.tokens {
		env = append(env, "NAPTRACKER_TOKEN_"+strings.ToUpper(who)+"="+token)
	}
	started = time.Now()
	stdout := runIn(t, project, env, node, "e2e.js")
	t.Logf("npm pack and install %s, tsc %s, node e2e %s", installed.Round(time.Millisecond), compiled.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))

	// The script's own report, checked against the server.
	line, ok := strings.CutPrefix(strings.TrimSpace(string(stdout)), "e2e ok ")
	var report struct {
		Measures, Pages int
		Update          string
		State           string
	}
	if !ok || json.Unmarshal([]byte(line), &report) != nil {
		t.Fatalf("node e2e printed %q", stdout)
	}
	if report.Measures != len(s.expectedCodes()) || report.Pages < 2 || report.State != "approved" {
		t.Errorf("node e2e report: %+v", report)
	}
	id, err := uuid.Parse(report.Update)
	if err != nil {
		t.Fatalf("node e2e reported update %q", report.Update)
	}
	res, err := s.client(t, "partner").GetProgressUpdateWithResponse(context.Background(), id, nil)
	if err != nil || res.JSON200 == nil || res.JSON200.State != napclient.UpdateStateApproved ||
		res.JSON200.ReportingOrganization != s.measure.Lead || deref(res.JSON200.ProgressPercent) != 40 {
		t.Fatalf("the update the script approved, read back: %v %s", err, body(res))
	}

	// The README's ten lines, anonymous: the published plan.
	listed := strings.TrimSpace(string(runIn(t, project, []string{"NAPTRACKER_URL=" + s.url}, node, "list-plans.mjs")))
	if want := s.ds.Plan.Code + " " + string(s.ds.Plan.Status) + " " + s.ds.Plan.Title["en"]; listed != want {
		t.Fatalf("list-plans.mjs printed %q, want %q", listed, want)
	}
}

// TestGoSDKModule uses sdk/go as a partner's program would: its example is built in a module
// of its own that requires the SDK through a replace directive, the build pulls none of the
// server's dependencies, and the program reads the live server.
func TestGoSDKModule(t *testing.T) {
	sdkDir, err := filepath.Abs("../../sdk/go")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	s := startSDKServer(t)

	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join(sdkDir, "examples", "measures", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(filepath.Join(sdkDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "main.go"), string(example))
	writeFile(t, filepath.Join(dir, "go.sum"), string(sums))
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.org/measures\n\ngo 1.26.0\n\n"+
		"require github.com/naptracker/naptracker/sdk/go v0.0.0\n\n"+
		"replace github.com/naptracker/naptracker/sdk/go => "+sdkDir+"\n")
	env := []string{"GOFLAGS=-mod=mod", "GOWORK=off"}
	runIn(t, dir, env, goBin, "build", "-o", "measures", ".")

	modules := string(runIn(t, dir, env, goBin, "list", "-m", "all"))
	for _, server := range []string{"github.com/danielgtaylor/huma", "gorm.io/", "github.com/casbin/", "github.com/jackc/pgx"} {
		if strings.Contains(modules, server) {
			t.Errorf("a program on sdk/go pulls %s:\n%s", server, modules)
		}
	}
	if !strings.Contains(modules, "github.com/naptracker/naptracker/sdk/go v0.0.0 => "+sdkDir) {
		t.Fatalf("the program does not use sdk/go through replace:\n%s", modules)
	}

	out := runIn(t, dir, []string{"NAPTRACKER_URL=" + s.url}, filepath.Join(dir, "measures"), sdkFilterOrganization)
	var plans, codes []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 3 && fields[0] == "plan":
			plans = append(plans, fields[1])
		case len(fields) >= 3 && fields[0] == "measure":
			codes = append(codes, fields[1])
		}
	}
	if !slices.Equal(plans, []string{s.ds.Plan.Code}) || !slices.Equal(codes, s.expectedCodes()) {
		t.Fatalf("the example printed plans %v and measures %v, want %s and %v:\n%s", plans, codes, s.ds.Plan.Code, s.expectedCodes(), out)
	}
}

// requireNode finds node and npm, at least Node.js 22, and the SDK's installed tools (tool
// stands for them); in CI their absence fails the test, elsewhere it skips it.
func requireNode(t *testing.T, tool string) (node, npm string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		npm, err = exec.LookPath("npm")
	}
	if err == nil {
		_, err = os.Stat(tool)
	}
	if err == nil {
		var v []byte
		v, err = exec.Command(node, "-p", "process.versions.node.split('.')[0]").Output()
		if major, _ := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && major < 22 {
			err = fmt.Errorf("node on PATH is version %s", strings.TrimSpace(string(v)))
		}
	}
	if err != nil {
		msg := "needs Node.js 22 or newer, npm, and `npm ci` in sdk/typescript and web (scripts/test.sh sees to all three): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, npm
}

// runIn runs a command in dir with env added to the test's, and returns its standard output;
// a failure fails the test with everything the command printed.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
