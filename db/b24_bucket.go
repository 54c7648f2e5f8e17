package db

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/trailhq/trail/app/b24"
)

// Bucket is the Bitrix24 client's rate limiter shared through PostgreSQL:
// every process that calls a portal books its requests in the same row, so
// together they never exceed the portal's leaky bucket. Each reservation is
// one statement (one round trip, no transaction held while waiting); the
// database's clock is the only clock, so machines with skewed clocks agree.
type Bucket struct {
	db *DB
	// Default is the rate of portals without their own (SetRate); zero means
	// b24.StandardRate.
	Default b24.Rate
}

// NewBucket returns a shared limiter over d.
func NewBucket(d *DB) *Bucket { return &Bucket{db: d} }

var _ b24.Limiter = (*Bucket)(nil)

func (b *Bucket) rate() b24.Rate {
	if b.Default.Burst <= 0 || b.Default.Drain <= 0 {
		return b24.StandardRate
	}
	return b.Default
}

// reserveSQL books one request, in the manner of b24.MemoryLimiter: tat
// moves 1/drain on, and the request may go once tat is no more than the
// room (burst/drain less the slack, at least 1/drain) ahead of now. It books
// only when that wait is at most $4 seconds; reserved_by tells the caller
// which happened. Parameters: $1 portal, $2 default burst, $3 default drain,
// $4 max wait (s), $5 slack (s).
const reserveSQL = `
WITH c AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now,
                  $1::text AS portal, $2::int AS burst, $3::float8 AS drain,
                  $4::float8 AS max_wait, $5::float8 AS slack)
INSERT INTO b24_buckets AS b (portal, burst, drain, tat, reserved_by)
SELECT c.portal, c.burst, c.drain, c.now + 1.0 / c.drain, pg_current_xact_id() FROM c
ON CONFLICT (portal) DO UPDATE SET
    tat = CASE WHEN (SELECT greatest(b.tat, c.now) + 1.0 / b.drain - greatest(b.burst / b.drain - c.slack, 1.0 / b.drain) - c.now <= c.max_wait FROM c)
               THEN (SELECT greatest(b.tat, c.now) FROM c) + 1.0 / b.drain ELSE b.tat END,
    reserved_by = CASE WHEN (SELECT greatest(b.tat, c.now) + 1.0 / b.drain - greatest(b.burst / b.drain - c.slack, 1.0 / b.drain) - c.now <= c.max_wait FROM c)
               THEN pg_current_xact_id() ELSE b.reserved_by END
RETURNING b.tat, b.burst, b.drain, (SELECT now FROM c), b.reserved_by = pg_current_xact_id()`

// Reserve implements b24.Limiter.
func (b *Bucket) Reserve(ctx context.Context, portal string, maxWait time.Duration) (time.Duration, error) {
	r := b.rate()
	mw := min(maxWait.Seconds(), 1e9)
	var tat, drain, now float64
	var burst int
	var reserved bool
	err := b.db.Pool.QueryRow(ctx, reserveSQL, portal, r.Burst, r.Drain, mw, b24.Slack.Seconds()).
		Scan(&tat, &burst, &drain, &now, &reserved)
	if err != nil {
		return 0, fmt.Errorf("b24 bucket: reserve %s: %w", portal, err)
	}
	room := math.Max(float64(burst)/drain-b24.Slack.Seconds(), 1/drain)
	if !reserved {
		wait := math.Max(tat, now) + 1/drain - room - now
		return 0, &b24.WouldWaitError{Delay: seconds(wait), Reason: "rate"}
	}
	return seconds(math.Max(tat-room-now, 0)), nil
}

// Full implements b24.Limiter: the portal said its bucket is full.
func (b *Bucket) Full(ctx context.Context, portal string) error {
	r := b.rate()
	_, err := b.db.Pool.Exec(ctx, `
		INSERT INTO b24_buckets AS b (portal, burst, drain, tat)
		VALUES ($1::text, $2::int, $3::float8, extract(epoch FROM clock_timestamp())::float8 + $2::int / $3::float8)
		ON CONFLICT (portal) DO UPDATE
		SET tat = greatest(b.tat, extract(epoch FROM clock_timestamp())::float8 + b.burst / b.drain)`,
		portal, r.Burst, r.Drain)
	if err != nil {
		return fmt.Errorf("b24 bucket: full %s: %w", portal, err)
	}
	return nil
}

// SetRate sets a portal's plan (Enterprise portals: b24.EnterpriseRate).
func (b *Bucket) SetRate(ctx context.Context, portal string, r b24.Rate) error {
	if r.Burst <= 0 || r.Drain <= 0 {
		return fmt.Errorf("b24 bucket: invalid rate %+v", r)
	}
	_, err := b.db.Pool.Exec(ctx, `
		INSERT INTO b24_buckets AS b (portal, burst, drain, tat)
		VALUES ($1::text, $2::int, $3::float8, 0)
		ON CONFLICT (portal) DO UPDATE SET burst = excluded.burst, drain = excluded.drain`,
		portal, r.Burst, r.Drain)
	if err != nil {
		return fmt.Errorf("b24 bucket: set rate %s: %w", portal, err)
	}
	return nil
}

func seconds(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
