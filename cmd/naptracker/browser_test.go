package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/httpapi"
	napclient "github.com/naptracker/naptracker/sdk/go"
)

// browser is a headless Chromium tab whose network is cut off from everything but this
// machine's loopback, and which records every request it makes and every error it logs.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	errors   []string
}

// startBrowser starts Debian's chromium for the test. Without it the test skips, except in CI
// (.ci/run installs it), where it fails.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "the browser tests need Chromium: apt-get install chromium (.ci/run installs it)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, // as root, Chromium runs only without its sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The network is cut: no name resolves, and whatever is not for loopback goes to a
		// proxy port nobody listens on. Requests are recorded all the same.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				b.errors = append(b.errors, ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			if d.Exception != nil {
				b.errors = append(b.errors, d.Text+" "+d.Exception.Description)
			} else {
				b.errors = append(b.errors, d.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs browser actions, failing the test with what on an error.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor waits until a JavaScript expression is true in the page: the page's own signal
// that it has drawn what the test looks for.
func (b *browser) waitFor(t *testing.T, what, expression string) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expression, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v\nerrors in the page: %v", what, err, b.pageErrors())
	}
}

// eval evaluates a JavaScript expression into out.
func eval[T any](t *testing.T, b *browser, expression string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expression, err)
	}
	return v
}

// setField sets a form field's value as a person choosing or typing it would, change event
// and all.
func setField(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const field = document.getElementById(%q);
		field.value = %q;
		field.dispatchEvent(new Event("input", { bubbles: true }));
		field.dispatchEvent(new Event("change", { bubbles: true }));
	})()`, id, value))
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errors)
}

// checkRequests fails the test unless every request the page made went to the test server,
// and it made some.
func (b *browser) checkRequests(t *testing.T, server string, want ...string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.requests {
		if !strings.HasPrefix(u, server+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page asked for %s, which is not on the test server %s", u, server)
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(b.requests, func(u string) bool { return strings.HasPrefix(u, server+w) }) {
			t.Errorf("the page never asked for %s; it asked for %v", w, b.requests)
		}
	}
	t.Logf("%d requests, all to %s", len(b.requests), server)
}

// shownTallies is what the dashboard shows of a plan's summary.
type shownTallies struct {
	Total, Overdue int
	Status         map[string]int
	Lead, Article  map[string][2]int
}

const readTallies = `(() => {
  const rows = (id) => [...document.querySelectorAll("#" + id + " tbody tr[data-key]")];
  const nums = (tr) => [...tr.querySelectorAll("td")].map((td) => Number(td.textContent));
  return {
    Total: Number(document.getElementById("total-measures").textContent),
    Overdue: Number(document.getElementById("total-overdue").textContent),
    Status: Object.fromEntries(rows("by-status").map((tr) => [tr.dataset.key, nums(tr)[0]])),
    Lead: Object.fromEntries(rows("by-lead").map((tr) => [tr.dataset.key, nums(tr)])),
    Article: Object.fromEntries(rows("by-article").map((tr) => [tr.dataset.key, nums(tr)])),
  };
})()`

// wantTallies is the API's summary in the dashboard's terms.
func wantTallies(t *testing.T, c *napclient.ClientWithResponses, planID uuid.UUID) shownTallies {
	t.Helper()
	res, err := c.GetPlanSummaryWithResponse(context.Background(), planID, nil)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("summary: %v %s", err, body(res))
	}
	s := res.JSON200
	st := s.Total.ByStatus
	want := shownTallies{Total: int(s.Total.Measures), Overdue: int(s.Total.Overdue), Lead: map[string][2]int{}, Article: map[string][2]int{},
		Status: map[string]int{"no_information": int(st.NoInformation), "not_started": int(st.NotStarted), "in_progress": int(st.InProgress),
			"ongoing": int(st.Ongoing), "partially_implemented": int(st.PartiallyImplemented), "implemented": int(st.Implemented),
			"not_implemented": int(st.NotImplemented), "cancelled": int(st.Cancelled)}}
	for _, l := range s.ByLead {
		want.Lead[l.Organization] = [2]int{int(l.Measures), int(l.Overdue)}
	}
	for _, a := range s.ByArticle {
		want.Article[strconv.Itoa(int(a.Article))] = [2]int{int(a.Measures), int(a.Overdue)}
	}
	return want
}

func (s *sdkServer) anonymous(t *testing.T) *napclient.ClientWithResponses {
	t.Helper()
	c, err := napclient.NewClientWithResponses(s.url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// measureCodes lists the codes of the plan's measures the API gives the public under params.
func measureCodes(t *testing.T, c *napclient.ClientWithResponses, planID uuid.UUID, params napclient.ListMeasuresParams) []string {
	t.Helper()
	var codes []string
	for m, err := range napclient.All(context.Background(), func(ctx context.Context, cursor *string) (*napclient.ListMeasuresResponse, error) {
		params.Cursor = cursor
		return c.ListMeasuresWithResponse(ctx, planID, &params)
	}) {
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, m.Code)
	}
	return codes
}

const shownCodes = `[...document.querySelectorAll("#measures tbody tr[data-code]")].map((tr) => tr.dataset.code)`

// TestDashboardInBrowser opens /dashboard in headless Chromium against a live seeded server,
// as the public: the counts are the API's summary, paging walks every measure of the plan,
// a filter shows what the API lists for it, an update approved through the API appears with
// its evidence digest without a reload, the language switches, a pasted token stays in this
// tab's sessionStorage, and no request leaves the machine.
func TestDashboardInBrowser(t *testing.T) {
	b := startBrowser(t)
	s := startSDKServer(t)
	public := s.anonymous(t)
	plans, err := public.ListPlansWithResponse(context.Background(), nil)
	if err != nil || plans.JSON200 == nil || len(plans.JSON200.Items) != 1 {
		t.Fatalf("plans: %v %s", err, body(plans))
	}
	planID := plans.JSON200.Items[0].ID
	started := time.Now()

	b.do(t, "open the dashboard", chromedp.Navigate(s.url+"/dashboard"))
	b.waitFor(t, "the counts, the first page and the live stream", `document.querySelectorAll("#by-status tbody tr").length === 8
		&& document.querySelectorAll("#measures tbody tr[data-code]").length > 0
		&& document.getElementById("live").textContent !== ""`)
	t.Logf("the dashboard drew the plan and connected in %s", time.Since(started).Round(time.Millisecond))
	if lang := eval[string](t, b, `document.documentElement.lang`); lang != "en" {
		t.Errorf("the page's language is %q, want en (the browser's)", lang)
	}
	if got, want := eval[shownTallies](t, b, readTallies), wantTallies(t, public, planID); !equalTallies(got, want) {
		t.Fatalf("the dashboard shows %+v, the summary says %+v", got, want)
	}

	// Ten rows a page, and the keyboard turns the pages: every measure once, in order.
	b.do(t, "ten rows a page", setField("f-limit", "10"), chromedp.Click(chromedp.CSS(`#filters button[type="submit"]`)))
	b.waitFor(t, "the first page of ten", `document.getElementById("measures").dataset.page === "1"
		&& document.querySelectorAll("#measures tbody tr[data-code]").length === 10`)
	var walked, previous []string
	pages := 1
	for {
		page := eval[[]string](t, b, shownCodes)
		walked = append(walked, page...)
		if eval[bool](t, b, `document.getElementById("next").disabled`) {
			break
		}
		previous = page
		pages++
		b.do(t, "next page", chromedp.Focus(chromedp.ID("next")), chromedp.KeyEvent(kb.Enter))
		b.waitFor(t, fmt.Sprintf("page %d", pages), fmt.Sprintf(`document.getElementById("measures").dataset.page === "%d"
			&& document.getElementById("measures").getAttribute("aria-busy") === "false"`, pages))
	}
	if all := measureCodes(t, public, planID, napclient.ListMeasuresParams{Limit: ptr[int64](500)}); !slices.Equal(walked, all) || pages < 2 {
		t.Fatalf("paging showed %v in %d pages, the API lists %v", walked, pages, all)
	}
	b.do(t, "previous page", chromedp.Click(chromedp.ID("prev")))
	b.waitFor(t, "the page before the last", fmt.Sprintf(`document.getElementById("measures").dataset.page === "%d"`, pages-1))
	if back := eval[[]string](t, b, shownCodes); !slices.Equal(back, previous) {
		t.Fatalf("back a page shows %v, it showed %v", back, previous)
	}

	// A filter: what the lead ministry leads, as the API lists it.
	lead := s.measure.Lead
	b.do(t, "filter by lead", setField("f-limit", "100"), setField("f-lead", lead),
		chromedp.Click(chromedp.CSS(`#filters button[type="submit"]`)))
	b.waitFor(t, "the filtered list", `document.getElementById("measures").dataset.page === "1"
		&& [...document.querySelectorAll("#measures tbody tr[data-code]")].length > 0`)
	want := measureCodes(t, public, planID, napclient.ListMeasuresParams{Lead: &lead, Limit: ptr[int64](500)})
	b.waitFor(t, "the measures "+lead+" leads", fmt.Sprintf(`JSON.stringify(%s) === %q`, shownCodes, mustJSON(t, want)))
	b.do(t, "clear the filters", chromedp.Click(chromedp.CSS(`#filters button[type="reset"]`)))
	b.waitFor(t, "every measure again", fmt.Sprintf(`document.querySelector("#measures tbody tr[data-code]")?.dataset.code === %q`, walked[0]))

	// An update approved for the public through the API reaches the open page by itself.
	if !eval[bool](t, b, `(window.notReloaded = true)`) {
		t.Fatal("could not mark the page")
	}
	measureID, update, evidence := approvePublicUpdate(t, s)
	after := wantTallies(t, public, planID)
	b.waitFor(t, "the approval in the counts and the table", fmt.Sprintf(`document.querySelector('#by-status tr[data-key="in_progress"] td')?.textContent === "%d"
		&& document.querySelector('#measures tr[data-id="%s"] [data-status]')?.dataset.status === "in_progress"`, after.Status["in_progress"], measureID))
	if got := eval[shownTallies](t, b, readTallies); !equalTallies(got, after) {
		t.Fatalf("after the approval the dashboard shows %+v, the summary says %+v", got, after)
	}
	if !eval[bool](t, b, `window.notReloaded === true`) {
		t.Fatal("the page reloaded to show the approval")
	}

	// The measure's approved updates, with the evidence and its digest.
	b.do(t, "open the measure", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#measures tr[data-id="%s"] button`, measureID))))
	b.waitFor(t, "the approved update and its evidence", fmt.Sprintf(`document.querySelector('#updates [data-update="%s"] [data-evidence="%s"] code.sha')?.textContent === %q
		&& document.activeElement?.id === "detail-heading"`, update, evidence.ID, deref(evidence.Sha256)))

	if path := os.Getenv("NAPTRACKER_DASHBOARD_PNG"); path != "" {
		b.do(t, "back to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil || os.WriteFile(path, png, 0o644) != nil { //nolint:gosec // a picture for the README
			t.Fatalf("screenshot to %s: %v", path, err)
		}
	}

	// In Russian: the page says so, and texts come in Russian.
	b.do(t, "switch to Russian", setField("lang", "ru"))
	b.waitFor(t, "the Russian page", fmt.Sprintf(`document.documentElement.lang === "ru"
		&& document.querySelector('#measures tr[data-id="%s"] td:nth-child(2)')?.textContent === %q`, measureID, s.measure.Title["ru"]))

	// A partner's token is kept in this tab only, and the page says whose view it is.
	b.do(t, "paste a token", setField("token", s.tokens["partner"]), chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)))
	b.waitFor(t, "the partner's view", fmt.Sprintf(`sessionStorage.getItem("naptracker.token") === %q && localStorage.getItem("naptracker.token") === null
		&& document.getElementById("forget").hidden === false`, s.tokens["partner"]))
	b.waitFor(t, "the live stream with the token", `document.getElementById("live").textContent !== ""`)

	b.checkRequests(t, s.url, "/dashboard/app.js", "/v1/plans/", "/v1/changes/stream")
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %v", errs)
	}
}

// TestDocsInBrowser opens /docs in headless Chromium with the network cut: the reference
// renders every operation of the API from assets the server embeds, and asks nothing of any
// other host.
func TestDocsInBrowser(t *testing.T) {
	b := startBrowser(t)
	s := startSDKServer(t)
	operations := 0
	for _, item := range httpapi.Spec().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op != nil {
				operations++
			}
		}
	}
	started := time.Now()
	b.do(t, "open / (the docs)", chromedp.Navigate(s.url+"/"))
	b.waitFor(t, fmt.Sprintf("the %d operations", operations), fmt.Sprintf(`location.pathname === "/docs"
		&& document.querySelectorAll(".opblock").length === %d`, operations))
	t.Logf("the reference drew %d operations in %s", operations, time.Since(started).Round(time.Millisecond))
	b.checkRequests(t, s.url, "/docs/assets/swagger-ui-bundle.js", "/openapi.json")
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %v", errs)
	}
}

func equalTallies(a, b shownTallies) bool {
	return a.Total == b.Total && a.Overdue == b.Overdue && mapsEqual(a.Status, b.Status) && mapsEqual(a.Lead, b.Lead) && mapsEqual(a.Article, b.Article)
}

func mapsEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// approvePublicUpdate takes an update for the server's measure through review as the people
// who do it: the focal point drafts it for the public with a file as evidence and submits it,
// the approver signs it off and the coordinator approves it. It returns the measure, the
// update and the evidence.
func approvePublicUpdate(t *testing.T, s *sdkServer) (measureID, updateID string, evidence napclient.Evidence) {
	t.Helper()
	ctx := context.Background()
	focal := s.client(t, "focal_point")
	found, err := focal.ListMeasuresWithResponse(ctx, s.planID(t), &napclient.ListMeasuresParams{Code: &s.measure.Code})
	if err != nil || found.JSON200 == nil || len(found.JSON200.Items) != 1 {
		t.Fatalf("measure %s: %v %s", s.measure.Code, err, body(found))
	}
	measure := found.JSON200.Items[0].ID
	periods, err := focal.ListReportingPeriodsWithResponse(ctx, s.planID(t), &napclient.ListReportingPeriodsParams{Limit: ptr[int64](500)})
	if err != nil || periods.JSON200 == nil || len(periods.JSON200.Items) == 0 {
		t.Fatalf("periods: %v %s", err, body(periods))
	}
	period := periods.JSON200.Items[len(periods.JSON200.Items)-1]
	created, err := focal.CreateProgressUpdateWithResponse(ctx, measure, nil, napclient.NewProgressUpdate{
		PeriodID: period.ID, ProposedStatus: napclient.ReportedStatusInProgress,
		ProgressPercent: ptr[int64](40), Visibility: ptr(napclient.VisibilityPublic),
		Narrative: &napclient.TextInput{En: ptr("The draft law went to the Government."), Ru: ptr("Проект закона направлен в Правительство.")},
	})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create update: %v %s", err, body(created))
	}
	update := created.JSON201.ID

	// The evidence: a file, whose digest the server computes.
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	meta, _ := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="metadata"`}, "Content-Type": {"application/json"}})
	fmt.Fprint(meta, `{"kind": "report", "title": {"en": "Working group minutes", "ru": "Протокол рабочей группы"}, "visibility": "public"}`)
	file, _ := w.CreateFormFile("file", "minutes.txt")
	fmt.Fprint(file, "Minutes of the working group on the draft law.\n")
	w.Close()
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/updates/"+update.String()+"/evidence", &form)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.tokens["focal_point"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated || json.NewDecoder(res.Body).Decode(&evidence) != nil || deref(evidence.Sha256) == "" {
		t.Fatalf("evidence: %d %+v", res.StatusCode, evidence)
	}

	if r, err := focal.SubmitProgressUpdateWithResponse(ctx, update, nil, napclient.ReviewComment{}); err != nil || r.JSON200 == nil {
		t.Fatalf("submit: %v %s", err, body(r))
	}
	if r, err := s.client(t, "approver").SignOffProgressUpdateWithResponse(ctx, update, nil, napclient.ReviewComment{}); err != nil || r.JSON200 == nil {
		t.Fatalf("sign off: %v %s", err, body(r))
	}
	if r, err := s.client(t, "coordinator").ApproveProgressUpdateWithResponse(ctx, update, nil, napclient.ReviewComment{}); err != nil || r.JSON200 == nil {
		t.Fatalf("approve: %v %s", err, body(r))
	}
	return measure.String(), update.String(), evidence
}

// planID is the id of the seeded plan.
func (s *sdkServer) planID(t *testing.T) uuid.UUID {
	t.Helper()
	plans, err := s.anonymous(t).ListPlansWithResponse(context.Background(), &napclient.ListPlansParams{Code: &s.ds.Plan.Code})
	if err != nil || plans.JSON200 == nil || len(plans.JSON200.Items) != 1 {
		t.Fatalf("plan %s: %v %s", s.ds.Plan.Code, err, body(plans))
	}
	return plans.JSON200.Items[0].ID
}
