// Package pgtest gives tests their own PostgreSQL databases, cloned from a template that
// holds the migrated schema. The server comes from NAPTRACKER_TEST_DATABASE_URL, by default
// the local one on 127.0.0.1:5432. When no server answers, tests are skipped, except under
// CI=true, where they fail: CI never passes by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/migrations"
)

// ServerEnv names the variable that points tests at a server; its database is used only to
// create and drop others.
const ServerEnv = "NAPTRACKER_TEST_DATABASE_URL"

// AppRole is the role tests serve as, granted what `migrate up --app-role` grants, with
// AppPassword for servers that ask for one.
const (
	AppRole     = "naptracker_test_app"
	AppPassword = "naptracker-test-app"
)

// AppDSN is dsn, a database NewDatabase made, as AppRole: how a server connects to it.
func AppDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("pgtest: %v", err))
	}
	u.User = url.UserPassword(AppRole, AppPassword)
	return u.String()
}

const defaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewDatabase creates an empty database with the current schema, drops it when the test
// ends, and returns its connection URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := serverURL()
	admin, err := sql.Open("pgx", server)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: no PostgreSQL at %s (%v); CI needs one", redact(server), err)
		}
		t.Skipf("pgtest: no PostgreSQL at %s (%v); set %s to run this test", redact(server), err, ServerEnv)
	}
	defer admin.Close()

	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(admin, server) })
	if templateErr != nil {
		t.Fatalf("pgtest: template: %v", templateErr)
	}
	name := "naptracker_test_" + randomHex(6)
	_, err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName))
	if err != nil && strings.Contains(err.Error(), "3D000") {
		// A checkout with other migrations, testing against the same server, dropped the
		// template as stale: build it again.
		var tmpl string
		if tmpl, err = ensureTemplate(admin, server); err == nil {
			_, err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
		}
	}
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", server)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

// ensureTemplate creates, once per server and version of the migrations, a database that
// holds the migrated schema. An advisory lock keeps test binaries that run in parallel from
// building it twice.
func ensureTemplate(admin *sql.DB, server string) (string, error) {
	ctx := context.Background()
	name := "naptracker_template_" + migrationsHash()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727101)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727101)`) //nolint:errcheck // released with the session anyway

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	if err := migrate(withDatabase(server, building)); err != nil {
		return "", err
	}
	// Renamed only once complete, so a template that exists is always a whole one.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	// Templates of earlier migrations are of no more use.
	stale, err := staleTemplates(ctx, conn, name)
	if err != nil {
		return "", err
	}
	for _, n := range stale {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, n)); err != nil {
			return "", err
		}
	}
	return name, nil
}

func staleTemplates(ctx context.Context, conn *sql.Conn, current string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'naptracker\_template\_%' AND datname <> $1 AND datname NOT LIKE '%\_building'`, current)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// migrate migrates the database at dsn and grants AppRole what a server needs on it.
func migrate(dsn string) error {
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := postgres.NewMigrator(db)
	if err != nil {
		return err
	}
	if err := m.Up(ctx, nopWriter{}); err != nil {
		return err
	}
	return m.GrantAppRole(ctx, postgres.AppRole{Name: AppRole, Login: true, Password: AppPassword})
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// migrationsHash names the template after the migrations it holds and the grants of its
// server's role, so a change to either gets a new template.
func migrationsHash() string {
	h := sha256.New()
	h.Write([]byte(postgres.AppPrivileges()))
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func serverURL() string {
	if s := os.Getenv(ServerEnv); s != "" {
		return s
	}
	return defaultServer
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(fmt.Sprintf("pgtest: %s must be a postgres:// URL: %v", ServerEnv, err))
	}
	u.Path = "/" + name
	return u.String()
}

func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "the configured server"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
