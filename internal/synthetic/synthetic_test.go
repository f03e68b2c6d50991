package synthetic_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/synthetic"
)

func small(seed uint64) synthetic.Options {
	return synthetic.Options{Seed: seed, Plans: 2, MeasuresPerPlan: 5, UpdatesPerMeasure: 3, RecommendationsPerPlan: 6,
		Organizations: 12, Users: 60, Feed: true}
}

func load(t *testing.T, o synthetic.Options) (string, *postgres.DB) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	if _, err := synthetic.Load(context.Background(), dsn, o, io.Discard); err != nil {
		t.Fatalf("load: %v", err)
	}
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// digest is a fingerprint of every table the load fills, and of the feed without its
// transaction ids and times.
func digest(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var parts []string
	for _, name := range []string{"organizations", "users", "memberships", "source_documents", "recommendations", "plans",
		"reporting_periods", "measures", "measure_organizations", "measure_recommendations", "indicators",
		"progress_updates", "indicator_values", "review_actions", "evidence"} {
		var d string
		if err := db.Gorm().Raw(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ` + name + ` t`).
			Scan(&d).Error; err != nil {
			t.Fatal(err)
		}
		parts = append(parts, name+"="+d)
	}
	var feed string
	if err := db.Gorm().Raw(`SELECT md5(string_agg(concat_ws(',', entity_type, entity_id, op, visibility, organization_id), '|' ORDER BY id))
		FROM changes`).Scan(&feed).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Join(append(parts, "changes="+feed), " ")
}

func count(t *testing.T, db *postgres.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Gorm().Raw(query).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadCountsAndRefusesTwice(t *testing.T) {
	o := small(7)
	dsn, db := load(t, o)
	for table, want := range map[string]int{"organizations": 12, "users": 60, "memberships": 60, "source_documents": 2,
		"recommendations": 12, "plans": 2, "measures": 10, "progress_updates": 30} {
		if got := count(t, db, `SELECT count(*) FROM `+table); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	// Every measure has a lead (NOT NULL) and two or three recommendations; every update its indicator values.
	if n := count(t, db, `SELECT count(*) FROM measures m WHERE (SELECT count(*) FROM measure_recommendations mr WHERE mr.measure_id = m.id) NOT BETWEEN 2 AND 3`); n != 0 {
		t.Errorf("%d measures without two or three recommendations", n)
	}
	if n := count(t, db, `SELECT count(*) FROM progress_updates u JOIN indicators i ON i.measure_id = u.measure_id
		WHERE NOT EXISTS (SELECT 1 FROM indicator_values v WHERE v.update_id = u.id AND v.indicator_id = i.id)`); n != 0 {
		t.Errorf("%d indicators without a value in an update of their measure", n)
	}
	if n := count(t, db, `SELECT count(*) FROM organizations WHERE code NOT LIKE 'SYN-ORG-%' OR provenance <> 'illustrative'`) +
		count(t, db, `SELECT count(*) FROM progress_updates WHERE provenance <> 'illustrative' OR provenance_note NOT LIKE 'Synthetic%'`); n != 0 {
		t.Errorf("%d rows not marked synthetic", n)
	}
	// Every trigger is back on, and one audit event records the load.
	if n := count(t, db, `SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`); n != 0 {
		t.Errorf("%d triggers left disabled", n)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'synthetic.load' AND (after -> 'rows' ->> 'progress_updates')::int = 30`); n != 1 {
		t.Errorf("%d audit events record the load, want 1", n)
	}

	_, err := synthetic.Load(context.Background(), dsn, o, io.Discard)
	if !errors.Is(err, synthetic.ErrLoaded) {
		t.Errorf("second load: %v, want ErrLoaded", err)
	}
	if got := count(t, db, `SELECT count(*) FROM plans`); got != 2 {
		t.Errorf("after the refused load: %d plans", got)
	}
}

func TestLoadIsDeterministic(t *testing.T) {
	_, a := load(t, small(7))
	_, b := load(t, small(7))
	_, c := load(t, small(8))
	da, db, dc := digest(t, a), digest(t, b), digest(t, c)
	if da != db {
		t.Errorf("same seed, different data:\n%s\n%s", da, db)
	}
	if da == dc {
		t.Error("a different seed gave the same data")
	}
}

// The loaded data is what the API would have left: the audit chain verifies, approved
// updates carry the digest approval computes, statuses are the ones derivation gives, and the
// plan summary and search work on it.
func TestLoadIsConsistent(t *testing.T) {
	ctx := context.Background()
	_, db := load(t, small(7))
	all := nap.Everything

	v, err := db.VerifyAudit(ctx)
	if err != nil || v.FirstInvalidSeq != nil {
		t.Fatalf("audit chain: %+v, %v", v, err)
	}

	var approved []string
	if err := db.Gorm().Raw(`SELECT id FROM progress_updates WHERE state IN ('approved', 'superseded')`).Scan(&approved).Error; err != nil {
		t.Fatal(err)
	}
	if len(approved) < 5 {
		t.Fatalf("only %d approved updates of 30", len(approved))
	}
	for _, id := range approved {
		u, err := db.GetUpdate(ctx, all, id)
		if err != nil {
			t.Fatal(err)
		}
		evidence, err := db.EvidenceDigests(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := nap.ContentDigest(u, evidence); got != u.ContentSHA256 {
			t.Errorf("update %s: content digest %s, approval would give %s", id, u.ContentSHA256, got)
		}
	}

	// Deriving the statuses again changes no measure.
	err = db.Gorm().Transaction(func(tx *gorm.DB) error {
		derived := func() string {
			var digest string
			if err := tx.Raw(`SELECT md5(string_agg(concat_ws('|', id, status_public, progress_public, status_partners,
				progress_partners, status_all, progress_all), ',' ORDER BY id)) FROM measures`).Scan(&digest).Error; err != nil {
				t.Fatal(err)
			}
			return digest
		}
		before := derived()
		if err := postgres.DeriveStatuses(tx, ""); err != nil {
			return err
		}
		if after := derived(); after != before {
			t.Errorf("deriving the statuses changed measures: %s, then %s", before, after)
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatal(err)
	}

	plans, err := db.ListPlans(ctx, all, nap.PlanFilter{}, nap.PageRequest{Limit: 10})
	if err != nil || len(plans.Items) != 2 {
		t.Fatalf("plans: %d, %v", len(plans.Items), err)
	}
	plan := plans.Items[0]
	body, err := db.PlanSummaryJSON(ctx, all, plan.ID, synthetic.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Total            struct{ Measures int }
		ByLead           []json.RawMessage `json:"by_lead"`
		ByRecommendation []json.RawMessage `json:"by_recommendation"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	if s.Total.Measures != 5 || len(s.ByLead) == 0 || len(s.ByRecommendation) == 0 {
		t.Errorf("summary of %s: %+v", plan.Code, s)
	}

	var m struct{ ID, Title string }
	if err := db.Gorm().Raw(`SELECT id, title ->> 'ru' AS title FROM measures WHERE plan_id = ? ORDER BY code LIMIT 1`, plan.ID).
		Scan(&m).Error; err != nil {
		t.Fatal(err)
	}
	word := strings.Fields(m.Title)[0]
	found, err := db.ListMeasuresJSON(ctx, all, plan.ID, nap.MeasureFilter{Query: strings.ToUpper(word)}, synthetic.AsOf,
		nap.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var items []struct{ ID string }
	if err := json.Unmarshal(found.Items, &items); err != nil {
		t.Fatal(err)
	}
	hit := false
	for _, it := range items {
		hit = hit || it.ID == m.ID
	}
	if !hit {
		t.Errorf("searching %q did not find measure %s (%q)", word, m.ID, m.Title)
	}

	// The feed shows a public approved update as public, and a draft only to its organization.
	if n := count(t, db, `SELECT count(*) FROM changes c JOIN progress_updates u ON u.id = c.entity_id
		WHERE (u.state = 'approved' AND u.visibility = 'public' AND c.visibility <> 'public')
		   OR (u.state = 'draft' AND (c.visibility <> 'internal' OR c.organization_id <> u.reporting_org_id))`); n != 0 {
		t.Errorf("%d feed rows with the wrong visibility", n)
	}
	if n := count(t, db, `SELECT count(*) FROM changes`); n == 0 {
		t.Error("no feed rows")
	}
}

// TestLoadAsTheTablesOwner: a role that owns the tables but is no superuser loads by turning
// each table's own triggers off, and leaves every one of them on again.
func TestLoadAsTheTablesOwner(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	admin, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	role := "synthetic_owner_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	exec := func(sql string) {
		t.Helper()
		if err := admin.Gorm().Exec(sql).Error; err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE ROLE ` + role + ` LOGIN NOSUPERUSER`)
	t.Cleanup(func() {
		_ = admin.Gorm().Exec(`REASSIGN OWNED BY ` + role + ` TO current_user`).Error
		_ = admin.Gorm().Exec(`DROP OWNED BY ` + role).Error
		_ = admin.Gorm().Exec(`DROP ROLE ` + role).Error
	})
	exec(`DO $$ DECLARE t text; BEGIN
		FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
			EXECUTE format('ALTER TABLE %I OWNER TO ` + role + `', t);
		END LOOP; END $$`)
	exec(`GRANT USAGE, CREATE ON SCHEMA public TO ` + role)

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	if _, err := synthetic.Load(ctx, u.String(), small(3), io.Discard); err != nil {
		t.Fatalf("load as %s: %v", role, err)
	}
	if n := count(t, admin, `SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`); n != 0 {
		t.Errorf("%d triggers left disabled", n)
	}
	if got := count(t, admin, `SELECT count(*) FROM progress_updates`); got != 30 {
		t.Errorf("%d updates, want 30", got)
	}
	if v, err := admin.VerifyAudit(ctx); err != nil || v.FirstInvalidSeq != nil {
		t.Errorf("audit chain after the load: %+v %v", v, err)
	}
}
