package postgres_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/naptracker/naptracker/internal/pgtest"
)

// TestTextCheckAnswersAsFirstWritten: i18n_valid, rewritten to be inlined into the CHECKs of
// text columns (migration 00019), answers every kind of value as its first definition does,
// and the constraints it is inlined into still refuse what it refuses.
func TestTextCheckAnswersAsFirstWritten(t *testing.T) {
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the reference function below is the session's
	// The definition of migration 00001, as a function of this session.
	if _, err := db.Exec(`CREATE FUNCTION pg_temp.i18n_valid_first(t jsonb) RETURNS boolean
		LANGUAGE sql IMMUTABLE AS $$
		  SELECT jsonb_typeof(t) = 'object' AND NOT EXISTS (
		    SELECT 1 FROM jsonb_each(t) AS e
		    WHERE e.key NOT IN ('tg', 'ru', 'en')
		       OR jsonb_typeof(e.value) <> 'string'
		       OR btrim(e.value #>> '{}') = '')
		$$`); err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{nil,
		`{}`, `{"en": "Plan"}`, `{"tg": "Нақша", "ru": "План", "en": "Plan"}`,
		`{"en": ""}`, `{"en": " "}`, `{"en": "   "}`, `{"en": " a "}`,
		`{"en": "\t"}`, `{"en": "\n"}`, `{"en": "\u00a0"}`, `{"ru": "x", "en": " "}`,
		`{"fr": "Plan"}`, `{"en": "Plan", "de": "Plan"}`, `{"EN": "Plan"}`,
		`{"en": 1}`, `{"en": null}`, `{"en": true}`, `{"en": ["Plan"]}`, `{"en": {"x": "y"}}`,
		`[]`, `["en"]`, `"Plan"`, `1`, `null`, `true`,
	} {
		var now, first sql.NullBool
		if err := db.QueryRow(`SELECT i18n_valid($1::jsonb), pg_temp.i18n_valid_first($1::jsonb)`, v).Scan(&now, &first); err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if now != first {
			t.Errorf("i18n_valid(%v) = %v, first defined %v", v, now, first)
		}
	}
	// Inlined into a CHECK, it still refuses a blank name.
	_, err = db.Exec(`INSERT INTO organizations (id, code, kind, name, provenance) VALUES (gen_random_uuid(), 'X', 'ministry', '{"en": " "}', 'sourced')`)
	if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "23514" {
		t.Errorf("a blank name: %v, want a CHECK violation", err)
	}
}
