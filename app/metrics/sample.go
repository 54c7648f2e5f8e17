package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// JobCount is how many jobs of a queue are in one state.
type JobCount struct {
	Queue, State string
	N            int64
}

// SampleDB refreshes the gauges read from the database (inbox depth, jobs
// by queue and state, counted by jobCounts) every interval until ctx ends.
// The queries read small indexes; one process sampling is enough, more is
// harmless.
func (m *Metrics) SampleDB(ctx context.Context, pool *pgxpool.Pool, jobCounts func(context.Context) ([]JobCount, error), every time.Duration, log *slog.Logger) {
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := m.sample(ctx, pool, jobCounts); err != nil && ctx.Err() == nil {
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

func (m *Metrics) sample(ctx context.Context, pool *pgxpool.Pool, jobCounts func(context.Context) ([]JobCount, error)) error {
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

	counts, err := jobCounts(ctx)
	if err != nil {
		return err
	}
	m.JobsWaiting.Reset() // a queue that emptied reads 0, not its last count
	for _, c := range counts {
		m.JobsWaiting.WithLabelValues(c.Queue, c.State).Set(float64(c.N))
	}
	return nil
}
