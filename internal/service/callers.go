package service

import (
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// callerTTL is how long a token's caller is remembered. A dashboard's burst of requests then
// costs one lookup. Changes to tokens, users and memberships forget every caller at once, on
// the server that makes them and, through the database's notifications, on the others; the
// time limit bounds how stale a caller can be should a notification be lost.
const callerTTL = time.Second

// maxCallers bounds the memory the cache takes; when full, it starts again empty.
const maxCallers = 10_000

// callers remembers whom tokens named, by the token's hash.
type callers struct {
	mu      sync.Mutex
	entries map[string]rememberedCaller
}

type rememberedCaller struct {
	actor nap.Actor
	until time.Time
}

func (c *callers) get(hash []byte, now time.Time) (nap.Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok || !now.Before(e.until) {
		return nap.Actor{}, false
	}
	return e.actor, true
}

func (c *callers) put(hash []byte, a nap.Actor, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCallers {
		c.entries = make(map[string]rememberedCaller)
	}
	until := now.Add(callerTTL)
	if a.TokenExpires != nil && a.TokenExpires.Before(until) {
		until = *a.TokenExpires
	}
	c.entries[string(hash)] = rememberedCaller{actor: a, until: until}
}

func (c *callers) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

// ForgetCallers makes the next request of every token look its caller up again: call it when
// tokens, users or memberships changed elsewhere.
func (s *Service) ForgetCallers() { s.callers.forget() }
