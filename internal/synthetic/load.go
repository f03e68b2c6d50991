package synthetic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naptracker/naptracker/internal/postgres"
)

// Report counts the rows a load added, by table.
type Report struct {
	Options Options
	Rows    map[string]int64
	Copying map[string]time.Duration // time spent in each table's COPY
	Changes int64
	Took    time.Duration
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "loaded synthetic dataset (seed %d) in %s:", r.Options.Seed, r.Took.Round(100*time.Millisecond))
	for _, t := range tables {
		fmt.Fprintf(&b, "\n  %-24s %10d rows  %8s copying", t.name, r.Rows[t.name], r.Copying[t.name].Round(100*time.Millisecond))
	}
	fmt.Fprintf(&b, "\n  %-24s %10d", "changes (feed)", r.Changes)
	return b.String()
}

// ErrLoaded is returned when the database holds synthetic data already.
var ErrLoaded = errors.New("synthetic data is loaded in this database already")

// Load generates the dataset o describes and adds it to the database at dsn, whose schema
// must be current, in one transaction, reporting progress to progress.
//
// Row triggers are off for the load: an audit event per row would take hours for a million
// rows, and approved updates' values could not be inserted past the freeze triggers. The
// transaction disables the tables' user triggers (ALTER TABLE … DISABLE TRIGGER USER, which needs ownership of the tables, not superuser, and
// keeps foreign keys and CHECK constraints checked), re-enables them before it commits, and
// does what the triggers would have done in bulk: one audit event records the whole load (seed,
// options, row counts), so the chain still verifies, and, with o.Feed, one change-feed row per
// synthetic row the feed follows, with the visibility the feed's trigger would give it. The
// columns triggers would fill are generated or set by the generator: the measures' search text
// is a generated column; each audience's derived status is the one the latest approved update
// it reads gives.
func Load(ctx context.Context, dsn string, o Options, progress io.Writer) (Report, error) {
	start := time.Now()
	rep := Report{Options: o, Rows: map[string]int64{}, Copying: map[string]time.Duration{}}
	if err := o.Validate(); err != nil {
		return rep, err
	}
	if err := checkSchema(ctx, dsn); err != nil {
		return rep, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return rep, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('naptracker.request_id', 'seed-synthetic', true),
				set_config('synchronous_commit', 'off', true),
				set_config('maintenance_work_mem', '256MB', true)`); err != nil {
			return err
		}
		if err := refuseTwice(ctx, tx); err != nil {
			return err
		}
		replica, err := triggersOff(ctx, tx)
		if err != nil {
			return err
		}
		indexes, err := dropIndexes(ctx, tx)
		if err != nil {
			return err
		}
		if err := generate(ctx, tx, o, &rep, start, progress); err != nil {
			return err
		}
		if o.Feed {
			tag, err := tx.Exec(ctx, feedSQL)
			if err != nil {
				return fmt.Errorf("change feed: %w", err)
			}
			rep.Changes = tag.RowsAffected()
			fmt.Fprintf(progress, "change feed: %d rows (%s)\n", rep.Changes, time.Since(start).Round(time.Second))
		}
		if err := triggersOn(ctx, tx, replica); err != nil {
			return err
		}
		if replica {
			if err := checkForeignKeys(ctx, tx); err != nil {
				return err
			}
			fmt.Fprintf(progress, "foreign keys checked (%s)\n", time.Since(start).Round(time.Second))
		}
		for _, def := range indexes {
			if _, err := tx.Exec(ctx, def); err != nil {
				return fmt.Errorf("rebuild index: %w", err)
			}
		}
		fmt.Fprintf(progress, "%d indexes rebuilt (%s)\n", len(indexes), time.Since(start).Round(time.Second))
		return recordLoad(ctx, tx, rep)
	})
	if err != nil {
		return rep, err
	}
	// The load's event joins the audit chain now, as a server's changes do once committed.
	if _, err := conn.Exec(ctx, `SELECT audit_link()`); err != nil {
		return rep, fmt.Errorf("link the audit trail: %w", err)
	}
	// VACUUM as well as ANALYZE: until the visibility map is set, index-only scans (a plan
	// summary's, for one) read every row from the table.
	fmt.Fprintf(progress, "committed (%s); vacuuming and analyzing\n", time.Since(start).Round(time.Second))
	for _, t := range append(tables, &table{name: "changes"}) {
		if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) `+pgx.Identifier{t.name}.Sanitize()); err != nil {
			return rep, fmt.Errorf("vacuum %s: %w", t.name, err)
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// triggersOff turns the row triggers off for the rest of the transaction. A superuser
// switches the session to replica mode, which skips every trigger, foreign-key checks too:
// checkForeignKeys then checks them all at once, far faster than row by row. Any other role
// disables the tables' user triggers, which needs ownership of the tables and keeps the
// foreign keys checked row by row.
func triggersOff(ctx context.Context, tx pgx.Tx) (replica bool, err error) {
	if err := tx.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&replica); err != nil {
		return false, err
	}
	if replica {
		_, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`)
		return true, err
	}
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{t.name}.Sanitize()+` DISABLE TRIGGER USER`); err != nil {
			return false, fmt.Errorf("disable the row triggers of %s for the load (this needs the role that owns the tables): %w", t.name, err)
		}
	}
	return false, nil
}

func triggersOn(ctx context.Context, tx pgx.Tx, replica bool) error {
	if replica {
		_, err := tx.Exec(ctx, `SET LOCAL session_replication_role = origin`)
		return err
	}
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{t.name}.Sanitize()+` ENABLE TRIGGER USER`); err != nil {
			return err
		}
	}
	return nil
}

// checkForeignKeys checks every foreign key of the loaded tables with one anti-join each, as
// the skipped per-row checks would have.
func checkForeignKeys(ctx context.Context, tx pgx.Tx) error {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	rows, err := tx.Query(ctx, `SELECT c.conname, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
		WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY ($1) AND cardinality(c.conkey) = 1
		ORDER BY 1`, names)
	if err != nil {
		return err
	}
	type fk struct{ name, table, column, parent, key string }
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		return f, r.Scan(&f.name, &f.table, &f.column, &f.parent, &f.key)
	})
	if err != nil {
		return err
	}
	id := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	for _, f := range fks {
		var broken int64
		err := tx.QueryRow(ctx, `SELECT count(*) FROM `+id(f.table)+` c WHERE c.`+id(f.column)+` IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM `+id(f.parent)+` p WHERE p.`+id(f.key)+` = c.`+id(f.column)+`)`).Scan(&broken)
		if err != nil {
			return err
		}
		if broken > 0 {
			return fmt.Errorf("synthetic: %d rows of %s break the foreign key %s", broken, f.table, f.name)
		}
	}
	return nil
}

// dropIndexes drops the indexes of the loaded tables and of the feed that no constraint
// needs, and returns how to create them again: building an index once over all rows is far
// cheaper than updating it row by row (the trigram index of the measures' search text above
// all). Primary keys and unique constraints stay; unique indexes check their rows when they
// are rebuilt.
func dropIndexes(ctx context.Context, tx pgx.Tx) ([]string, error) {
	names := []string{"changes"}
	for _, t := range tables {
		names = append(names, t.name)
	}
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid::regclass::text = ANY ($1)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`, names)
	if err != nil {
		return nil, err
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		return i, r.Scan(&i.name, &i.def)
	})
	if err != nil {
		return nil, err
	}
	defs := make([]string, len(indexes))
	for k, i := range indexes {
		if _, err := tx.Exec(ctx, `DROP INDEX `+i.name); err != nil {
			return nil, fmt.Errorf("drop index %s for the load: %w", i.name, err)
		}
		defs[k] = i.def
	}
	return defs, nil
}

func checkSchema(ctx context.Context, dsn string) error {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := postgres.NewMigrator(db)
	if err != nil {
		return err
	}
	return m.Check(ctx)
}

func refuseTwice(ctx context.Context, tx pgx.Tx) error {
	var loaded bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organizations WHERE code LIKE $1)
			OR EXISTS (SELECT 1 FROM plans WHERE code LIKE $2)
			OR EXISTS (SELECT 1 FROM users WHERE lower(email) LIKE $3)`,
		OrganizationPrefix+"%", PlanPrefix+"%", "%"+EmailDomain).Scan(&loaded)
	if err != nil || !loaded {
		return err
	}
	var when, seed string
	_ = tx.QueryRow(ctx, `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), after ->> 'seed'
		FROM audit_events WHERE action = 'synthetic.load' ORDER BY seq DESC LIMIT 1`).Scan(&when, &seed)
	if when != "" {
		return fmt.Errorf("%w (seed %s, %s); load it into a fresh database", ErrLoaded, seed, when)
	}
	return fmt.Errorf("%w; load it into a fresh database", ErrLoaded)
}

// generate copies the world and then each plan, generating the next plan while the database
// takes the last.
func generate(ctx context.Context, tx pgx.Tx, o Options, rep *Report, start time.Time, progress io.Writer) error {
	w := newWorld(o)
	if err := copyBatch(ctx, tx, w.rows, rep); err != nil {
		return err
	}
	fmt.Fprintf(progress, "organizations %d, users %d, memberships %d (%s)\n", rep.Rows["organizations"], rep.Rows["users"],
		rep.Rows["memberships"], time.Since(start).Round(time.Second))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	plans := make(chan batch, 2)
	go func() {
		defer close(plans)
		for i := range o.Plans {
			select {
			case plans <- w.plan(i):
			case <-ctx.Done():
				return
			}
		}
	}()
	every := max(1, o.Plans/10)
	done := 0
	for b := range plans {
		if err := copyBatch(ctx, tx, b, rep); err != nil {
			return err
		}
		if done++; done%every == 0 || done == o.Plans {
			r := rep.Rows
			fmt.Fprintf(progress, "plans %d/%d: recommendations %d, measures %d, indicators %d, updates %d, values %d, reviews %d, evidence %d (%s)\n",
				done, o.Plans, r["recommendations"], r["measures"], r["indicators"], r["progress_updates"], r["indicator_values"],
				r["review_actions"], r["evidence"], time.Since(start).Round(time.Second))
		}
	}
	return ctx.Err()
}

func copyBatch(ctx context.Context, tx pgx.Tx, b batch, rep *Report) error {
	for _, t := range tables {
		rows := b[t]
		if len(rows) == 0 {
			continue
		}
		began := time.Now()
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
		rep.Rows[t.name] += n
		rep.Copying[t.name] += time.Since(began)
	}
	return nil
}

// recordLoad appends the one audit event of the load and tells running servers that
// memberships and the feed changed, as the disabled triggers would have.
func recordLoad(ctx context.Context, tx pgx.Tx, rep Report) error {
	after, err := json.Marshal(map[string]any{
		"seed": rep.Options.Seed, "options": rep.Options, "rows": rep.Rows, "changes": rep.Changes, "note": Note,
		"as_of": AsOf.Format(time.DateOnly),
		"audit": "The rows of this load have no audit events of their own: this event records them all.",
	})
	if err != nil {
		return err
	}
	loadID := newRNG(rep.Options.Seed, math.MaxUint64).id(AsOf)
	_, err = tx.Exec(ctx, `SELECT audit_append('synthetic.load', 'synthetic_dataset', $1, NULL, $2::jsonb),
			pg_notify('naptracker_access', 'memberships'), pg_notify('naptracker_changes', '')`, loadID, string(after))
	return err
}

// feedSQL writes a "created" change for every synthetic row the feed follows, in the order
// the rows were made, with the visibility and organization record_change() would give it.
const feedSQL = `
WITH sp AS (
  SELECT id, CASE WHEN status = 'draft' THEN 'internal' ELSE 'public' END AS vis, created_at
  FROM plans WHERE code LIKE 'SYN-PLAN-%'
), feed AS (
  SELECT 'organization' AS entity_type, o.id AS entity_id, 'public' AS visibility, NULL::uuid AS organization_id, o.updated_at AS at
    FROM organizations o WHERE o.code LIKE 'SYN-ORG-%'
  UNION ALL SELECT 'recommendation', r.id, 'public', NULL, r.updated_at
    FROM recommendations r JOIN source_documents d ON d.id = r.document_id WHERE d.symbol LIKE 'SYNTHETIC/%'
  UNION ALL SELECT 'plan', sp.id, sp.vis, NULL, sp.created_at FROM sp
  UNION ALL SELECT 'reporting_period', rp.id, sp.vis, NULL, rp.updated_at FROM reporting_periods rp JOIN sp ON sp.id = rp.plan_id
  UNION ALL SELECT 'measure', m.id, sp.vis, NULL, m.updated_at FROM measures m JOIN sp ON sp.id = m.plan_id
  UNION ALL SELECT 'indicator', i.id, sp.vis, NULL, i.updated_at
    FROM indicators i JOIN measures m ON m.id = i.measure_id JOIN sp ON sp.id = m.plan_id
  UNION ALL SELECT 'progress_update', u.id,
      visibility_min(CASE WHEN u.state IN ('approved', 'superseded') THEN u.visibility ELSE 'internal' END, sp.vis),
      u.reporting_org_id, u.updated_at
    FROM progress_updates u JOIN measures m ON m.id = u.measure_id JOIN sp ON sp.id = m.plan_id
  UNION ALL SELECT 'evidence', e.id,
      visibility_min(e.visibility, CASE WHEN u.state IN ('approved', 'superseded') THEN u.visibility ELSE 'internal' END),
      u.reporting_org_id, e.created_at
    FROM evidence e JOIN progress_updates u ON u.id = e.update_id JOIN measures m ON m.id = u.measure_id JOIN sp ON sp.id = m.plan_id
)
INSERT INTO changes (entity_type, entity_id, op, visibility, organization_id)
SELECT entity_type, entity_id, 'created', visibility, organization_id FROM feed ORDER BY at, entity_id`
