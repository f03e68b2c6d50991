package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// The hottest reads are rendered by PostgreSQL: one statement reads the rows and writes them
// as JSON in the shape the API documents, and the bytes go to the client as they are,
// without being decoded into structs and encoded again. The rules of what a scope reads, of
// filters and of pages are the same queries the rest of the store uses; only the last step,
// writing each row, is done here.

// jsonTime writes a timestamptz expression as Go writes a time.Time: RFC 3339 in UTC with
// as many fractional digits as it needs, none when it has no fraction.
func jsonTime(expr string) string {
	return `(btrim(to_json((` + expr + `) AT TIME ZONE 'UTC')::text, '"') || 'Z')`
}

// jsonField is one member of an object jsonObject writes: its name, and SQL that gives its
// value as JSON text. An optional member is left out when its value is null.
type jsonField struct {
	name, value string
	optional    bool
}

// jsonObject writes an object of fields, in their order, as text. A page of 50 measures
// written so cost PostgreSQL 5% more than reading their columns; with jsonb_build_object and
// jsonb_strip_nulls, which copy every value into a jsonb and out again, 31% more. A member
// that is not optional is written null when its value is, as jsonb_build_object would: the
// object is never null, which would drop it from a list without a word.
func jsonObject(fields ...jsonField) string {
	var b strings.Builder
	b.WriteString(`('{'`)
	sep := ""
	for _, f := range fields {
		member := `'` + sep + `"` + f.name + `":' || `
		if f.optional {
			member = `CASE WHEN ` + f.value + ` IS NULL THEN '' ELSE ` + member + f.value + ` END`
		} else {
			member += `coalesce(` + f.value + `, 'null')`
		}
		b.WriteString(" || " + member)
		sep = ","
	}
	b.WriteString(` || '}')`)
	return b.String()
}

// jsonString is a string's JSON text, escaped; jsonWord is that of a value that needs no
// escaping (a UUID, or a word a CHECK constraint keeps to letters and underscores); jsonText
// that of a number, a boolean, or a json or jsonb value; jsonTimestamp that of a timestamptz.
func jsonString(expr string) string    { return `to_json(` + expr + `)::text` }
func jsonWord(expr string) string      { return `('"' || ` + expr + ` || '"')` }
func jsonText(expr string) string      { return expr + `::text` }
func jsonTimestamp(expr string) string { return jsonWord(jsonTime(expr)) }

// column is the member of a measure named as its column of m, written by as; optional makes
// a member optional.
func column(name string, as func(expr string) string) jsonField {
	return jsonField{name: name, value: as("m." + name)}
}

func optional(f jsonField) jsonField {
	f.optional = true
	return f
}

// measureJSON writes a row of measureColumns, aliased m, as a Measure, its members in the
// order the API's Measure declares them. Only due_start, due_end and progress_percent can be
// null (the other columns are NOT NULL, the lists coalesced), and are left out when they are.
// Texts go out as stored: their CHECK (i18n_valid, migration 00001) admits only tg, ru and en,
// each a string not blank, which is what a Text holds.
var measureJSON = jsonObject(
	column("id", jsonWord), column("version", jsonText),
	column("created_at", jsonTimestamp), column("updated_at", jsonTimestamp),
	column("plan_id", jsonWord), column("code", jsonString),
	column("title", jsonText), column("description", jsonText),
	column("expected_result", jsonText), column("deadline_text", jsonText),
	optional(column("due_start", jsonString)), optional(column("due_end", jsonString)),
	column("lead", jsonString), column("co_implementers", jsonText), column("partners", jsonText),
	column("recommendations", jsonText), column("articles", jsonText),
	column("current_status", jsonWord), optional(column("progress_percent", jsonText)),
	column("overdue", jsonText), column("provenance", jsonWord), column("provenance_note", jsonString),
)

// renderRow scans into dest the one row of the statement render writes around q's SQL (its
// subquery), with args after q's own, numbered from next (queryRow). gorm builds q alone: the
// long rendering SQL around it goes to the driver as it is, not scanned again for
// placeholders, which cost a measure read a tenth of its time. gorm's query callbacks still
// see the statement once, as it is built.
func (db *DB) renderRow(ctx context.Context, q *gorm.DB, render func(sql string, next int) string, args []any, dest ...any) error {
	stmt, err := built(q)
	if err != nil {
		return err
	}
	return db.queryRow(ctx, render(stmt.SQL.String(), len(stmt.Vars)+1), append(stmt.Vars, args...), dest...)
}

// built is q's statement, built and not run.
func built(q *gorm.DB) (*gorm.Statement, error) {
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(&[]struct{}{}).Statement
	return stmt, stmt.Error
}

// ListMeasuresJSON returns a page of a plan's measures that match f, in code order, as a JSON
// array of measures. Overdue is judged as of today.
func (db *DB) ListMeasuresJSON(ctx context.Context, scope nap.Scope, planID string, f nap.MeasureFilter, today time.Time, page nap.PageRequest) (nap.JSONPage, error) {
	d := derived(scope)
	q := filterMeasures(db.measures(ctx, scope, d, today).Where("m.plan_id = ?", planID), d, f, today)
	q, err := paginate(q, "m.code", "m.id", page)
	if err != nil {
		return nap.JSONPage{}, err
	}
	// The query reads one row more than the page holds, numbered in page order: the rows up
	// to the limit are the page, and the last of them is where the next page starts.
	var (
		p        nap.JSONPage
		rows     int
		lastCode sql.NullString
		lastID   sql.NullString
	)
	err = db.renderRow(ctx, q, func(page string, next int) string {
		limit := fmt.Sprintf("$%d", next)
		return `SELECT '[' || coalesce(string_agg(` + measureJSON + `, ',' ORDER BY m.n) FILTER (WHERE m.n <= ` + limit + `), '') || ']',
			count(*), max(m.code) FILTER (WHERE m.n = ` + limit + `), max(m.id::text) FILTER (WHERE m.n = ` + limit + `)
		FROM (SELECT m.*, row_number() OVER (ORDER BY m.code, m.id) AS n FROM (` + page + `) m) m`
	}, []any{page.Limit}, &p.Items, &rows, &lastCode, &lastID)
	if err != nil {
		return nap.JSONPage{}, translate(err)
	}
	if rows > page.Limit {
		p.Next = encodeCursor(lastCode.String, lastID.String)
	}
	// The page holds only measures of plans scope reads; only an empty one leaves open
	// whether the plan is there to read.
	if rows == 0 {
		if err := db.checkPlan(ctx, scope, planID); err != nil {
			return nap.JSONPage{}, err
		}
	}
	return p, nil
}

// GetMeasureJSON is GetMeasure rendered as JSON, with the state the measure's ETag is made of.
func (db *DB) GetMeasureJSON(ctx context.Context, scope nap.Scope, id string, today time.Time) ([]byte, nap.MeasureState, error) {
	var (
		body []byte
		st   nap.MeasureState
	)
	query, args, err := db.measureStatement("measure", scope, id, today, func() *gorm.DB {
		return db.measures(ctx, scope, derived(scope), today).Where("m.id = ?", id)
	}, func(measure string) string {
		return `SELECT ` + measureJSON + `, m.version, m.current_status, m.progress_percent, m.overdue FROM (` + measure + `) m`
	})
	if err == nil {
		err = db.queryRow(ctx, query, args, &body, &st.Version, &st.Status, &st.ProgressPercent, &st.Overdue)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nap.MeasureState{}, nap.Errorf(nap.ENOTFOUND, "measure not found")
	}
	return body, st, translate(err)
}

// measureStatement returns the statement that reads a measure as what names it (render
// writes around the query q builds), and its arguments. Its text and every argument but the
// day and the measure depend on the scope alone: they are built once for each scope that
// reads measures, which is most of the cost of a read that is otherwise one index lookup.
func (db *DB) measureStatement(what string, scope nap.Scope, id string, today time.Time, q func() *gorm.DB, render func(sql string) string) (string, []any, error) {
	key := what + " " + scope.Key()
	st, ok := db.statements.get(key)
	if !ok {
		stmt, err := built(q())
		if err != nil {
			return "", nil, err
		}
		st = statement{sql: render(stmt.SQL.String()), args: stmt.Vars}
		// The day is the statement's first argument (the columns' overdue), the measure its
		// last (the last condition); the statement is kept only when they are where they
		// are set below.
		if n := len(st.args); n < 2 || st.args[0] != any(today) || st.args[n-1] != any(id) {
			return st.sql, st.args, nil
		}
		db.statements.put(key, st)
	}
	args := slices.Clone(st.args)
	args[0], args[len(args)-1] = today, id
	return st.sql, args, nil
}

type statement struct {
	sql  string
	args []any
}

// statements remembers measureStatement by what it reads and scope; a server sees few scopes
// (the public, partners, each ministry's), and forgets one to make room after maxSummaries.
type statements struct {
	mu sync.Mutex
	m  map[string]statement
}

func (c *statements) get(key string) (statement, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[key]
	return st, ok
}

func (c *statements) put(key string, st statement) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]statement)
	}
	putBounded(c.m, key, st)
}

// ListChangesJSON is ListChanges rendered as a ChangeList: the changes, where to resume, and
// whether more can be read now. Whether the change after is one the feed has is read by the
// same statement.
func (db *DB) ListChangesJSON(ctx context.Context, scope nap.Scope, after int64, limit int) ([]byte, error) {
	page := db.changes(ctx, scope, after).
		Select("c.id, c.at, c.entity_type, c.entity_id, c.op, row_number() OVER (ORDER BY c.xid, c.id) AS n").
		Order("c.xid, c.id").Limit(limit + 1)
	var (
		body  []byte
		known bool
	)
	err := db.conn(ctx).Raw(`SELECT json_build_object(
			'items', coalesce(json_agg(json_build_object('id', c.id, 'at', `+jsonTime("c.at")+`,
				'entity_type', c.entity_type, 'entity_id', c.entity_id, 'op', c.op) ORDER BY c.n) FILTER (WHERE c.n <= @limit), '[]'),
			'next_cursor', coalesce((array_agg(c.id ORDER BY c.n DESC) FILTER (WHERE c.n <= @limit))[1], CAST(@after AS bigint)),
			'more', count(*) > @limit),
		CAST(@after AS bigint) = 0 OR EXISTS (SELECT 1 FROM changes WHERE id = CAST(@after AS bigint))
		FROM (@page) c`, sql.Named("limit", limit), sql.Named("after", after), sql.Named("page", page)).
		Row().Scan(&body, &known)
	if err != nil {
		return nil, translate(err)
	}
	if !known {
		return nil, unknownChange(after)
	}
	return body, nil
}
