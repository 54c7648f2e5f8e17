package b24test

import (
	"math"
	"sync"
	"time"
)

// Limits are Bitrix24's per-portal REST limits
// (https://apidocs.bitrix24.com/limits.html).
type Limits struct {
	// Burst is the leaky bucket's size X: requests beyond it are refused
	// with 503 QUERY_LIMIT_EXCEEDED. Default 50 (Enterprise: 250).
	Burst int
	// Drain is how many requests per second leave the bucket, Y. Default 2
	// (Enterprise: 5).
	Drain float64
	// OperatingBudget is the execution time one method may use per
	// application or webhook within OperatingWindow before answering 429
	// OPERATION_TIME_LIMIT. Default 480 s.
	OperatingBudget time.Duration
	// OperatingWindow is the budget's sliding window, made of ten equal
	// buckets. Default 10 minutes.
	OperatingWindow time.Duration
	// RequestTimeout cuts off a request whose simulated processing takes
	// longer: it answers 500 INTERNAL_SERVER_ERROR once that time has
	// passed. Default 60 s, the cloud's limit; Unlimited leaves it on.
	RequestTimeout time.Duration
	// Unlimited turns both limits off.
	Unlimited bool
}

// StandardLimits are the limits of every plan but Enterprise.
func StandardLimits() Limits {
	return Limits{Burst: 50, Drain: 2, OperatingBudget: 480 * time.Second, OperatingWindow: 10 * time.Minute, RequestTimeout: time.Minute}
}

// EnterpriseLimits are the Enterprise plan's limits.
func EnterpriseLimits() Limits {
	l := StandardLimits()
	l.Burst, l.Drain = 250, 5
	return l
}

func (l Limits) withDefaults() Limits {
	d := StandardLimits()
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	if l.Drain <= 0 {
		l.Drain = d.Drain
	}
	if l.OperatingBudget <= 0 {
		l.OperatingBudget = d.OperatingBudget
	}
	if l.OperatingWindow <= 0 {
		l.OperatingWindow = d.OperatingWindow
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = d.RequestTimeout
	}
	return l
}

// MinDuration is the least wall time the leaky bucket allows for n requests
// sent to one portal whose bucket starts empty: the first Burst pass at
// once, the rest at the drain rate. Benchmarks compare against it.
func (l Limits) MinDuration(n int) time.Duration {
	l = l.withDefaults()
	if l.Unlimited || n <= l.Burst {
		return 0
	}
	return time.Duration(float64(n-l.Burst) / l.Drain * float64(time.Second))
}

// bucket is one portal's leaky bucket.
type bucket struct {
	mu    sync.Mutex
	level float64
	last  time.Time
}

// take admits one request at now, or reports false when the bucket is full.
// A refused request does not fill the bucket: it was never executed.
func (b *bucket) take(now time.Time, l Limits) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.level = math.Max(0, b.level-now.Sub(b.last).Seconds()*l.Drain)
	}
	b.last = now
	if b.level+1 > float64(l.Burst) {
		return false
	}
	b.level++
	return true
}

// fill sets the level, for QUERY_LIMIT_EXCEEDED storms and tests.
func (b *bucket) fill(now time.Time, level float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.level, b.last = level, now
}

// operating tracks the execution time spent per method and per caller (an
// application or one webhook) in ten buckets covering the window; each
// bucket expires one window after it opened.
type operating struct {
	mu   sync.Mutex
	used map[string][]opBucket
}

type opBucket struct {
	start time.Time
	spent time.Duration
}

func (o *operating) live(key string, now time.Time, l Limits) []opBucket {
	bs := o.used[key]
	kept := bs[:0]
	for _, b := range bs {
		if now.Sub(b.start) < l.OperatingWindow {
			kept = append(kept, b)
		}
	}
	o.used[key] = kept
	return kept
}

// state reports the time spent and when the oldest bucket drops out.
func (o *operating) state(key string, now time.Time, l Limits) (spent time.Duration, resetAt time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.used == nil {
		o.used = map[string][]opBucket{}
	}
	bs := o.live(key, now, l)
	resetAt = now.Add(l.OperatingWindow)
	for i, b := range bs {
		spent += b.spent
		if i == 0 {
			resetAt = b.start.Add(l.OperatingWindow)
		}
	}
	return spent, resetAt
}

// charge adds d to the bucket for now.
func (o *operating) charge(key string, now time.Time, d time.Duration, l Limits) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.used == nil {
		o.used = map[string][]opBucket{}
	}
	bs := o.live(key, now, l)
	step := l.OperatingWindow / 10
	if n := len(bs); n > 0 && now.Sub(bs[n-1].start) < step {
		bs[n-1].spent += d
		return
	}
	o.used[key] = append(bs, opBucket{start: now, spent: d})
}
