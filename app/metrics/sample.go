package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SampleDB refreshes the gauges read from the database (inbox depth, jobs
// by queue and state) every interval until ctx ends. The queries read
// small indexes; one process sampling is enough, more is harmless.
func (m *Metrics) SampleDB(ctx context.Context, pool *pgxpool.Pool, every time.Duration, log *slog.Logger) {
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := m.sample(ctx, pool); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "metrics sample failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

func (m *Metrics) sample(ctx context.Context, pool *pgxpool.Pool) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var rows, portals int64
	var oldest float64
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT portal_id),
		coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8 FROM inbox`).Scan(&rows, &portals, &oldest); err != nil {
		return err
	}
	m.InboxRows.Set(float64(rows))
	m.InboxPortals.Set(float64(portals))
	m.InboxOldest.Set(oldest)

	r, err := pool.Query(ctx, `SELECT queue, state::text, count(*) FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'scheduled') GROUP BY 1, 2`)
	if err != nil {
		return err
	}
	defer r.Close()
	m.JobsWaiting.Reset() // a queue that emptied reads 0, not its last count
	for r.Next() {
		var queue, state string
		var n int64
		if err := r.Scan(&queue, &state, &n); err != nil {
			return err
		}
		m.JobsWaiting.WithLabelValues(queue, state).Set(float64(n))
	}
	return r.Err()
}
