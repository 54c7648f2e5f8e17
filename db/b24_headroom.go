package db

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// UntilBelow returns how long until the portal's bucket is at most share
// of its burst full (0: it is now). Work that may wait (a baseline's extras)
// asks it before each request, so that it uses only what the portal's
// urgent work leaves of the limit: that work, which never waits for the
// bucket, then always finds the rest free.
func (b *Bucket) UntilBelow(ctx context.Context, portal string, share float64) (time.Duration, error) {
	var s float64
	err := b.db.Pool.QueryRow(ctx, `SELECT tat - $2::float8 * burst / drain - extract(epoch FROM clock_timestamp())::float8
		FROM b24_buckets WHERE portal = $1`, portal, share).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("b24 bucket: level of %s: %w", portal, err)
	}
	return seconds(math.Max(s, 0)), nil
}
