package service

import (
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

func TestCallersAreRememberedBriefly(t *testing.T) {
	var c callers
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	hash := nap.HashToken("napt_x")
	c.put(hash, nap.Actor{TokenID: "t1"}, now, c.begin())
	if a, ok := c.get(hash, now.Add(callerTTL-time.Millisecond)); !ok || a.TokenID != "t1" {
		t.Fatal("not remembered within its time")
	}
	if _, ok := c.get(hash, now.Add(callerTTL)); ok {
		t.Fatal("remembered past its time")
	}
	if _, ok := c.get(nap.HashToken("napt_y"), now); ok {
		t.Fatal("another token's caller")
	}

	expires := now.Add(callerTTL / 2)
	c.put(hash, nap.Actor{TokenID: "t1", TokenExpires: &expires}, now, c.begin())
	if _, ok := c.get(hash, expires); ok {
		t.Fatal("remembered past the token's expiry")
	}

	c.put(hash, nap.Actor{TokenID: "t1"}, now, c.begin())
	c.forget()
	if _, ok := c.get(hash, now); ok {
		t.Fatal("remembered after forget")
	}

	// A lookup that began before a forget may have read what the change replaced.
	began := c.begin()
	c.forget()
	c.put(hash, nap.Actor{TokenID: "t1"}, now, began)
	if _, ok := c.get(hash, now); ok {
		t.Fatal("a lookup from before the forget was remembered")
	}
}
