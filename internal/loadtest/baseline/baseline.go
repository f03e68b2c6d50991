// Package baseline serves a page of a plan's measures, and one measure, straight from
// PostgreSQL, with pgx,
// encoding/json and net/http and nothing else: no API framework, no ORM, no authorization.
// It exists to measure what the API's layers cost against the least a server must do to
// answer the same request; it answers as an anonymous caller would be answered (published
// plans only, the public's statuses) and is never part of the service.
package baseline

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/naptracker/naptracker/internal/nap"
)

// Handler serves GET /v1/plans/{id}/measures with the API's filters lead, organization,
// status, article, overdue and code, its keyset pages and its JSON, and GET /v1/measures/{id}
// with the API's JSON.
func Handler(pool *pgxpool.Pool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/plans/{id}/measures", func(w http.ResponseWriter, r *http.Request) {
		listMeasures(pool, w, r)
	})
	mux.HandleFunc("GET /v1/measures/{id}", func(w http.ResponseWriter, r *http.Request) {
		getMeasure(pool, w, r)
	})
	return mux
}

// The columns and joins of the API's measures (internal/postgres/measures.go), in SQL; $3
// is the plan of a list, the measure of a detail.
const selectMeasures = `SELECT m.id, m.version, m.created_at, m.updated_at, m.provenance, m.provenance_note,
	m.plan_id, m.code, m.title, m.description, m.expected_result, m.deadline_text,
	m.due_start, m.due_end, lead.code, to_jsonb(m.articles),
	m.status_public, m.progress_public, ` + overdue + `,
	coalesce((SELECT jsonb_agg(o.code ORDER BY o.code) FROM measure_organizations mo
		JOIN organizations o ON o.id = mo.organization_id
		WHERE mo.measure_id = m.id AND mo.role = 'co_implementer'), '[]'),
	coalesce((SELECT jsonb_agg(o.code ORDER BY o.code) FROM measure_organizations mo
		JOIN organizations o ON o.id = mo.organization_id
		WHERE mo.measure_id = m.id AND mo.role = 'partner'), '[]'),
	coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'document', d.symbol, 'code', r.code,
			'paragraph', r.paragraph) ORDER BY d.symbol, r.code)
		FROM measure_recommendations mr
		JOIN recommendations r ON r.id = mr.recommendation_id
		JOIN source_documents d ON d.id = r.document_id
		WHERE mr.measure_id = m.id), '[]')
FROM measures m
JOIN organizations lead ON lead.id = m.lead_id
JOIN plans p ON p.id = m.plan_id
WHERE p.status <> 'draft'`

// overdue is true for a measure due before $1 (today) whose status is not one of $2 (closed).
const overdue = `(m.due_end IS NOT NULL AND m.due_end < $1 AND m.status_public <> ALL($2::text[]))`

var closedStatuses = func() []string {
	var s []string
	for _, st := range nap.Statuses {
		if st.Closed() {
			s = append(s, string(st))
		}
	}
	return s
}()

// query builds the statement for one page: its filters, the cursor's place and one row more
// than the page, to tell whether another follows.
type query struct {
	sql  strings.Builder
	args []any
}

func (q *query) where(cond string, args ...any) {
	for _, a := range args {
		q.args = append(q.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(q.args)), 1)
	}
	q.sql.WriteString(" AND " + cond)
}

type cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

func listMeasures(pool *pgxpool.Pool, w http.ResponseWriter, r *http.Request) {
	planID, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "the plan id is not a UUID")
		return
	}
	vals := r.URL.Query()
	limit := 50
	if s := vals.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			problem(w, http.StatusUnprocessableEntity, "limit must be from 1 to 500")
			return
		}
	}
	q := &query{args: []any{today(), closedStatuses, planID}}
	q.sql.WriteString(selectMeasures + " AND m.plan_id = $3")
	for name := range vals {
		switch name {
		case "limit", "cursor":
		case "code":
			q.where("m.code = ?", vals.Get(name))
		case "lead":
			q.where("lead.code = ?", vals.Get(name))
		case "organization":
			q.where(`(lead.code = ? OR EXISTS (SELECT 1 FROM measure_organizations mo
				JOIN organizations o ON o.id = mo.organization_id
				WHERE mo.measure_id = m.id AND mo.role = 'co_implementer' AND o.code = ?))`, vals.Get(name), vals.Get(name))
		case "status":
			q.where("m.status_public = ANY(?::text[])", strings.Split(vals.Get(name), ","))
		case "article":
			a, err := strconv.Atoi(vals.Get(name))
			if err != nil || a < 1 || a > 93 {
				problem(w, http.StatusUnprocessableEntity, "article must be from 1 to 93")
				return
			}
			q.where("m.articles @> ARRAY[?]::smallint[]", a)
		case "overdue":
			switch vals.Get(name) {
			case "true":
				q.where(overdue)
			case "false":
				q.where("NOT " + overdue)
			default:
				problem(w, http.StatusUnprocessableEntity, "overdue must be true or false")
				return
			}
		default:
			problem(w, http.StatusBadRequest, "the baseline does not implement the filter "+name)
			return
		}
	}
	if s := vals.Get("cursor"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			problem(w, http.StatusUnprocessableEntity, "cursor is not one this API returned")
			return
		}
		q.where("(m.code, m.id) > (?, ?::uuid)", c.Key, c.ID)
	}
	q.sql.WriteString(" ORDER BY m.code, m.id LIMIT " + strconv.Itoa(limit+1))

	items, err := scanMeasures(r.Context(), pool, q)
	if err != nil {
		problem(w, http.StatusInternalServerError, "the database failed")
		return
	}
	if len(items) == 0 {
		// An empty page of a plan that is not there, or is a draft, is the API's 404.
		var n int
		if err := pool.QueryRow(r.Context(), `SELECT count(*) FROM plans WHERE id = $1 AND status <> 'draft'`, planID).Scan(&n); err != nil {
			problem(w, http.StatusInternalServerError, "the database failed")
			return
		}
		if n == 0 {
			problem(w, http.StatusNotFound, "plan not found")
			return
		}
	}
	out := page{Items: items}
	if len(items) > limit {
		out.Items = items[:limit]
		last := items[limit-1]
		b, _ := json.Marshal(cursor{Key: last.Code, ID: last.ID})
		out.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// getMeasure answers with one measure, or the API's 404 when it is not there or its plan is a
// draft.
func getMeasure(pool *pgxpool.Pool, w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "the measure id is not a UUID")
		return
	}
	q := &query{args: []any{today(), closedStatuses, id}}
	q.sql.WriteString(selectMeasures + " AND m.id = $3")
	items, err := scanMeasures(r.Context(), pool, q)
	if err != nil {
		problem(w, http.StatusInternalServerError, "the database failed")
		return
	}
	if len(items) == 0 {
		problem(w, http.StatusNotFound, "measure not found")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(items[0])
}

// today is the day against which overdue is judged.
func today() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil {
		_, err = uuid.Parse(c.ID)
	}
	return c, err
}

func scanMeasures(ctx context.Context, pool *pgxpool.Pool, q *query) ([]measure, error) {
	rows, err := pool.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []measure
	for rows.Next() {
		var m measure
		var title, description, expected, deadline map[string]string
		var dueStart, dueEnd *time.Time
		if err := rows.Scan(&m.ID, &m.Version, &m.CreatedAt, &m.UpdatedAt, &m.Provenance, &m.ProvenanceNote,
			&m.PlanID, &m.Code, &title, &description, &expected, &deadline, &dueStart, &dueEnd, &m.Lead,
			&m.Articles, &m.CurrentStatus, &m.ProgressPercent, &m.Overdue,
			&m.CoImplementers, &m.Partners, &m.Recommendations); err != nil {
			return nil, err
		}
		m.Title, m.Description, m.ExpectedResult, m.DeadlineText = toText(title), toText(description), toText(expected), toText(deadline)
		m.DueStart, m.DueEnd = date(dueStart), date(dueEnd)
		if m.Articles == nil {
			m.Articles = []int{}
		}
		items = append(items, m)
	}
	return items, rows.Err()
}

// page and measure have the JSON fields of the API's measure list.
type page struct {
	Items      []measure `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

type measure struct {
	ID              string    `json:"id"`
	Version         int       `json:"version"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	PlanID          string    `json:"plan_id"`
	Code            string    `json:"code"`
	Title           text      `json:"title"`
	Description     text      `json:"description"`
	ExpectedResult  text      `json:"expected_result"`
	DeadlineText    text      `json:"deadline_text"`
	DueStart        *string   `json:"due_start,omitempty"`
	DueEnd          *string   `json:"due_end,omitempty"`
	Lead            string    `json:"lead"`
	CoImplementers  []string  `json:"co_implementers"`
	Partners        []string  `json:"partners"`
	Recommendations []struct {
		ID        string `json:"id"`
		Document  string `json:"document"`
		Code      string `json:"code"`
		Paragraph string `json:"paragraph"`
	} `json:"recommendations"`
	Articles        []int  `json:"articles"`
	CurrentStatus   string `json:"current_status"`
	ProgressPercent *int   `json:"progress_percent,omitempty"`
	Overdue         bool   `json:"overdue"`
	Provenance      string `json:"provenance"`
	ProvenanceNote  string `json:"provenance_note"`
}

type text struct {
	Tg string `json:"tg,omitempty"`
	Ru string `json:"ru,omitempty"`
	En string `json:"en,omitempty"`
}

func toText(t map[string]string) text { return text{Tg: t["tg"], Ru: t["ru"], En: t["en"]} }

func date(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(nap.DateLayout)
	return &s
}

// problem answers with an RFC 9457 problem, as the API does.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}

// Open connects to the database at url.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping: %w", err)
	}
	return pool, nil
}
