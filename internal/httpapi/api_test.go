package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/seed"
	"github.com/naptracker/naptracker/internal/service"
)

func TestBadInputIsAProblem(t *testing.T) {
	f := newFixture(t, today)
	measures := "/v1/plans/" + f.planID + "/measures"
	cases := []struct {
		path   string
		status int
		where  string // the location the problem names, if any
	}{
		{"/v1/measures/not-a-uuid", http.StatusUnprocessableEntity, "path.id"},
		{"/v1/plans/123/measures", http.StatusUnprocessableEntity, "path.id"},
		{"/v1/recommendations/x", http.StatusUnprocessableEntity, "path.id"},
		{measures + "?limit=0", http.StatusUnprocessableEntity, "query.limit"},
		{measures + "?limit=501", http.StatusUnprocessableEntity, "query.limit"},
		{measures + "?limit=ten", http.StatusUnprocessableEntity, "query.limit"},
		{measures + "?status=done", http.StatusUnprocessableEntity, "query.status[0]"},
		{measures + "?status=implemented&status=in_progress", http.StatusUnprocessableEntity, ""},
		{measures + "?lead=MLME&lead=MIA", http.StatusUnprocessableEntity, ""},
		{measures + "?overdue=maybe", http.StatusUnprocessableEntity, "query.overdue"},
		{measures + "?status=implemented,done", http.StatusUnprocessableEntity, "query.status[1]"},
		{measures + "?overdue=false", http.StatusOK, ""},
		{"/v1/plans?status=retired", http.StatusUnprocessableEntity, "query.status"},
		{"/v1/plans/" + f.planID + "/export?lang=fr", http.StatusUnprocessableEntity, "query.lang"},
		{"/v1/plans/" + f.planID + "/report?lang=other", http.StatusUnprocessableEntity, "query.lang"},
		{measures + "?article=94", http.StatusUnprocessableEntity, "query.article"},
		{measures + "?due_before=31.12.2014", http.StatusUnprocessableEntity, "query.due_before"},
		{measures + "?due_after=2015-01-01&due_before=2014-01-01", http.StatusUnprocessableEntity, ""},
		{measures + "?cursor=garbage", http.StatusUnprocessableEntity, ""},
		{measures + "?cursor=" + url.QueryEscape("eyJrIjoiMSIsImkiOiJ4In0"), http.StatusUnprocessableEntity, ""},
		{measures + "?q=" + strings.Repeat("a", 201), http.StatusUnprocessableEntity, "query.q"},
		{"/v1/measures/" + uuid.NewString(), http.StatusNotFound, ""},
		{"/v1/plans/" + uuid.NewString(), http.StatusNotFound, ""},
		{"/v1/plans/" + uuid.NewString() + "/measures", http.StatusNotFound, ""},
		{"/v1/plans/" + uuid.NewString() + "/summary", http.StatusNotFound, ""},
		{"/v1/plans/" + uuid.NewString() + "/periods", http.StatusNotFound, ""},
		{"/v1/recommendations/" + uuid.NewString(), http.StatusNotFound, ""},
		{"/v1/organizations/NOPE", http.StatusNotFound, ""},
		{"/v1/measures/urn:uuid:" + uuid.NewString(), http.StatusUnprocessableEntity, ""},
		{"/v1/plans/{" + uuid.NewString() + "}", http.StatusNotFound, ""},
		{measures + "?recommendation=urn:uuid:" + uuid.NewString(), http.StatusUnprocessableEntity, "query.recommendation"},
		{measures + "?overdue=1", http.StatusUnprocessableEntity, "query.overdue"},
		{measures + "?overdue=TRUE", http.StatusUnprocessableEntity, "query.overdue"},
		{measures + "?overdue=true", http.StatusOK, ""},
		{measures + "?lead=ms", http.StatusUnprocessableEntity, "query.lead"},
		{"/v1/plans/" + f.planID + "/export?bom=yes", http.StatusUnprocessableEntity, "query.bom"},
		{measures + "?q=a%00b", http.StatusUnprocessableEntity, ""},
		{measures + "?lead=%FF", http.StatusUnprocessableEntity, ""},
		{measures + "?code=%00", http.StatusUnprocessableEntity, ""},
		{"/v1/recommendations?theme=%00", http.StatusUnprocessableEntity, ""},
		{"/v1/organizations/M%00S", http.StatusUnprocessableEntity, ""},
		{"/v1/organizations/%FF", http.StatusUnprocessableEntity, ""},
		{measures + "?cursor=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte(`{"k":"\u0000","i":"`+uuid.NewString()+`"}`))), http.StatusUnprocessableEntity, ""},
		{"/v1/no-such-thing", http.StatusNotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			if c.status == http.StatusOK {
				if res, body := f.get(c.path); res.StatusCode != http.StatusOK {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
				return
			}
			p := f.getProblem(c.path, c.status)
			if p.Detail == "" {
				t.Error("problem without detail")
			}
			if c.where != "" && !slices.ContainsFunc(p.Errors, func(e problemDetail) bool {
				return e.Location == c.where
			}) {
				t.Errorf("problem does not name %s: %+v", c.where, p)
			}
		})
	}

	res, body := f.do(http.MethodDelete, "/v1/plans/"+f.planID)
	f.mustProblem(res, body, http.StatusMethodNotAllowed)
	if allow := res.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("405 without Allow: %q", allow)
	}
}

func TestDraftPlansAreNotPublic(t *testing.T) {
	f := newFixture(t, today)
	planID, measureID := uuid.NewString(), uuid.NewString()
	err := f.db.Gorm().Exec(`INSERT INTO plans (id, code, title, period_start, period_end, status, provenance)
		VALUES (?, 'DRAFT-1', '{"en": "A plan in preparation"}', '2027-01-01', '2028-12-31', 'draft', 'illustrative')`, planID).Error
	if err == nil {
		err = f.db.Gorm().Exec(`INSERT INTO measures (id, plan_id, code, title, lead_id, provenance)
			SELECT ?, ?, '1.1', '{"en": "Not yet public"}', id, 'illustrative' FROM organizations WHERE code = 'MS'`,
			measureID, planID).Error
	}
	if err != nil {
		t.Fatal(err)
	}
	var plans page[struct{ Code string }]
	f.getJSON("/v1/plans", &plans)
	if len(plans.Items) != 1 || plans.Items[0].Code != f.ds.Plan.Code {
		t.Errorf("public plans: %+v", plans.Items)
	}
	f.getJSON("/v1/plans?status=draft", &plans)
	if len(plans.Items) != 0 {
		t.Errorf("status=draft lists %+v", plans.Items)
	}
	paths := []string{"/v1/plans/" + planID, "/v1/plans/" + planID + "/measures",
		"/v1/plans/" + planID + "/summary", "/v1/plans/" + planID + "/periods",
		"/v1/measures/" + measureID, "/v1/measures/" + measureID + "/indicators"}
	for _, path := range paths {
		f.getProblem(path, http.StatusNotFound)
	}
	// Partners read what is published; state bodies and the coordinator read drafts too.
	partner := f.newCaller(nap.RolePartner, "")
	for _, path := range paths {
		f.getProblem(path, http.StatusNotFound, partner.auth()...)
	}
	f.getProblem("/v1/plans/"+planID, http.StatusNotFound, f.newCaller(nap.RolePartner, "").auth()...)
	res, body := f.send("PATCH", "/v1/plans/"+planID, map[string]any{"status": "adopted"}, append(partner.auth(), "If-Match", `"1"`)...)
	f.mustProblem(res, body, http.StatusNotFound)
	for _, c := range []caller{f.newCaller(nap.RoleCoordinator, ""), f.newCaller(nap.RoleFocalPoint, "MFA"), f.newCaller(nap.RoleAuditor, "")} {
		for _, path := range paths {
			if res, body := f.get(path, c.auth()...); res.StatusCode != http.StatusOK {
				t.Errorf("%s reads %s: %d %s", c.name, path, res.StatusCode, body)
			}
		}
	}
}

func TestCatalog(t *testing.T) {
	f := newFixture(t, today)

	var orgs page[struct {
		Code, Successor, Parent string
		Active                  bool
		Name                    map[string]string
	}]
	f.getJSON("/v1/organizations?limit=500", &orgs)
	if len(orgs.Items) != len(f.ds.Organizations) {
		t.Errorf("%d organizations, want %d", len(orgs.Items), len(f.ds.Organizations))
	}
	for _, o := range orgs.Items {
		if o.Code == "MLSP" && (o.Successor != "MLME" || o.Active) {
			t.Errorf("MLSP: successor %q active %v", o.Successor, o.Active)
		}
		if o.Code == "MS" && o.Parent != "MLME" {
			t.Errorf("MS: parent %q", o.Parent)
		}
	}
	var ms struct{ Code string }
	f.getJSON("/v1/organizations/MS", &ms)
	if ms.Code != "MS" {
		t.Errorf("GET /v1/organizations/MS: %+v", ms)
	}

	var docs page[struct{ Symbol string }]
	f.getJSON("/v1/source-documents", &docs)
	if len(docs.Items) != len(f.ds.Documents) {
		t.Errorf("%d documents, want %d", len(docs.Items), len(f.ds.Documents))
	}

	var recs page[struct {
		ID, Code, Document string
		Articles           []int
		Themes             []string
	}]
	f.getJSON("/v1/recommendations?limit=500&document="+url.QueryEscape("CMW/C/TJK/CO/1"), &recs)
	if len(recs.Items) != len(f.ds.Documents[0].Recommendations) {
		t.Errorf("%d recommendations, want %d", len(recs.Items), len(f.ds.Documents[0].Recommendations))
	}
	if recs.Items[1].Code != "CO1-R02" || recs.Items[9].Code != "CO1-R10" {
		t.Errorf("recommendations out of order: %s, %s", recs.Items[1].Code, recs.Items[9].Code)
	}
	var byArticle, byTheme page[struct {
		Articles []int
		Themes   []string
	}]
	f.getJSON("/v1/recommendations?limit=500&article=68", &byArticle)
	f.getJSON("/v1/recommendations?limit=500&theme=trafficking", &byTheme)
	if len(byArticle.Items) == 0 || len(byTheme.Items) == 0 {
		t.Fatalf("article=68: %d, theme=trafficking: %d", len(byArticle.Items), len(byTheme.Items))
	}
	for _, r := range byArticle.Items {
		if !slices.Contains(r.Articles, 68) {
			t.Errorf("article=68 lists %+v", r)
		}
	}
	for _, r := range byTheme.Items {
		if !slices.Contains(r.Themes, "trafficking") {
			t.Errorf("theme=trafficking lists %+v", r)
		}
	}
	var one struct{ Code string }
	f.getJSON("/v1/recommendations/"+recs.Items[0].ID, &one)
	if one.Code != recs.Items[0].Code {
		t.Errorf("GET recommendation: %+v", one)
	}

	var plan struct {
		Code, PeriodEnd, ExtendedTo, ApprovedOn, ApprovedBy, Status string
		RequiresSignOff                                             bool `json:"requires_sign_off"`
	}
	f.getJSON("/v1/plans/"+f.planID, &plan)
	if plan.Code != f.ds.Plan.Code || plan.Status != "active" || !plan.RequiresSignOff {
		t.Errorf("plan: %+v", plan)
	}
	var periods page[struct{ Label, State string }]
	f.getJSON("/v1/plans/"+f.planID+"/periods?limit=500", &periods)
	want, _ := f.ds.Plan.Reporting.Periods()
	if len(periods.Items) != len(want) || periods.Items[0].Label != "2013-H2" || periods.Items[len(want)-1].Label != want[len(want)-1].Label {
		t.Errorf("periods: %+v", periods.Items)
	}
}

func TestPlanSummary(t *testing.T) {
	f := newFixture(t, today)
	type tally struct {
		Measures, Overdue int
		ByStatus          map[string]int `json:"by_status"`
	}
	var s struct {
		AsOf   string `json:"as_of"`
		Total  tally
		ByLead []struct {
			Organization string
			tally
		} `json:"by_lead"`
		ByArticle []struct {
			Article int
			tally
		} `json:"by_article"`
		ByRecommendation []struct {
			Recommendation struct{ Code string }
			tally
		} `json:"by_recommendation"`
	}
	f.getJSON("/v1/plans/"+f.planID+"/summary", &s)
	n := len(f.ds.Plan.Measures)
	statuses := map[string]int{}
	for _, m := range f.ds.Plan.Measures {
		statuses[string(seededStatus(f.ds, m))]++
	}
	if s.AsOf != "2026-11-27" || s.Total.Measures != n {
		t.Errorf("total: %+v as of %s", s.Total, s.AsOf)
	}
	for st, k := range statuses {
		if s.Total.ByStatus[st] != k {
			t.Errorf("%d measures %s, want %d", s.Total.ByStatus[st], st, k)
		}
	}
	wantOverdue := len(codesWhere(f.ds, func(m seed.Measure) bool { return overdueOn(f.ds, m, today) }))
	if s.Total.Overdue != wantOverdue {
		t.Errorf("overdue %d, want %d", s.Total.Overdue, wantOverdue)
	}
	leads, leadsOverdue := map[string]int{}, map[string]int{}
	articles := map[int]int{}
	recs := map[string]int{}
	for _, m := range f.ds.Plan.Measures {
		leads[m.Lead]++
		if overdueOn(f.ds, m, today) {
			leadsOverdue[m.Lead]++
		}
		for _, a := range m.Articles {
			articles[a]++
		}
		for _, r := range m.Recommendations {
			recs[r]++
		}
	}
	if len(s.ByLead) != len(leads) || len(s.ByArticle) != len(articles) || len(s.ByRecommendation) != len(recs) {
		t.Fatalf("groups: %d leads (want %d), %d articles (want %d), %d recommendations (want %d)",
			len(s.ByLead), len(leads), len(s.ByArticle), len(articles), len(s.ByRecommendation), len(recs))
	}
	for _, l := range s.ByLead {
		if l.Measures != leads[l.Organization] || l.Overdue != leadsOverdue[l.Organization] {
			t.Errorf("lead %s: %+v, want %d", l.Organization, l.tally, leads[l.Organization])
		}
	}
	for _, a := range s.ByArticle {
		if a.Measures != articles[a.Article] {
			t.Errorf("article %d: %d, want %d", a.Article, a.Measures, articles[a.Article])
		}
	}
	for _, r := range s.ByRecommendation {
		if r.Measures != recs[r.Recommendation.Code] {
			t.Errorf("recommendation %s: %d, want %d", r.Recommendation.Code, r.Measures, recs[r.Recommendation.Code])
		}
	}
}

// TestInternalErrorsAreBare checks that a failure of ours is logged with the request id and
// answered with a bare 500 that carries none of its text.
func TestInternalErrorsAreBare(t *testing.T) {
	f := newFixture(t, today)
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(logging.New(&logs, slog.LevelInfo))
	t.Cleanup(func() { slog.SetDefault(prev) })

	if err := f.app.Close(); err != nil {
		t.Fatal(err)
	}
	res, body := f.get("/v1/plans/"+f.planID+"/measures", "X-Request-ID", "trace-me-42")
	p := f.mustProblem(res, body, http.StatusInternalServerError)
	if p.Detail != "internal error" || len(p.Errors) != 0 || strings.Contains(string(body), "sql") {
		t.Errorf("500 body says too much: %s", body)
	}
	id := res.Header.Get("X-Request-ID")
	if id == "" || id == "trace-me-42" {
		t.Errorf("X-Request-ID %q: not the server's own", id)
	}
	if !strings.Contains(logs.String(), `"msg":"request failed"`) || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) ||
		!strings.Contains(logs.String(), `"client_request_id":"trace-me-42"`) || !strings.Contains(logs.String(), "database is closed") {
		t.Errorf("the failure is not logged with its request id and cause:\n%s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDatabaseOutage: while the database cannot be reached, readiness and every API request
// answer 503 with Retry-After, as a problem, liveness stays 200, and the server recovers by
// itself when the database is back.
func TestDatabaseOutage(t *testing.T) {
	target, err := url.Parse(pgtest.AppDSN(pgtest.NewDatabase(t)))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, target.Host)
	target.Host = proxy.addr()
	ctx := context.Background()
	db, err := postgres.Open(ctx, target.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	enforcer, err := authz.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: db, Blobs: db.Blobs(), Authorizer: enforcer})
	h, err := httpapi.New(listening(t, target.String(), enforcer, httpapi.Deps{Service: svc, Authorizer: enforcer, Ready: db.Ping}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	call := func(path string, header ...string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	u, err := svc.CreateUser(ctx, "outage@example.org", "Outage")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.IssueToken(ctx, u.ID, "outage", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/v1/plans", "/v1/organizations", "/v1/changes", "/v1/me"}

	if res := call("/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("readyz with the database up: %d", res.StatusCode)
	}
	proxy.cut(true)
	for _, path := range append(paths, "/readyz") {
		res := call(path, "Authorization", "Bearer "+token)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" && path != "/readyz" ||
			res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s with the database gone: %d, Retry-After %q, %s", path, res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"))
		}
	}
	if res := call("/healthz"); res.StatusCode != http.StatusOK {
		t.Fatalf("healthz with the database gone: %d", res.StatusCode)
	}
	proxy.cut(false)
	for _, path := range append(paths, "/readyz") {
		for deadline := time.Now().Add(10 * time.Second); call(path, "Authorization", "Bearer "+token).StatusCode != http.StatusOK; {
			if time.Now().After(deadline) {
				t.Fatalf("%s does not recover after the database came back", path)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// cutProxy forwards TCP to a PostgreSQL server until cut, when it drops every connection
// and refuses new ones, as a database that went away would.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go p.serve()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func (p *cutProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			client.Close()
			continue
		}
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client); server.Close() }()
		go func() { _, _ = io.Copy(client, server); client.Close() }()
	}
}

func TestEveryErrorCodeHasAStatus(t *testing.T) {
	for code, want := range map[string]int{nap.EINVALID: 422, nap.ENOTFOUND: 404, nap.ECONFLICT: 409,
		nap.EUNAUTHORIZED: 401, nap.EFORBIDDEN: 403, nap.EPRECONDITION: 412, nap.ENOVERSION: 428, nap.ETOOMANY: 429,
		nap.EMALFORMED: 400} {
		if got := httpapi.StatusOf(code); got != want {
			t.Errorf("%s: %d, want %d", code, got, want)
		}
	}
	if httpapi.StatusOf(nap.EINTERNAL) != http.StatusInternalServerError || httpapi.StatusOf("made-up") != http.StatusInternalServerError {
		t.Error("unknown codes must be 500")
	}
}

func TestMain(m *testing.M) {
	// Request logs would drown test output.
	slog.SetDefault(logging.New(io.Discard, slog.LevelInfo))
	os.Exit(m.Run())
}
