package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a private PostgreSQL server, and when asked a streaming replica made from it by
// pg_basebackup -R, for tests of restoring backups, of reading from replicas and of losing one.
// It runs from the installed PostgreSQL binaries on free ports of 127.0.0.1 in a folder of its
// own, as the postgres user when the tests run as root (PostgreSQL refuses to run as root).
type Cluster struct {
	dir, bin             string
	as                   []string // runs a command as the user the servers run as
	primaryPort, replica int
}

// StartPrimary starts a server of its own, stopped and removed when the test ends. Without
// PostgreSQL's binaries it fails under CI=true and skips otherwise.
func StartPrimary(t testing.TB) *Cluster {
	t.Helper()
	bin, err := binaries()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: %v; CI needs them", err)
		}
		t.Skipf("pgtest: %v", err)
	}
	c := &Cluster{bin: bin}
	if c.dir, err = os.MkdirTemp("", "naptracker-cluster-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.stop(t) })
	if os.Getuid() == 0 {
		// The servers' own user must own their data and be able to reach it.
		if err := c.giveToPostgres(); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if c.primaryPort, err = freePort(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.run("initdb", "-D", c.data("primary"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := c.start("primary", c.primaryPort); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Logf("pgtest: a server of its own on port %d, started in %s", c.primaryPort, time.Since(start).Round(time.Millisecond))
	return c
}

// StartCluster starts a primary and its streaming replica, which are stopped and removed when
// the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c := StartPrimary(t)
	var err error
	if c.replica, err = freePort(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.primaryPort), "-U", "postgres",
		"-D", c.data("replica"), "-R", "-X", "stream"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := c.StartReplica(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Logf("pgtest: its streaming replica on port %d, started in %s", c.replica, time.Since(start).Round(time.Millisecond))
	return c
}

// URL is the URL of database on the primary, as its superuser.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.primaryPort, database)
}

// Program is the path of one of the installed PostgreSQL's programs (pg_dump, say).
func Program(name string) (string, error) {
	bin, err := binaries()
	if err != nil {
		return "", err
	}
	return filepath.Join(bin, name), nil
}

// NewDatabase creates a database with the current schema on the primary, granted to AppRole as
// `migrate up --app-role` grants it, and returns its URL, as the primary's superuser. The
// replica has it too, as soon as it has replayed that far (OnReplica).
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	server := c.URL("postgres")
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "naptracker_test_" + randomHex(6)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dsn := withDatabase(server, name)
	if err := migrate(dsn); err != nil {
		t.Fatalf("pgtest: migrate: %v", err)
	}
	return dsn
}

// OnReplica is dsn, a URL of the primary, pointed at the replica.
func (c *Cluster) OnReplica(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("pgtest: %v", err))
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(c.replica))
	return u.String()
}

// StopReplica stops the replica as an operator would (pg_ctl stop -m fast: sessions are cut).
func (c *Cluster) StopReplica() error {
	return c.run("pg_ctl", "-D", c.data("replica"), "-m", "fast", "-w", "stop")
}

// StartReplica starts the replica again; it resumes streaming where it stopped.
func (c *Cluster) StartReplica() error {
	return c.start("replica", c.replica)
}

func (c *Cluster) start(name string, port int) error {
	return c.run("pg_ctl", "-D", c.data(name), "-l", filepath.Join(c.dir, name+".log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", port, c.dir), "start")
}

// stop stops both servers, whatever state they are in, and removes their folder.
func (c *Cluster) stop(t testing.TB) {
	for _, name := range []string{"replica", "primary"} {
		if _, err := os.Stat(filepath.Join(c.data(name), "postmaster.pid")); err == nil {
			if err := c.run("pg_ctl", "-D", c.data(name), "-m", "immediate", "-w", "stop"); err != nil {
				t.Errorf("pgtest: %v", err)
			}
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		t.Errorf("pgtest: %v", err)
	}
}

func (c *Cluster) data(name string) string { return filepath.Join(c.dir, name) }

// run runs one of PostgreSQL's programs as the servers' user; its output is in the error.
func (c *Cluster) run(program string, args ...string) error {
	argv := append(append(append([]string{}, c.as...), filepath.Join(c.bin, program)), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput() //nolint:gosec // the test's own commands
	if err != nil {
		return fmt.Errorf("%s: %w\n%s%s", program, err, out, c.logs())
	}
	return nil
}

// logs is the end of each server's log, to say why a command failed.
func (c *Cluster) logs() string {
	var b strings.Builder
	for _, name := range []string{"primary", "replica"} {
		if log, err := os.ReadFile(filepath.Join(c.dir, name+".log")); err == nil {
			lines := strings.Split(strings.TrimSpace(string(log)), "\n")
			fmt.Fprintf(&b, "--- %s.log\n%s\n", name, strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
	}
	return b.String()
}

func (c *Cluster) giveToPostgres() error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("no user postgres to run the servers as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chmod(c.dir, 0o755); err != nil { //nolint:gosec // the postgres user must reach its data
		return err
	}
	return os.Chown(c.dir, uid, gid)
}

// binaries finds the newest installed PostgreSQL's programs.
func binaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if path, err := exec.LookPath("pg_basebackup"); err == nil {
		dirs = append(dirs, filepath.Dir(path))
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL binaries (initdb, pg_ctl, pg_basebackup) found; install PostgreSQL (apt-get install postgresql)")
}

func version(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}
