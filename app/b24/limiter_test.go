package b24

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClock is a clock moved by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time      { return c.t }
func (c *fakeClock) Add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func TestMemoryLimiterBurstThenDrain(t *testing.T) {
	clk := newClock()
	l := &MemoryLimiter{Default: Rate{Burst: 10, Drain: 2}, Now: clk.Now}
	ctx := context.Background()
	// The burst less Slack (two requests) goes at once: 8 requests.
	for i := range 8 {
		if d, err := l.Reserve(ctx, "p", time.Hour); err != nil || d != 0 {
			t.Fatalf("request %d: wait %v err %v", i, d, err)
		}
	}
	// Then one every 1/Drain seconds.
	for i := 1; i <= 4; i++ {
		d, err := l.Reserve(ctx, "p", time.Hour)
		if want := time.Duration(i) * 500 * time.Millisecond; err != nil || d != want {
			t.Fatalf("queued request %d: wait %v, want %v (err %v)", i, d, want, err)
		}
	}
	// Another portal is not affected.
	if d, _ := l.Reserve(ctx, "q", time.Hour); d != 0 {
		t.Errorf("other portal waits %v", d)
	}
	// After everything drained the burst is back.
	clk.Add(time.Minute)
	if d, _ := l.Reserve(ctx, "p", time.Hour); d != 0 {
		t.Errorf("after drain: wait %v", d)
	}
}

// The bucket never admits more than burst requests in any window: simulate
// the portal's bucket with the reserved send times.
func TestMemoryLimiterNeverOverflowsPortal(t *testing.T) {
	clk := newClock()
	rate := Rate{Burst: 50, Drain: 2}
	l := &MemoryLimiter{Default: rate, Now: clk.Now}
	var level float64
	last := clk.Now()
	var sends []time.Time
	for i := range 400 {
		d, err := l.Reserve(context.Background(), "p", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		sends = append(sends, clk.Now().Add(d))
		if i%7 == 0 {
			clk.Add(300 * time.Millisecond) // callers arrive irregularly
		}
	}
	for i, s := range sends {
		level = max(0, level-s.Sub(last).Seconds()*rate.Drain)
		last = s
		if level+1 > float64(rate.Burst) {
			t.Fatalf("request %d at level %.2f would be refused", i, level)
		}
		level++
	}
}

func TestMemoryLimiterMaxWait(t *testing.T) {
	clk := newClock()
	l := &MemoryLimiter{Default: Rate{Burst: 2, Drain: 1}, Now: clk.Now}
	ctx := context.Background()
	l.Reserve(ctx, "p", 0)
	_, err := l.Reserve(ctx, "p", 0)
	var ww *WouldWaitError
	if !errors.As(err, &ww) || ww.Delay != Slack {
		t.Fatalf("got %v, want would-wait %v", err, Slack)
	}
	// Nothing was booked: the same wait again.
	_, err = l.Reserve(ctx, "p", 0)
	if !errors.As(err, &ww) || ww.Delay != Slack {
		t.Fatalf("second refusal: %v", err)
	}
	clk.Add(Slack)
	if d, err := l.Reserve(ctx, "p", 0); err != nil || d != 0 {
		t.Fatalf("after waiting: %v %v", d, err)
	}
}

func TestMemoryLimiterFull(t *testing.T) {
	clk := newClock()
	l := &MemoryLimiter{Default: Rate{Burst: 50, Drain: 2}, Now: clk.Now}
	ctx := context.Background()
	l.Full(ctx, "p")
	d, _ := l.Reserve(ctx, "p", time.Hour)
	// A full bucket (50) must drain to 47 before a request fits under
	// the slack: 1.5 s.
	if want := 1500 * time.Millisecond; d != want {
		t.Errorf("wait after Full = %v, want %v", d, want)
	}
}

func TestBackoff(t *testing.T) {
	for n := 1; n <= 10; n++ {
		nominal := min(500*time.Millisecond<<(n-1), 30*time.Second)
		for range 50 {
			d := backoff(n, 500*time.Millisecond, 30*time.Second)
			if d < nominal/2 || d > nominal {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, nominal/2, nominal)
			}
		}
	}
}
