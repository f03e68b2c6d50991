package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/pgtest"
)

// TestBackupAndRestore follows the README's backup and restore on a server of its own: the
// roles with pg_dumpall --roles-only, the database with pg_dump -Fc, pg_restore, and
// migrate up --app-role again. The restored trail verifies, stored evidence included, and a
// server on it serves the approved update and its file's bytes.
func TestBackupAndRestore(t *testing.T) {
	owner := pgtest.NewDatabase(t)
	s := startSDKServerOn(t, owner, nil)
	_, update, evidence := approvePublicUpdate(t, s)
	_, approved := get(t, s.url+"/v1/updates/"+update, "")

	dir := t.TempDir()
	roles, dump := filepath.Join(dir, "roles.sql"), filepath.Join(dir, "naptracker.dump")
	u, err := url.Parse(owner)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	pgRun(t, "pg_dumpall", "--roles-only", "-d", u.String(), "-f", roles)
	pgRun(t, "pg_dump", "-Fc", "-d", owner, "-f", dump)

	elsewhere := pgtest.StartPrimary(t)
	// The roles that exist there already (postgres) are reported and left as they are.
	pgRun(t, "psql", "-q", "-d", elsewhere.URL("postgres"), "-f", roles)
	pgRun(t, "pg_restore", "--create", "--exit-on-error", "-d", elsewhere.URL("postgres"), dump)
	restored := elsewhere.URL(name)
	t.Setenv("NAPTRACKER_APP_ROLE_PASSWORD", pgtest.AppPassword)
	cli(t, "migrate", "up", "--app-role", pgtest.AppRole, "--app-role-login", "--database-url", restored)
	if out := cli(t, "audit", "verify", "--database-url", restored); !strings.Contains(out, "the audit chain is whole") ||
		!strings.Contains(out, "stored evidence matches its digests") {
		t.Errorf("audit verify on the restored database: %s", out)
	}

	opts := config.Defaults()
	opts.DatabaseURL = pgtest.AppDSN(restored)
	base := serveInProcess(t, opts)
	if status, b := get(t, base+"/v1/updates/"+update, ""); status != http.StatusOK || !sameJSON(t, b, approved) {
		t.Errorf("the approved update after the restore: %d\n%s\nbefore:\n%s", status, b, approved)
	}
	res := request(t, http.MethodGet, base+"/v1/evidence/"+evidence.ID.String()+"/content", "", "", nil)
	sum := sha256.Sum256(res.body)
	if res.status != http.StatusOK || hex.EncodeToString(sum[:]) != *evidence.Sha256 ||
		res.header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Errorf("the evidence's bytes after the restore: %d %s %x", res.status, res.header.Get("Repr-Digest"), sum)
	}
}

// pgRun runs one of PostgreSQL's client programs; the test fails if it does.
func pgRun(t *testing.T, program string, args ...string) {
	t.Helper()
	path, err := pgtest.Program(program)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", program, err, out)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
