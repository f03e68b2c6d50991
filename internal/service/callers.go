package service

import (
	"sync"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// callerTTL is how long a token's caller is remembered. A dashboard's burst of requests then
// costs one lookup. Changes to tokens, users and memberships forget every caller: on every
// server when they commit, through the database's notification (and, before that, on the
// server that makes them); the time limit bounds how stale a caller can be should a
// notification be lost.
const callerTTL = time.Second

// maxCallers bounds the memory the cache takes.
const maxCallers = 10_000

// callers remembers whom tokens named, by the token's hash. A lookup that began before the
// callers were last forgotten is not remembered: it may have read what the change replaced.
type callers struct {
	mu         sync.Mutex
	generation uint64 // raised by every forget
	entries    map[string]rememberedCaller
}

type rememberedCaller struct {
	actor nap.Actor
	until time.Time
}

// begin returns the generation a lookup starts in, for put.
func (c *callers) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.generation
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

// put remembers a caller looked up in generation, unless callers were forgotten since.
func (c *callers) put(hash []byte, a nap.Actor, now time.Time, generation uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != c.generation {
		return
	}
	if c.entries == nil {
		c.entries = make(map[string]rememberedCaller)
	}
	if len(c.entries) >= maxCallers {
		for k := range c.entries { // any one: map order is random
			delete(c.entries, k)
			break
		}
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
	c.generation++
	c.entries = nil
}

// ForgetCallers makes the next request of every token look its caller up again: call it when
// tokens, users or memberships changed (the server does on every notification of a change).
func (s *Service) ForgetCallers() { s.callers.forget() }
