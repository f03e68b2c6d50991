package postgres

import "context"

// Exec runs a statement in the transaction of ctx, if any, for tests.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) error {
	return db.conn(ctx).Exec(sql, args...).Error
}

// DownTo rolls migrations back until version is the latest applied, 0 every one, for tests
// of a migration and of the way back.
func (m *Migrator) DownTo(ctx context.Context, version int64) error {
	_, err := m.provider.DownTo(ctx, version)
	return err
}
