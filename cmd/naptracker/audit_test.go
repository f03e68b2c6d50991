package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

// tamper runs statements as the database's superuser with its triggers off, as someone who
// runs the database could.
func tamper(t *testing.T, dsn string, statements ...string) {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx := db.Gorm().Begin()
	for _, sql := range append([]string{`SET LOCAL session_replication_role = replica`}, statements...) {
		if err := tx.Exec(sql).Error; err != nil {
			tx.Rollback()
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
}

// rewriteFrom changes the audit event at seq and recomputes every hash from it on, so that
// the chain verifies by itself again.
func rewriteFrom(seq string) string {
	return `DO $$
DECLARE r audit_events; prev text;
BEGIN
  UPDATE audit_events SET after = jsonb_set(coalesce(after, '{}'), '{forged}', 'true') WHERE seq = ` + seq + `;
  SELECT hash INTO prev FROM audit_events WHERE seq < ` + seq + ` ORDER BY seq DESC LIMIT 1;
  FOR r IN SELECT * FROM audit_events WHERE seq >= ` + seq + ` ORDER BY seq LOOP
    r.prev_hash := coalesce(prev, repeat('0', 64));
    r.hash := audit_hash(r);
    UPDATE audit_events SET prev_hash = r.prev_hash, hash = r.hash WHERE seq = r.seq;
    prev := r.hash;
  END LOOP;
END $$`
}

// TestCheckpointsCatchWhatTheChainCannot: someone who runs the database can rewrite the trail
// with recomputed hashes, or drop its tail, and the chain alone still verifies; a checkpoint a
// partner kept shows both, and a checkpoint not as signed is refused.
func TestCheckpointsCatchWhatTheChainCannot(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	run := func(args ...string) (string, error) { return tryCLI(append(args, "--database-url", dsn)...) }
	must := func(args ...string) string {
		t.Helper()
		return cli(t, append(args, "--database-url", dsn)...)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "audit.pem")
	must("audit", "keygen", "--out", key)
	if _, err := run("audit", "keygen", "--out", key); err == nil {
		t.Error("keygen overwrote a key")
	}
	if _, err := run("audit", "checkpoint", "--audit-key", key); err == nil {
		t.Error("a checkpoint of an empty trail")
	}
	must("seed")
	var cp httpapi.Checkpoint
	out := must("audit", "checkpoint", "--audit-key", key)
	if err := json.Unmarshal([]byte(out), &cp); err != nil || cp.Seq == 0 {
		t.Fatalf("audit checkpoint printed %q: %v", out, err)
	}
	saved := filepath.Join(dir, "checkpoint.json")
	if err := os.WriteFile(saved, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	must("users", "add", "--email", "later@example.org", "--name", "After the checkpoint", "--role", "auditor")
	if out := must("audit", "verify", "--checkpoint", saved); !strings.Contains(out, "2 checkpoints hold") {
		t.Errorf("verify with the saved checkpoint, before any tampering: %s", out)
	}

	// A forged checkpoint: its statement changed, its signature kept.
	forged := cp
	forged.Seq--
	b, _ := json.Marshal(forged)
	forgedFile := filepath.Join(dir, "forged.json")
	if err := os.WriteFile(forgedFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run("audit", "verify", "--checkpoint", forgedFile); err == nil || !strings.Contains(err.Error(), "signature is not valid") {
		t.Errorf("verify with a forged checkpoint: %v", err)
	}

	// Rewritten before the checkpoint, hashes recomputed, the server's own checkpoints gone.
	seq := "3"
	tamper(t, dsn, rewriteFrom(seq), `DELETE FROM audit_checkpoints`)
	if out, err := run("audit", "verify"); err != nil {
		t.Fatalf("without a checkpoint, a rewritten trail should verify (that is what checkpoints are for): %v", err)
	} else {
		t.Logf("without a checkpoint: %s", out)
	}
	_, err := run("audit", "verify", "--checkpoint", saved)
	if err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("verify with the checkpoint after a rewrite: %v", err)
	}

	// The tail dropped, through the checkpoint's event.
	tamper(t, dsn, `DELETE FROM audit_events WHERE seq >= `+seq)
	if _, err := run("audit", "verify"); err != nil {
		t.Fatalf("without a checkpoint, a trail without its tail verifies: %v", err)
	}
	_, err = run("audit", "verify", "--checkpoint", saved)
	if err == nil || !strings.Contains(err.Error(), "no longer reaches") {
		t.Errorf("verify with the checkpoint after dropping the tail: %v", err)
	}
}

// A server links what other processes committed and left staged: at once when it starts,
// then within its next pass (auditLinkEvery), with no write of its own to wait for.
func TestServeLinksWhatOthersStaged(t *testing.T) {
	opts := config.Defaults()
	opts.DatabaseURL = pgtest.NewDatabase(t)
	db, err := postgres.Open(context.Background(), opts.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stage := func(action string) {
		t.Helper()
		err := db.Gorm().Transaction(func(tx *gorm.DB) error {
			return tx.Exec(`SELECT audit_append(?, 'test', NULL, NULL, NULL)`, action).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	linked := func(action string) bool {
		t.Helper()
		var n int
		if err := db.Gorm().Raw(`SELECT count(*) FROM audit_events WHERE action = ?`, action).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	stage("test.before-start")
	serveInProcess(t, opts)
	if !linked("test.before-start") {
		t.Error("a server listens before it has linked what was staged")
	}
	stage("test.while-serving")
	eventually(t, "the server links an event another process staged", func() bool { return linked("test.while-serving") })
	if v, err := db.VerifyAudit(context.Background()); err != nil || v.FirstInvalidSeq != nil {
		t.Errorf("audit chain: %+v, %v", v, err)
	}
}

// audit verify covers every change committed so far: what no pass has linked yet (the
// seed's, loaded by a process that links nothing itself) it links first.
func TestAuditVerifyLinksFirst(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	cli(t, "seed", "--database-url", dsn)
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(table string) int {
		t.Helper()
		var n int
		if err := db.Gorm().Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count("audit_staged") == 0 {
		t.Fatal("the seed left nothing staged; the test proves nothing")
	}
	out := cli(t, "audit", "verify", "--database-url", dsn)
	if staged := count("audit_staged"); staged != 0 {
		t.Errorf("%d events still staged after audit verify", staged)
	}
	if want := fmt.Sprintf("%d events", count("audit_events")); !strings.Contains(out, want) {
		t.Errorf("audit verify: %q, want it to count %s", out, want)
	}
}
