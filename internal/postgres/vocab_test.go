package postgres_test

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
)

// TestVocabulariesMatchTheSchema: every vocabulary the API documents (from internal/nap) is
// exactly the set of values the database's CHECK constraint on the column allows.
func TestVocabulariesMatchTheSchema(t *testing.T) {
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		table, column string
		values        []string
	}{
		{"organizations", "kind", nap.OrganizationKinds},
		{"plans", "status", strs(nap.PlanStatuses)},
		{"reporting_periods", "state", nap.PeriodStates},
		{"indicators", "kind", nap.IndicatorKinds},
		{"indicators", "disaggregations", nap.Disaggregations},
		{"progress_updates", "visibility", strs(nap.Visibilities)},
		{"evidence", "kind", nap.EvidenceKinds},
		{"evidence", "language", nap.EvidenceLanguages},
		{"measures", "provenance", strs(nap.Provenances)},
		{"measures", "status_all", strs(nap.Statuses)},
		{"measures", "status_partners", strs(nap.Statuses)},
		{"measures", "status_public", strs(nap.Statuses)},
	} {
		allowed := checkedValues(t, db, c.table, c.column)
		slices.Sort(allowed)
		want := slices.Sorted(slices.Values(c.values))
		if !slices.Equal(slices.Compact(allowed), want) {
			t.Errorf("%s.%s: the schema allows %v, the API documents %v", c.table, c.column, allowed, want)
		}
	}
}

func strs[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

var quoted = regexp.MustCompile(`'([a-z_]+)'`)

// checkedValues returns the values a CHECK constraint on the column lists (IN, ANY or <@).
func checkedValues(t *testing.T, db *sql.DB, table, column string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
		WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND a.attname = $2 AND cardinality(c.conkey) = 1`,
		table, column)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var allowed []string
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(def, " IN ") || strings.Contains(def, "ANY") || strings.Contains(def, "<@") {
			for _, m := range quoted.FindAllStringSubmatch(def, -1) {
				allowed = append(allowed, m[1])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return allowed
}
