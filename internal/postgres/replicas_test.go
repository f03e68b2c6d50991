package postgres

import (
	"testing"
	"time"
)

// TestLagOf: a replica's lag is dated by the oldest sample of the primary's WAL it has not
// replayed; behind every sample, only a lower bound is known.
func TestLagOf(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 10, 0, time.UTC)
	wal := []walSample{{now.Add(-6 * time.Second), 100}, {now.Add(-4 * time.Second), 200}, {now.Add(-2 * time.Second), 300}}
	for _, c := range []struct {
		replayed uint64
		lag      time.Duration
		known    bool
	}{
		{300, 0, true},               // it has all the primary had at the last check
		{350, 0, true},               // the primary wrote more since
		{250, 2 * time.Second, true}, // it lacks what the primary held 2 s ago
		{100, 4 * time.Second, true}, //
		{99, 6 * time.Second, false}, // behind every sample: at least 6 s
	} {
		lag, known := lagOf(wal, c.replayed, now)
		if lag != c.lag || known != c.known {
			t.Errorf("replayed %d: lag %s known %v, want %s %v", c.replayed, lag, known, c.lag, c.known)
		}
	}
	if _, known := lagOf(nil, 0, now); known {
		t.Error("a lag is known before the primary was sampled")
	}
}
