package httpapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one caller may ask of the API.
type Limits struct {
	MaxBodyBytes int64   // largest request body; 0 keeps huma's 1 MiB
	PerSecond    float64 // sustained requests per second per token, or per address for anonymous callers; 0 turns limiting off
	Burst        int     // requests allowed at once above the sustained rate
	// StreamsPerClient bounds the change streams a token, or an anonymous client's address,
	// holds open at once, and Streams those of the whole server; 0 for no bound.
	StreamsPerClient, Streams int
}

// rateLimiter keeps a token bucket per key, forgetting keys idle for a while.
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

const forgetAfter = 10 * time.Minute

func newRateLimiter(l Limits) *rateLimiter {
	return &rateLimiter{limit: rate.Limit(l.PerSecond), burst: max(l.Burst, 1), buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket; when it is empty it says how many whole seconds
// to wait.
func (r *rateLimiter) allow(key string) (int, bool) {
	return r.take(key, 1)
}

// peek says whether key's bucket holds a request, without taking it.
func (r *rateLimiter) peek(key string) (int, bool) {
	return r.take(key, 0)
}

func (r *rateLimiter) take(key string, n int) (int, bool) {
	if r == nil || r.limit <= 0 {
		return 0, true
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.swept) > forgetAfter {
		for k, b := range r.buckets {
			if now.Sub(b.seen) > forgetAfter {
				delete(r.buckets, k)
			}
		}
		r.swept = now
	}
	b, ok := r.buckets[key]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(r.limit, r.burst)}
		r.buckets[key] = b
	}
	b.seen = now
	if n == 0 && b.limiter.TokensAt(now) >= 1 || n > 0 && b.limiter.AllowN(now, n) {
		return 0, true
	}
	wait := b.limiter.ReserveN(now, 1)
	delay := wait.DelayFrom(now)
	wait.CancelAt(now)
	return max(1, int(math.Ceil(delay.Seconds()))), false
}
