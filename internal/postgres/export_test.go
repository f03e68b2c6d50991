package postgres

import "context"

// Exec runs a statement in the transaction of ctx, if any, for tests.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) error {
	return db.conn(ctx).Exec(sql, args...).Error
}
