package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/pgtest"
)

// buildDir holds the naptracker binary the process tests run.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var built = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "naptracker-bin-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "naptracker")
	// Stamped with the commit where the checkout allows, whatever GOFLAGS says.
	out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

// process is `naptracker serve` running as a process of its own.
type process struct {
	cmd    *exec.Cmd
	url    string
	exited chan error // what Wait returned

	mu  sync.Mutex
	log []string // the messages of the lines it logged so far
}

// logged counts the lines the process has logged with the message msg.
func (p *process) logged(msg string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, m := range p.log {
		if m == msg {
			n++
		}
	}
	return n
}

// startProcess runs `naptracker serve` with args on a free port of 127.0.0.1 and waits until
// it serves; the process is killed when the test ends if it still runs.
func startProcess(t *testing.T, dsn string, args ...string) *process {
	t.Helper()
	bin, err := built()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--database-url", dsn}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			p.mu.Lock()
			p.log = append(p.log, line.Msg)
			p.mu.Unlock()
			if line.Msg == "serving" {
				addr <- line.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.exited <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		p.url = "http://" + a
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("serve exited before serving: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start serving")
	}
	return p
}

// TestSIGTERMEndsStreamsAndExits: on SIGTERM, open change streams end at once, and the
// process, having waited for everything it started, exits 0 within its grace period.
func TestSIGTERMEndsStreamsAndExits(t *testing.T) {
	p := startProcess(t, pgtest.AppDSN(pgtest.NewDatabase(t)))
	const streams = 3
	ended := make(chan time.Time, streams)
	for range streams {
		res, err := http.Get(p.url + "/v1/changes/stream")
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("stream: %d", res.StatusCode)
		}
		heartbeat := make(chan struct{})
		go func() {
			defer res.Body.Close()
			r := bufio.NewReader(res.Body)
			if _, err := r.ReadString('\n'); err == nil {
				close(heartbeat)
			}
			_, _ = io.Copy(io.Discard, r)
			ended <- time.Now()
		}()
		select {
		case <-heartbeat:
		case <-time.After(30 * time.Second):
			t.Fatal("the stream says nothing")
		}
	}

	signalled := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range streams {
		select {
		case at := <-ended:
			if d := at.Sub(signalled); d > time.Second {
				t.Errorf("a stream ended %s after SIGTERM", d)
			}
		case <-time.After(shutdownGrace):
			t.Fatal("a stream outlives the shutdown")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
		t.Logf("exited 0 %s after SIGTERM", time.Since(signalled))
		p.exited <- nil
	case <-ctx.Done():
		t.Fatalf("serve still runs %s after SIGTERM", shutdownGrace)
	}
}
