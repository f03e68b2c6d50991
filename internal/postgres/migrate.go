package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/naptracker/naptracker/migrations"
)

// Migrator applies the embedded migrations. A session advisory lock keeps two processes from
// migrating at once.
type Migrator struct {
	provider *goose.Provider
	db       *DB
}

// GrantAppRole grants the role serve runs as what it needs on the migrated schema.
func (m *Migrator) GrantAppRole(ctx context.Context, r AppRole) error {
	return m.db.GrantAppRole(ctx, r)
}

// NewMigrator returns a Migrator for db.
func NewMigrator(db *DB) (*Migrator, error) {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{provider: p, db: db}, nil
}

// Up applies every pending migration and reports each to w.
func (m *Migrator) Up(ctx context.Context, w io.Writer) error {
	results, err := m.provider.Up(ctx)
	for _, r := range results {
		fmt.Fprintf(w, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	return err
}

// Down rolls back the latest migration and reports it to w.
func (m *Migrator) Down(ctx context.Context, w io.Writer) error {
	r, err := m.provider.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		fmt.Fprintln(w, "nothing to roll back")
		return nil
	}
	if r != nil {
		fmt.Fprintf(w, "rolled back %s\n", r.Source.Path)
	}
	return err
}

// Status writes every migration and whether it is applied to w.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	statuses, err := m.provider.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range statuses {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(w, "%-40s %s\n", s.Source.Path, applied)
	}
	return nil
}

// Check fails when the database is behind the binary (pending migrations) or ahead of it
// (a migration the binary does not know), so a server never runs on a schema it does not
// understand.
func (m *Migrator) Check(ctx context.Context) error {
	current, err := m.provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	sources := m.provider.ListSources()
	latest := sources[len(sources)-1].Version
	switch {
	case current > latest:
		return fmt.Errorf("database schema version %d is newer than this binary's %d; run a newer naptracker", current, latest)
	case current < latest:
		return fmt.Errorf("database schema version %d is behind this binary's %d; run `naptracker migrate up` or serve with --migrate", current, latest)
	}
	return nil
}
