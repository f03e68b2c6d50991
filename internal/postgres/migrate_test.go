package postgres_test

import (
	"context"
	"io"
	"testing"

	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

func TestMigrationsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := postgres.NewMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	tables := func() int {
		var n int
		err := db.Gorm().Raw(`SELECT count(*) FROM information_schema.tables
			WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&n).Error
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	migrated := tables()
	if migrated == 0 {
		t.Fatal("the migrated template has no tables")
	}
	if err := m.Check(ctx); err != nil {
		t.Fatalf("check on a migrated database: %v", err)
	}

	if err := m.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to zero: %v", err)
	}
	if n := tables(); n != 0 {
		t.Fatalf("%d tables left after rolling back every migration", n)
	}
	if err := m.Check(ctx); err == nil {
		t.Fatal("check passed on a database with pending migrations")
	}

	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n := tables(); n != migrated {
		t.Fatalf("up after down made %d tables, want %d", n, migrated)
	}
	if err := m.Down(ctx, io.Discard); err != nil {
		t.Fatalf("down one: %v", err)
	}
	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatalf("up one: %v", err)
	}
	if err := m.Check(ctx); err != nil {
		t.Fatalf("check after down and up: %v", err)
	}
}

func TestCheckRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A later binary applied a migration this one does not know.
	if err := db.Gorm().Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`).Error; err != nil {
		t.Fatal(err)
	}
	m, err := postgres.NewMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(ctx); err == nil {
		t.Fatal("check accepted a schema newer than the binary")
	}
}
