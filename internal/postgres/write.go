package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// update sets columns of the row with id in table if it is still at version, raising the
// version by one and recording who changed it. The version check is part of the UPDATE, so of
// two writers holding the same version exactly one succeeds; the other gets EPRECONDITION.
// what names the object in errors.
func (db *DB) update(ctx context.Context, table, what, actorID, id string, version int, set map[string]any) error {
	return db.updateWith(db.conn(ctx), table, what, actorID, id, version, set)
}

func (db *DB) updateWith(tx *gorm.DB, table, what, actorID, id string, version int, set map[string]any) error {
	set["version"] = gorm.Expr("version + 1")
	set["updated_at"] = gorm.Expr("now()")
	set["updated_by"] = nullable(actorID)
	res := tx.Table(table).Where("id = ? AND version = ?", id, version).Updates(set)
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	var n int64
	if err := tx.Table(table).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return nap.Errorf(nap.ENOTFOUND, "%s not found", what)
	}
	return nap.Errorf(nap.EPRECONDITION, "the %s has changed since version %d; read it again", what, version)
}

// translate turns the errors a client's values can cause (constraint violations, malformed
// values) into nap errors that name the broken rule; any other error passes unchanged.
func translate(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505":
		return nap.Errorf(nap.ECONFLICT, "%s", conflictMessage(pgErr))
	case "23503":
		return nap.Errorf(nap.EINVALID, "a referenced object does not exist (%s)", pgErr.ConstraintName)
	case "23514", "23502":
		return nap.Errorf(nap.EINVALID, "the values break the rule %s", ruleName(pgErr))
	case "P0001": // raised by the schema's own triggers, which guard what may never change
		return nap.Errorf(nap.ECONFLICT, "%s", pgErr.Message)
	}
	if strings.HasPrefix(pgErr.Code, "22") { // data exceptions: malformed or out-of-range values
		return nap.Errorf(nap.EINVALID, "a value is malformed: %s", pgErr.Message)
	}
	return err
}

func conflictMessage(e *pgconn.PgError) string {
	if e.Detail != "" && !strings.Contains(e.Detail, "\n") {
		// "Key (plan_id, code)=(…, 1.1) already exists."
		return "an object with the same key exists: " + e.Detail
	}
	return "an object with the same key exists (" + e.ConstraintName + ")"
}

func ruleName(e *pgconn.PgError) string {
	if e.ConstraintName != "" {
		return e.ConstraintName
	}
	if e.ColumnName != "" {
		return e.ColumnName
	}
	return e.Message
}
