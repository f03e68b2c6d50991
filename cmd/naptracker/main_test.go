package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/checkpoint"
	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/seed"
)

// TestServe boots the program as `naptracker serve --migrate --seed` would, reads the seeded
// plan over HTTP, and shuts down gracefully when its context ends (as on SIGTERM).
func TestServe(t *testing.T) {
	slog.SetDefault(logging.New(io.Discard, slog.LevelInfo))
	opts := config.Defaults()
	opts.DatabaseURL = pgtest.NewDatabase(t)
	opts.Addr = "127.0.0.1:0"
	opts.Migrate, opts.Seed = true, true
	key, err := checkpoint.Generate()
	if err != nil {
		t.Fatal(err)
	}
	opts.AuditKey, opts.CheckpointEvery = filepath.Join(t.TempDir(), "audit.pem"), time.Second
	if err := key.Save(opts.AuditKey); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, opts, listening) }()

	var addr net.Addr
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("serve ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start listening")
	}
	res, err := http.Get("http://" + addr.String() + "/v1/plans")
	if err != nil {
		t.Fatal(err)
	}
	var plans struct{ Items []struct{ ID, Code string } }
	err = json.NewDecoder(res.Body).Decode(&plans)
	res.Body.Close()
	if err != nil || len(plans.Items) != 1 {
		t.Fatalf("plans: %v %+v", err, plans)
	}
	// The server signs its trail's head, and signs again once the trail has grown; exports
	// name the checkpoint.
	base := "http://" + addr.String()
	newest := func() httpapi.Checkpoint {
		var cps struct{ Items []httpapi.Checkpoint }
		getJSON(t, base+"/v1/audit/checkpoints", &cps)
		if len(cps.Items) == 0 {
			return httpapi.Checkpoint{}
		}
		return cps.Items[0]
	}
	var first httpapi.Checkpoint
	for deadline := time.Now().Add(30 * time.Second); first.Seq == 0; time.Sleep(50 * time.Millisecond) {
		if first = newest(); time.Now().After(deadline) {
			t.Fatal("no checkpoint signed")
		}
	}
	var pub httpapi.AuditKey
	getJSON(t, base+"/v1/audit/public-key", &pub)
	if pub.KeyID != checkpoint.ID(key.Public()) || first.KeyID != pub.KeyID {
		t.Errorf("public key %+v, checkpoint %+v", pub, first)
	}
	cli(t, "users", "add", "--database-url", opts.DatabaseURL, "--email", "grows@example.org", "--name", "The trail grows", "--role", "auditor")
	for deadline := time.Now().Add(30 * time.Second); newest().Seq <= first.Seq; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint signed after the trail grew")
		}
	}
	res, err = http.Get(base + "/v1/plans/" + plans.Items[0].ID + "/export")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cp := res.Header.Get("X-Audit-Checkpoint"); !strings.HasPrefix(cp, "seq ") || !strings.Contains(cp, "key_id "+pub.KeyID) {
		t.Errorf("X-Audit-Checkpoint %q", cp)
	}

	for _, path := range []string{"/docs", "/openapi.json", "/openapi.yaml", "/openapi-3.0.json", "/healthz", "/readyz"} {
		res, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeRefusesAStaleSchema checks that serve without --migrate will not run on a schema
// behind the binary.
func TestServeRefusesAStaleSchema(t *testing.T) {
	slog.SetDefault(logging.New(io.Discard, slog.LevelInfo))
	ctx := context.Background()
	opts := config.Defaults()
	opts.DatabaseURL = pgtest.NewDatabase(t)
	opts.Addr = "127.0.0.1:0"
	db, err := postgres.Open(ctx, opts.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	m, err := postgres.NewMigrator(db)
	if err == nil {
		err = m.Down(ctx, io.Discard)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	err = serve(ctx, opts, nil)
	if err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("serve on a stale schema: %v", err)
	}
}

// TestCommands runs the migrate, seed and openapi subcommands as an operator would.
func TestCommands(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	try := func(args ...string) (string, error) { return tryCLI(append(args, "--database-url", dsn)...) }
	run := func(args ...string) string {
		t.Helper()
		return cli(t, append(args, "--database-url", dsn)...)
	}
	if out := run("migrate", "status"); !strings.Contains(out, "00001_foundations.sql") || strings.Contains(out, "pending") {
		t.Errorf("migrate status on a migrated database:\n%s", out)
	}
	if out := run("migrate", "down"); !strings.Contains(out, "rolled back") {
		t.Errorf("migrate down: %s", out)
	}
	if out := run("migrate", "up"); !strings.Contains(out, "applied") {
		t.Errorf("migrate up: %s", out)
	}
	ds, err := seed.Reference()
	if err != nil {
		t.Fatal(err)
	}
	if out := run("seed"); !strings.Contains(out, fmt.Sprintf("added %d organizations", len(ds.Organizations))) {
		t.Errorf("first seed: %s", out)
	}
	if out := run("seed"); !strings.Contains(out, "added 0 organizations, 0 documents, 0 recommendations, 0 plans") {
		t.Errorf("second seed: %s", out)
	}

	// Bootstrapping the first admin, and a partner's token.
	if out := run("users", "add", "--email", "admin@example.org", "--name", "First Admin", "--role", "admin"); !strings.Contains(out, "role admin everywhere") {
		t.Errorf("users add: %s", out)
	}
	if out := run("users", "add", "--email", "fp@example.org", "--name", "Focal", "--role", "focal_point", "--org", "MS"); !strings.Contains(out, "role focal_point in MS") {
		t.Errorf("users add with --org: %s", out)
	}
	if _, err := try("users", "add", "--email", "bad@example.org", "--name", "Bad", "--role", "focal_point"); err == nil {
		t.Error("an organization's role without --org was accepted")
	}
	if _, err := try("tokens", "issue", "--email", "bad@example.org"); err == nil {
		t.Error("a rejected users add left a user behind")
	}
	for _, ttl := range []string{"0", "-1h", "9000h"} {
		if _, err := try("tokens", "issue", "--email", "admin@example.org", "--ttl", ttl); err == nil {
			t.Errorf("tokens issue --ttl %s was accepted", ttl)
		}
	}
	out := run("tokens", "issue", "--email", "ADMIN@example.org", "--ttl", "1h")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if secret := lines[len(lines)-1]; !strings.HasPrefix(secret, "napt_") || len(secret) != 48 {
		t.Errorf("tokens issue: the last line is not a token: %q", out)
	}

	if out := run("audit", "verify"); !strings.Contains(out, "the audit chain is whole") {
		t.Errorf("audit verify: %s", out)
	}

	for _, args := range [][]string{{"--format", "json"}, {"--format", "json", "--openapi", "3.0"}, {"--openapi", "3.0"}} {
		out := run(append([]string{"openapi"}, args...)...)
		if !strings.Contains(out, "list-measures") {
			t.Errorf("openapi %v prints no spec", args)
		}
	}
}
