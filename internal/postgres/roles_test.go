package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

// TestAppRoleHoldsNoPowerOverTheRecord: the role serve runs as owns nothing and cannot turn a
// trigger off, truncate, alter the schema, or change or remove audit events, checkpoints, the
// change feed or stored content, whatever it sends; nor remove the users, organizations,
// updates and letters that notifications name unchecked (migration 00022).
func TestAppRoleHoldsNoPowerOverTheRecord(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	app, err := postgres.Open(ctx, pgtest.AppDSN(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if owner, err := app.RunsAsOwner(ctx); err != nil || owner {
		t.Fatalf("the app role is a superuser or an owner: %v %v", owner, err)
	}
	owner, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	// Something of each kind to refuse changes to.
	if err := owner.Gorm().Exec(`INSERT INTO blobs (sha256, size_bytes) VALUES (repeat('a', 64), 1);
		INSERT INTO blob_chunks (sha256, seq, data) VALUES (repeat('a', 64), 0, 'x');
		INSERT INTO audit_checkpoints VALUES (1, repeat('b', 64), now(), repeat('c', 16), 'k', 's');
		INSERT INTO changes (entity_type, entity_id, op, visibility) VALUES ('plan', gen_random_uuid(), 'created', 'public');
		INSERT INTO organizations (id, code, name, kind, provenance) VALUES (gen_random_uuid(), 'X', '{"en": "X"}', 'ministry', 'illustrative')`).Error; err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
		`ALTER TABLE organizations DISABLE TRIGGER USER`,
		`SET session_replication_role = replica`,
		`TRUNCATE audit_events`,
		`TRUNCATE changes`,
		`TRUNCATE organizations CASCADE`,
		`ALTER TABLE measures ADD COLUMN forged integer`,
		`CREATE TABLE forged (id integer)`,
		`DROP TRIGGER audit ON organizations`,
		`CREATE OR REPLACE FUNCTION audit_row(r jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT NULL::jsonb'`,
		`UPDATE audit_events SET action = 'forged'`,
		`DELETE FROM audit_events`,
		`UPDATE audit_checkpoints SET head = repeat('d', 64)`,
		`DELETE FROM audit_checkpoints`,
		`UPDATE changes SET op = 'deleted'`,
		`DELETE FROM changes`,
		`UPDATE blob_chunks SET data = 'forged'`,
		`DELETE FROM blob_chunks`,
		`UPDATE blobs SET size_bytes = 2`,
		`DELETE FROM blobs`,
		`DELETE FROM organizations`,
		`DELETE FROM users`,
		`DELETE FROM progress_updates`,
		`DELETE FROM letters`,
		`UPDATE letters SET subject = 'forged'`,
		`UPDATE review_actions SET comment = 'forged'`,
	} {
		err := app.Gorm().Exec(sql).Error
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" && !strings.Contains(pgErr.Message, "must be owner") {
			t.Errorf("as the app role, %s: %v", sql, err)
		}
	}
}
