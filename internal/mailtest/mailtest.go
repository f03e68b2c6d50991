// Package mailtest runs Mailpit, a real SMTP server with an HTTP API, for tests that send
// e-mail: what arrived is read back through its API. Mailpit is built once, from the Go module
// proxy, into the user's cache folder.
package mailtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Version is the Mailpit the tests run.
const Version = "v1.33.1"

// Server is a running Mailpit, its messages kept in memory.
type Server struct {
	t              testing.TB
	bin            string
	smtp, httpAddr string
	cmd            *exec.Cmd
	exited         chan struct{}
}

var binary = sync.OnceValues(func() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "naptracker", "mailpit", Version)
	bin := filepath.Join(dir, "mailpit")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	// Installed elsewhere, then moved in whole: test binaries running at once never see half
	// a file.
	tmp, err := os.MkdirTemp(cache, "mailpit-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	cmd := exec.Command("go", "install", "github.com/axllent/mailpit@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install mailpit: %v\n%s", err, out)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	return bin, os.Rename(filepath.Join(tmp, "mailpit"), bin)
})

// Start runs Mailpit on free loopback ports until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, smtp: freeAddr(t), httpAddr: freeAddr(t)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// URL is the SMTP URL of the server.
func (s *Server) URL() string { return "smtp://" + s.smtp }

// Start starts the server again, on the same ports, empty, after Stop; it returns once it
// answers.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--smtp", s.smtp, "--listen", s.httpAddr, "--quiet") //nolint:gosec // the Mailpit this package built, on addresses it chose
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get("http://" + s.httpAddr + "/api/v1/messages?limit=1")
		if err == nil {
			_ = res.Body.Close()
			if c, err := net.Dial("tcp", s.smtp); err == nil {
				_ = c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mailpit does not answer on %s", s.httpAddr)
		}
	}
}

// Stop stops the server; its messages are gone.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Message is a message that arrived.
type Message struct {
	ID        string
	MessageID string
	Subject   string
	To        []struct{ Name, Address string }
	Text      string
	HTML      string
}

// Search returns the messages that match a Mailpit search query (to:someone@example.org),
// whole.
func (s *Server) Search(query string) []Message {
	s.t.Helper()
	var found struct{ Messages []Message }
	s.get("/api/v1/search?limit=500&query="+url.QueryEscape(query), &found)
	for i, m := range found.Messages {
		s.get("/api/v1/message/"+m.ID, &found.Messages[i])
	}
	return found.Messages
}

// Messages returns every message that arrived, without its body, newest first.
func (s *Server) Messages() []Message {
	s.t.Helper()
	var all struct{ Messages []Message }
	s.get("/api/v1/messages?limit=5000", &all)
	return all.Messages
}

// Await waits until at least n messages match query, and returns them.
func (s *Server) Await(query string, n int) []Message {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ms := s.Search(query); len(ms) >= n || time.Now().After(deadline) {
			return ms
		}
	}
}

func (s *Server) get(path string, v any) {
	s.t.Helper()
	res, err := http.Get("http://" + s.httpAddr + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("mailpit %s: %d", path, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		s.t.Fatalf("mailpit %s: %v", path, err)
	}
}
