package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/db"
)

// pgCeiling measures how many one-row insert transactions per second the
// database takes from concurrency clients over d: the floor cost of any
// intake that commits what it accepts before answering.
func pgCeiling(ctx context.Context, d *db.DB, concurrency int, d8n time.Duration) (float64, error) {
	if _, err := d.Pool.Exec(ctx, `CREATE TABLE bench_ceiling (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		portal_id bigint NOT NULL,
		received_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, err
	}
	defer d.Pool.Exec(context.Background(), "DROP TABLE bench_ceiling") //nolint:errcheck
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithTimeout(ctx, d8n)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO bench_ceiling (portal_id) VALUES ($1)", i)
					return err
				})
				if err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err })
					}
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}
