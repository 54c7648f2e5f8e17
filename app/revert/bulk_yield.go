package revert

import (
	"context"
	"time"

	"github.com/trailhq/trail/app/b24"
)

// bulkShare is how full a bulk revert lets the portal's bucket get before
// its next request: the rest of the burst stays free for people, whose
// frames and reverts (the same bucket) then never wait behind it, while
// the bulk revert still takes every request the bucket drains.
const bulkShare = 0.8

// yield waits until the portal's bucket is at most bulkShare full, or
// gives the worker back (b24.ErrWouldWait) when that is further off than
// bulkWait. Limiters that cannot tell their level are not waited for.
func (b *Bulk) yield(ctx context.Context, c *b24.Client) error {
	lv, ok := b.Clients.Limiter.(interface {
		UntilBelow(ctx context.Context, portal string, share float64) (time.Duration, error)
	})
	if !ok {
		return nil
	}
	d, err := lv.UntilBelow(ctx, c.Portal(), bulkShare)
	if err != nil || d == 0 {
		return err
	}
	if d > bulkWait {
		return &b24.WouldWaitError{Delay: d, Reason: "rate"}
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
