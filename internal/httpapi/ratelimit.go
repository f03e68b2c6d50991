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
	// UploadIdle is how long an upload may send nothing before it is cut (408); MaxUploadBytes,
	// the largest file, scales how long a whole upload may take (uploadDeadline).
	UploadIdle     time.Duration
	MaxUploadBytes int64
	// StreamsPerClient bounds the change streams a token, or an anonymous client's address,
	// holds open at once, and Streams those of the whole server; 0 for no bound.
	StreamsPerClient, Streams int
}

// bodyLimit is the largest JSON request body.
func (l Limits) bodyLimit() int64 {
	if l.MaxBodyBytes > 0 {
		return l.MaxBodyBytes
	}
	return 1 << 20 // huma's own default
}

// minUploadRate is the slowest average rate at which an upload of the largest file still
// completes: 32 KiB a second, so 25 MiB may take 13 minutes.
const minUploadRate = 32 << 10

// uploadIdle is how long an upload may send nothing: UploadIdle, or 15 s.
func (l Limits) uploadIdle() time.Duration {
	if l.UploadIdle > 0 {
		return l.UploadIdle
	}
	return 15 * time.Second
}

// uploadDeadline is how long a whole upload may take.
func (l Limits) uploadDeadline() time.Duration {
	return max(time.Minute, time.Duration(l.MaxUploadBytes/minUploadRate)*time.Second)
}

// bodyReadTimeout is how long a JSON body may take to arrive: its limit at minUploadRate.
func (l Limits) bodyReadTimeout() time.Duration {
	return max(10*time.Second, time.Duration(l.bodyLimit()/minUploadRate)*time.Second)
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
