package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client sends requests to one server.
type client struct {
	http *http.Client
	base string // scheme://host[:port], without a trailing slash
}

// newHTTPClient keeps a connection per worker open, as a pool of API clients would.
func newHTTPClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * concurrency
	t.MaxIdleConnsPerHost = 2 * concurrency
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// response is what a request got back.
type response struct {
	status  int
	header  http.Header
	body    []byte
	latency time.Duration
}

// send sends a request with an optional JSON body and bearer token; header holds name, value
// pairs. The latency covers reading the whole body.
func (c *client) send(ctx context.Context, method, path, token string, body any, header ...string) (response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return response{latency: time.Since(start)}, err
	}
	b, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return response{status: res.StatusCode, header: res.Header, body: b, latency: time.Since(start)}, err
}

// expect sends a request outside the measured phases (setup, discovery, clean-up) and
// decodes its JSON answer into out, failing unless the status is one of want.
func (c *client) expect(ctx context.Context, out any, want []int, method, path, token string, body any) (int, error) {
	res, err := c.send(ctx, method, path, token, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	ok := false
	for _, w := range want {
		ok = ok || res.status == w
	}
	if !ok {
		return res.status, fmt.Errorf("%s %s: %d %s", method, path, res.status, strings.TrimSpace(string(truncate(res.body, 300))))
	}
	if out != nil && len(res.body) > 0 && res.status < 300 {
		if err := json.Unmarshal(res.body, out); err != nil {
			return res.status, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return res.status, nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// page is the body of a list.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
