package b24

import (
	"context"
	"sync"
	"time"
)

// Rate is a portal's leaky bucket: every request adds one, Drain leave per
// second, and a request that would take the level beyond Burst is refused
// with QUERY_LIMIT_EXCEEDED. Standard plans: 50/2; Enterprise: 250/5.
type Rate struct {
	Burst int
	Drain float64
}

// Standard and Enterprise rates as documented.
var (
	StandardRate   = Rate{Burst: 50, Drain: 2}
	EnterpriseRate = Rate{Burst: 250, Drain: 5}
)

// Slack is how much network jitter a limiter absorbs. Reservations assume
// a request reaches the portal at the instant it was scheduled; a request
// that arrives late while the next one arrives on time meets a fuller
// bucket than planned. So limiters keep the bucket Slack·Drain requests
// below its burst (two requests on standard plans, five on Enterprise),
// which costs one Slack of waiting once, at the start of a saturated run.
// A second, not less: a loaded worker can send a booked request that much
// late, and a portal that refuses one request costs more than the wait.
const Slack = time.Second

// room is how far ahead of now a bucket's empty-time may lie for a request
// to go: the burst's worth of drain time less Slack, and never less than
// one request's.
func room(r Rate) time.Duration {
	interval := time.Duration(float64(time.Second) / r.Drain)
	return max(time.Duration(float64(r.Burst)/r.Drain*float64(time.Second))-Slack, interval)
}

// Limiter schedules requests so that all clients sharing it stay inside each
// portal's leaky bucket. Implementations decide in one atomic step whether
// the request fits and when it may go (reserve, then wait), so any number of
// clients, goroutines or processes sharing one Limiter never exceed the rate
// together.
type Limiter interface {
	// Reserve books the next free slot for one request to the portal and
	// returns how long the caller must wait before sending it. When that
	// wait would exceed maxWait nothing is booked and Reserve returns a
	// *WouldWaitError saying how long it would have been.
	Reserve(ctx context.Context, portal string, maxWait time.Duration) (time.Duration, error)

	// Full tells the limiter that the portal refused a request as rate
	// limited: its bucket is fuller than the limiter thought (another
	// application from the same address, a restart). Later reservations
	// wait as if the bucket were full now.
	Full(ctx context.Context, portal string) error
}

// MemoryLimiter is a Limiter for the clients of one process. The zero value
// uses StandardRate for every portal.
type MemoryLimiter struct {
	// Default is the rate of portals without an entry in SetRate; zero
	// means StandardRate.
	Default Rate
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]*memBucket
}

type memBucket struct {
	rate Rate
	set  bool      // rate set explicitly
	tat  time.Time // when the bucket would be empty again
}

// NewMemoryLimiter returns a MemoryLimiter with the given default rate.
func NewMemoryLimiter(def Rate) *MemoryLimiter { return &MemoryLimiter{Default: def} }

// SetRate sets one portal's rate (for instance Enterprise portals).
func (l *MemoryLimiter) SetRate(portal string, r Rate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(portal)
	b.rate, b.set = r, true
}

func (l *MemoryLimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *MemoryLimiter) bucket(portal string) *memBucket {
	if l.buckets == nil {
		l.buckets = map[string]*memBucket{}
	}
	b := l.buckets[portal]
	if b == nil {
		b = &memBucket{}
		l.buckets[portal] = b
	}
	if !b.set {
		b.rate = l.Default
		if b.rate.Burst <= 0 || b.rate.Drain <= 0 {
			b.rate = StandardRate
		}
	}
	return b
}

// Reserve implements Limiter.
func (l *MemoryLimiter) Reserve(_ context.Context, portal string, maxWait time.Duration) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(portal)
	tat, wait := reserve(b.tat, l.now(), b.rate)
	if wait > maxWait {
		return 0, &WouldWaitError{Delay: wait, Reason: "rate"}
	}
	b.tat = tat
	return wait, nil
}

// Full implements Limiter.
func (l *MemoryLimiter) Full(_ context.Context, portal string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(portal)
	b.tat = full(b.tat, l.now(), b.rate)
	return nil
}

// reserve is the leaky bucket as a virtual schedule (GCRA). tat is the time
// at which the bucket would be empty; each request adds 1/Drain to it. A
// request fits once the level, (tat-now)·Drain, leaves room for it under the
// burst (less Slack), so its slot is tat' - room and the caller waits until
// then. Returns the new tat and the wait.
func reserve(tat, now time.Time, r Rate) (time.Time, time.Duration) {
	if tat.Before(now) {
		tat = now
	}
	tat = tat.Add(time.Duration(float64(time.Second) / r.Drain))
	return tat, max(tat.Sub(now)-room(r), 0)
}

// full moves tat to where a full bucket puts it, unless it is already later.
func full(tat, now time.Time, r Rate) time.Time {
	f := now.Add(time.Duration(float64(r.Burst) / r.Drain * float64(time.Second)))
	if f.After(tat) {
		return f
	}
	return tat
}
