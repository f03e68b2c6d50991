package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/pgtest"
)

// TestConfigCommand: `naptracker config` prints what serve would use, where each setting came
// from, and no password; the command line wins over the environment.
func TestConfigCommand(t *testing.T) {
	t.Setenv("NAPTRACKER_ADDR", "127.0.0.1:9000")
	t.Setenv("DATABASE_URL", "postgres://naptracker_app:s3cret-pw@db.example.org/naptracker")
	t.Setenv("NAPTRACKER_REPLICA_URLS", "postgres://naptracker_app:s3cret-pw@r1.example.org/naptracker,host=r2.example.org password=s3cret-pw")
	t.Setenv("NAPTRACKER_RATE_LIMIT", "10")
	out := cli(t, "config", "--rate-limit", "20")
	if strings.Contains(out, "s3cret") {
		t.Errorf("config prints a password:\n%s", out)
	}
	for _, line := range []string{
		`addr +127\.0\.0\.1:9000 +\$NAPTRACKER_ADDR`,
		`database-url +postgres://naptracker_app:xxxxx@db\.example\.org/naptracker +\$DATABASE_URL`,
		`replica-url +postgres://naptracker_app:xxxxx@r1\.example\.org/naptracker,host=r2\.example\.org password=xxxxx +\$NAPTRACKER_REPLICA_URLS`,
		`rate-limit +20 +flag`,
		`max-replica-lag +5s +default`,
		`db-wait +1m0s +default`,
	} {
		if !regexp.MustCompile(`(?m)^` + line + `$`).MatchString(out) {
			t.Errorf("no line %s in:\n%s", line, out)
		}
	}
	t.Setenv("NAPTRACKER_MAX_REPLICA_LAG", "0s")
	if _, err := tryCLI("config"); err == nil || !strings.Contains(err.Error(), "--max-replica-lag") {
		t.Errorf("config with settings serve refuses: %v", err)
	}
}

// TestServeFromTheEnvironment starts the binary with its settings in the environment only, as
// a container would: it listens on NAPTRACKER_ADDR.
func TestServeFromTheEnvironment(t *testing.T) {
	bin, err := built()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "NAPTRACKER_ADDR="+addr, "DATABASE_URL="+pgtest.AppDSN(pgtest.NewDatabase(t)), "NAPTRACKER_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	eventually(t, "serve listens on $NAPTRACKER_ADDR", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// TestVersion: --version names the commit the binary was built from, when it was built in a
// git checkout (a worktree's .git is a file, which Go's stamping does not follow).
func TestVersion(t *testing.T) {
	bin, err := built()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "naptracker ") || !strings.HasPrefix(lines[1], "commit  ") ||
		!strings.HasPrefix(lines[2], "date    ") || !strings.HasPrefix(lines[3], "go      go1.") {
		t.Fatalf("--version:\n%s", out)
	}
	if info, err := os.Stat(filepath.Join("..", "..", ".git")); err == nil && info.IsDir() {
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(lines[1], "commit  "+strings.TrimSpace(string(head))) {
			t.Errorf("--version does not name the commit %s:\n%s", head, out)
		}
	} else if lines[1] != "commit  unknown" {
		t.Errorf("--version outside a checkout: %s", lines[1])
	}
}

// TestHealthCommand: `naptracker health` exits 0 when the server is ready, and fails when
// nothing answers.
func TestHealthCommand(t *testing.T) {
	opts := config.Defaults()
	opts.DatabaseURL = pgtest.AppDSN(pgtest.NewDatabase(t))
	base := serveInProcess(t, opts)
	if out := cli(t, "health", "--url", base+"/readyz"); !strings.Contains(out, "200 OK") {
		t.Errorf("health: %s", out)
	}
	if _, err := tryCLI("health", "--url", base+"/no-such-page"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("health of a page that is not there: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, err := tryCLI("health", "--url", "http://"+closed+"/readyz"); err == nil {
		t.Error("health of a closed port succeeded")
	}
}

// TestServeWaitsForTheDatabase: a server started before its database retries, logging each
// try, and serves once the database answers; a database that refuses it (no such database)
// fails at once.
func TestServeWaitsForTheDatabase(t *testing.T) {
	logs := &syncBuffer{}
	slog.SetDefault(logging.New(logs, slog.LevelInfo))
	t.Cleanup(func() { slog.SetDefault(logging.New(io.Discard, slog.LevelInfo)) })

	dsn := pgtest.AppDSN(pgtest.NewDatabase(t))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	database := u.Host
	// The database will answer on a port where nothing listens yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = ln.Addr().String()
	ln.Close()

	opts := config.Defaults()
	opts.DatabaseURL, opts.Addr, opts.DBWait = u.String(), "127.0.0.1:0", time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, opts, listening) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	eventually(t, "serve retries", func() bool { return strings.Count(logs.String(), "the database does not answer yet") >= 2 })
	forward(t, u.Host, database)
	select {
	case addr := <-listening:
		if status, _ := get(t, "http://"+addr.String()+"/readyz", ""); status != http.StatusOK {
			t.Errorf("/readyz: %d", status)
		}
	case err := <-done:
		t.Fatalf("serve gave up: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start once the database answered")
	}

	u.Host, u.Path = database, "/no_such_database"
	opts.DatabaseURL = u.String()
	start := time.Now()
	if err := serve(context.Background(), opts, nil); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("serve on a database that does not exist: %v after %s", err, time.Since(start))
	}
}

// forward listens on addr until the test ends and forwards every connection to target: the
// database comes up there.
func forward(t *testing.T, addr, target string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	conns.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			open = append(open, in, out)
			mu.Unlock()
			conns.Go(func() { _, _ = io.Copy(out, in); out.Close() })
			conns.Go(func() { _, _ = io.Copy(in, out); in.Close() })
		}
	})
}

// syncBuffer is a log that the server writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
