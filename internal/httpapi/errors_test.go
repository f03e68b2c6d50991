package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/nap"
)

// databaseWords are what PostgreSQL's own error texts are made of. No response carries any.
var databaseWords = regexp.MustCompile(`(?i)SQLSTATE|ERROR:|violates|constraint|duplicate key|relation "|syntax error|` +
	`invalid input syntax|out of range for type|invalid byte sequence|unsupported Unicode escape|Key \(|pgx|pq:|gorm`)

// databaseNames are the names of the schema's constraints and indexes, which no response
// carries either.
func (f *fixture) databaseNames(t testing.TB) []string {
	t.Helper()
	var names []string
	err := f.db.Gorm().Raw(`SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
		UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()`).Scan(&names).Error
	if err != nil || len(names) < 50 {
		t.Fatalf("%d names: %v", len(names), err)
	}
	return names
}

// speaksOfTheRequest fails when body shows anything of the database.
func speaksOfTheRequest(t testing.TB, names []string, what string, body []byte) {
	t.Helper()
	if m := databaseWords.Find(body); m != nil {
		t.Errorf("%s: the answer shows the database's words (%q): %.300s", what, m, body)
	}
	for _, n := range names {
		if strings.Contains(string(body), n) {
			t.Errorf("%s: the answer names %s: %.300s", what, n, body)
		}
	}
}

// TestErrorsSpeakOfTheRequest: bad input is refused in the API's words, naming the field and
// the rule it broke, and quoting no more than a short prefix of a bad value; never with the
// database's message, code or names.
func TestErrorsSpeakOfTheRequest(t *testing.T) {
	p := newProgressFixture(t)
	names := p.databaseNames(t)
	update, etag := p.draft(p.author)
	measures := "/v1/plans/" + p.planID + "/measures"
	huge := strings.Repeat("Ж", 400_000) // 800 KB

	for _, c := range []struct {
		name, method, path string
		body               any
		header             []string
		status             int
		location, detail   string
	}{
		{"NUL in a query", "GET", measures + "?q=%00", nil, nil, 422, "query.q", ""},
		{"not UTF-8 in a query", "GET", measures + "?q=%FF%FE", nil, nil, 422, "query.q", ""},
		{"NUL in a path", "GET", "/v1/organizations/M%00S", nil, nil, 422, "path", ""},
		{"NUL in JSON", "PATCH", "/v1/updates/" + update, map[string]any{"narrative": map[string]string{"en": "a\x00b"}},
			[]string{"If-Match", etag}, 422, "body.narrative.en", ""},
		{"a taken code", "POST", measures, map[string]any{"code": p.ds.Plan.Measures[0].Code, "title": map[string]string{"en": "Twice"}, "lead": "MS"},
			nil, 409, "body.code", "code: the plan has a measure with this code already"},
		{"an unknown organization", "POST", measures, map[string]any{"code": "99.1", "title": map[string]string{"en": "Nobody leads"}, "lead": "NOBODY"},
			nil, 422, "", ""},
		{"a huge bad value", "POST", "/v1/users", map[string]any{"email": huge, "name": "Huge"}, nil, 422, "", ""},
		{"a huge bad code", "POST", "/v1/organizations", map[string]any{"code": huge, "name": map[string]string{"en": "Huge"}, "kind": "ministry"},
			nil, 422, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			admin := p.newCaller(nap.RoleAdmin, "")
			auth := admin.auth()
			if c.method == "PATCH" {
				auth = p.author.auth()
			}
			res, b := p.send(c.method, c.path, c.body, append(c.header, auth...)...)
			problem := p.mustProblem(res, b, c.status)
			speaksOfTheRequest(t, names, c.name, b)
			if c.location != "" && (len(problem.Errors) == 0 || problem.Errors[0].Location != c.location) {
				t.Errorf("the problem does not name %s: %s", c.location, b)
			}
			if c.detail != "" && problem.Detail != c.detail {
				t.Errorf("detail %q, want %q", problem.Detail, c.detail)
			}
			if strings.Contains(string(b), strings.Repeat("Ж", nap.QuoteLimit)) {
				t.Errorf("the problem quotes more than %d bytes of a bad value (%d bytes)", nap.QuoteLimit, len(b))
			}
		})
	}
}

// FuzzQueryParameters sends bad bytes in every query parameter of every read: never a 5xx,
// never a word of the database's.
func FuzzQueryParameters(f *testing.F) {
	p := newProgressFixture(f)
	names := p.databaseNames(f)
	admin := p.newCaller(nap.RoleAdmin, "")
	update, _ := p.draft(p.author)
	ids := map[string]string{"plans": p.planID, "measures": p.measureID, "updates": update, "organizations": "MS",
		"users": admin.userID, "periods": p.periodID}
	type read struct{ path, param string }
	var reads []read
	for path, item := range httpapi.Spec().Paths {
		if item.Get == nil || strings.HasSuffix(path, "/stream") {
			continue
		}
		for _, param := range item.Get.Parameters {
			if param.In == "query" {
				reads = append(reads, read{filled(path, ids), param.Name})
			}
		}
	}
	slices.SortFunc(reads, func(a, b read) int { return strings.Compare(a.path+a.param, b.path+b.param) })
	if len(reads) < 30 {
		f.Fatalf("only %d query parameters", len(reads))
	}
	bad := []string{"\x00", "a\x00b", "\xff\xfe", "%", "'; DROP TABLE plans; --", "-1", "99999999999999999999", "1e309",
		"NaN", "2014-13-45", "00000000-0000-0000-0000-00000000000g", strings.Repeat("9", 5000), "MS,,,", "\u202e"}
	for i := range reads {
		for _, s := range bad {
			f.Add(uint16(i), s)
		}
	}
	for i, s := range naughtyStrings(f) {
		f.Add(uint16(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint16, value string) {
		r := reads[int(which)%len(reads)]
		u := r.path + "?" + url.Values{r.param: {value}}.Encode()
		req, err := http.NewRequest("GET", p.srv.URL+u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin.token)
		res, err := p.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode >= 500 {
			t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
		}
		speaksOfTheRequest(t, names, fmt.Sprintf("GET %.200s", u), b)
	})
}

// filled is path with its parameters replaced by ids of objects that exist, by the collection
// each follows.
func filled(path string, ids map[string]string) string {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, "{") && i > 0 {
			id, ok := ids[parts[i-1]]
			if !ok {
				id = ids["plans"]
			}
			parts[i] = id
		}
	}
	return strings.Join(parts, "/")
}
