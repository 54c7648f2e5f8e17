package b24

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff returns the delay before retry number n (1 for the first retry):
// exponential from base, capped at max, with "equal jitter" — half of it
// fixed, half random — so that clients failing together spread out but
// still wait at least half the nominal delay.
func backoff(n int, base, maxDelay time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error { return sleepOr(ctx, d, nil) }

// sleepOr is sleep that also ends with ErrAbandoned when stop closes (a nil
// stop never does).
func sleepOr(ctx context.Context, d time.Duration, stop <-chan struct{}) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return ErrAbandoned
	case <-t.C:
		return nil
	}
}

// fitsDeadline reports whether waiting d still leaves ctx time to act.
func fitsDeadline(ctx context.Context, now time.Time, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || now.Add(d).Before(dl)
}

// untilDeadline is the longest ctx lets a caller wait; a very long time when
// ctx has no deadline.
func untilDeadline(ctx context.Context, now time.Time) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return 1<<63 - 1
	}
	return max(dl.Sub(now), 0)
}
