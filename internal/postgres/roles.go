package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The privileges the server's role holds, by table: what it changes, no more. What must never
// change once written (the audit trail, its checkpoints, the change feed, review steps, stored
// content) it may only add to; content no evidence refers to goes only through the schema's
// own audited function. It owns nothing, so it can neither alter the schema nor turn a
// trigger off, and it may truncate nothing.
var appPrivileges = map[string]string{ //nolint:gosec // privileges, not credentials
	"organizations":           "SELECT, INSERT, UPDATE",
	"source_documents":        "SELECT, INSERT, UPDATE",
	"recommendations":         "SELECT, INSERT, UPDATE",
	"plans":                   "SELECT, INSERT, UPDATE",
	"reporting_periods":       "SELECT, INSERT, UPDATE",
	"measures":                "SELECT, INSERT, UPDATE",
	"measure_organizations":   "SELECT, INSERT, UPDATE, DELETE",
	"measure_recommendations": "SELECT, INSERT, UPDATE, DELETE",
	"indicators":              "SELECT, INSERT, UPDATE",
	"users":                   "SELECT, INSERT, UPDATE",
	"memberships":             "SELECT, INSERT, UPDATE",
	"api_tokens":              "SELECT, INSERT, UPDATE",
	"progress_updates":        "SELECT, INSERT, UPDATE",
	"indicator_values":        "SELECT, INSERT, UPDATE, DELETE",
	"evidence":                "SELECT, INSERT, UPDATE, DELETE",
	"review_actions":          "SELECT, INSERT",
	"blobs":                   "SELECT, INSERT",
	"blob_chunks":             "SELECT, INSERT",
	"audit_events":            "SELECT, INSERT",
	"audit_checkpoints":       "SELECT, INSERT",
	"audit_staged":            "SELECT, INSERT, DELETE",
	"changes":                 "SELECT, INSERT",
	"notifications":           "SELECT, INSERT, UPDATE",
	"letters":                 "SELECT, INSERT",
	"goose_db_version":        "SELECT",
}

// AppPrivileges lists the privileges of the role serve runs as, by table, one per line.
func AppPrivileges() string {
	var lines []string
	for table, privileges := range appPrivileges {
		lines = append(lines, table+": "+privileges)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// AppRole says how the role serve runs as is set up.
type AppRole struct {
	Name string
	// Login lets the role log in (with Password, when it is not ""); otherwise it is created
	// NOLOGIN, for the operator to give a password or GRANT it to a login role.
	Login    bool
	Password string
}

// GrantAppRole creates the role serve runs as, if it is missing, and grants it exactly the
// privileges appPrivileges lists on this database, taking any others back. Run it as the
// role that owns the schema, after every migration: a new table is granted only then.
func (db *DB) GrantAppRole(ctx context.Context, r AppRole) error {
	role := pgx.Identifier{r.Name}.Sanitize()
	return db.inPlainTx(ctx, func(ctx context.Context) error {
		tx := db.conn(ctx)
		var exists, owns bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?),
				EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tableowner = ?)`, r.Name, r.Name).
			Row().Scan(&exists, &owns); err != nil {
			return err
		}
		if owns {
			return fmt.Errorf("role %s owns tables of the schema: serve must run as a role that owns none", r.Name)
		}
		statements := []string{}
		if !exists {
			statements = append(statements, "CREATE ROLE "+role+" NOLOGIN")
		}
		if r.Login {
			login := "ALTER ROLE " + role + " LOGIN"
			if r.Password != "" {
				login += " PASSWORD " + quoteLiteral(r.Password)
			}
			statements = append(statements, login)
		}
		var database, schema string
		if err := tx.Raw(`SELECT current_database(), current_schema()`).Row().Scan(&database, &schema); err != nil {
			return err
		}
		schemaID := pgx.Identifier{schema}.Sanitize()
		statements = append(statements,
			"GRANT CONNECT ON DATABASE "+pgx.Identifier{database}.Sanitize()+" TO "+role,
			"GRANT USAGE ON SCHEMA "+schemaID+" TO "+role,
			"REVOKE ALL ON ALL TABLES IN SCHEMA "+schemaID+" FROM "+role,
			"REVOKE ALL ON ALL SEQUENCES IN SCHEMA "+schemaID+" FROM "+role,
			"GRANT USAGE ON ALL SEQUENCES IN SCHEMA "+schemaID+" TO "+role)
		for table, privileges := range appPrivileges {
			statements = append(statements, "GRANT "+privileges+" ON "+schemaID+"."+pgx.Identifier{table}.Sanitize()+" TO "+role)
		}
		for _, s := range statements {
			if err := tx.Exec(s).Error; err != nil {
				return fmt.Errorf("%s: %w", strings.SplitN(s, " PASSWORD ", 2)[0], err)
			}
		}
		return nil
	})
}

// RunsAsOwner reports whether the connection's role is a superuser or owns a table of the
// schema: powers that could turn the audit trail's triggers off.
func (db *DB) RunsAsOwner(ctx context.Context) (bool, error) {
	var owner bool
	err := db.conn(ctx).Raw(`SELECT rolsuper OR EXISTS (SELECT 1 FROM pg_tables
			WHERE schemaname = current_schema() AND pg_has_role(current_user, tableowner, 'USAGE'))
		FROM pg_roles WHERE rolname = current_user`).Row().Scan(&owner)
	return owner, err
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
