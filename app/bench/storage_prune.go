package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/trailhq/trail/jobs"
)

type pruneOptions struct {
	rows   int
	rate   float64
	window time.Duration
}

// PruneResult is the retention prune measured next to drains: expired
// rows generated in SQL, then pruned by jobs.PruneHistory while the bench
// edits deals on the portal at a steady rate and sends their events.
type PruneResult struct {
	Rows            int64   `json:"rows"`
	GenerateSeconds float64 `json:"generate_seconds"`
	// BytesPerRow is the whole history table's size per row with the
	// expired rows in, indexes and TOAST included.
	BytesPerRow float64            `json:"bytes_per_row"`
	Parts       map[string]float64 `json:"parts"`
	Seconds     float64            `json:"seconds"`
	RowsPerS    float64            `json:"rows_per_s"`
	// Before and During are the drains over the window before the prune
	// and while it ran.
	Before Drains `json:"before"`
	During Drains `json:"during"`
	// LockWaits counts the samples (every 100 ms while the prune ran) that
	// found a backend of the database waiting for a lock, of Samples;
	// BehindPrune those where one waited for a lock the prune's DELETE held.
	LockWaits   int `json:"lock_waits"`
	BehindPrune int `json:"lock_waits_behind_prune"`
	Samples     int `json:"samples"`
}

// Drains are the changes of the edits sent in one window: how many per
// second reached history, and their lag from the edit to the drain's
// write (the start of its transaction, recordArrivals).
type Drains struct {
	Edits int `json:"edits"`
	// IntakeP99ms is the events handler's answer time, at p99.
	IntakeP99ms float64 `json:"intake_p99_ms"`
	PerS        float64 `json:"recorded_per_s"`
	LagP50ms    float64 `json:"lag_p50_ms"`
	LagP99ms    float64 `json:"lag_p99_ms"`
	LagMaxMs    float64 `json:"lag_max_ms"`
	Unrecorded  int     `json:"unrecorded"`
}

// pruneRetentionDays is the portal's retention while the prune runs: the
// generated rows are older, the drains' new ones younger.
const pruneRetentionDays = 30

func prune(ctx context.Context, s *stack, o pruneOptions, deals int, timeout time.Duration, logf func(string, ...any)) (*PruneResult, error) {
	var portal int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT id FROM installations ORDER BY id LIMIT 1`).Scan(&portal); err != nil {
		return nil, err
	}
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO portal_settings (portal_id, retention_days) VALUES ($1, $2)
		ON CONFLICT (portal_id) DO UPDATE SET retention_days = EXCLUDED.retention_days`, portal, pruneRetentionDays); err != nil {
		return nil, err
	}
	// The workers prune once as they start (then hourly): the rows are
	// generated after that run, so that the prune measured is this one.
	if err := waitStartupPrune(ctx, s, timeout); err != nil {
		return nil, err
	}
	res := &PruneResult{Rows: int64(o.rows)}
	start := time.Now()
	if err := generateExpired(ctx, s, portal, o.rows, deals, logf); err != nil {
		return nil, err
	}
	res.GenerateSeconds = round2(time.Since(start).Seconds())
	rows, perRow, parts, err := tableSize(ctx, s, "history")
	if err != nil {
		return nil, err
	}
	res.BytesPerRow, res.Parts = perRow, parts
	logf("%d expired rows generated in %.0f s; history is %d rows, %.1f bytes a row", o.rows, res.GenerateSeconds, rows, res.BytesPerRow)

	l := startEdits(ctx, s, deals, o.rate)
	stopEdits := sync.OnceValue(l.stop)
	defer stopEdits()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(o.window):
	}
	before := l.count()
	logf("%d edits sent before the prune; pruning", before)
	stopSampling := sampleLockWaits(ctx, s, res)
	pruneStart := time.Now()
	deleted, done, err := jobs.PruneHistory(ctx, s.db, time.Now().Add(time.Hour))
	res.Seconds = round2(time.Since(pruneStart).Seconds())
	stopSampling()
	during := l.count()
	if err := stopEdits(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if !done || deleted < int64(o.rows) {
		return nil, fmt.Errorf("the prune deleted %d rows of %d expired (done: %v)", deleted, o.rows, done)
	}
	res.RowsPerS = round2(float64(deleted) / res.Seconds)
	logf("%d rows pruned in %.1f s; %d edits sent during it", deleted, res.Seconds, during-before)

	at, err := l.arrivals(ctx, s, during, timeout)
	if err != nil {
		return nil, err
	}
	res.Before = l.drains(at, 0, before, o.window)
	res.During = l.drains(at, before, during, time.Duration(res.Seconds*float64(time.Second)))
	return res, nil
}

// generateExpired inserts n history rows of the portal changed before its
// retention, in time order as drains would have written them: changes of
// four rows each, of the portal's deals in turn, each row a copy of one
// the drains wrote (cycling through them); a million rows a statement.
func generateExpired(ctx context.Context, s *stack, portal int64, n, deals int, logf func(string, ...any)) error {
	var base int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT setval('history_change_seq', nextval('history_change_seq') + $1) - $1`, n/4+1).Scan(&base); err != nil {
		return err
	}
	if _, err := s.db.Pool.Exec(ctx, `CREATE TABLE bench_rows AS
		SELECT row_number() OVER (ORDER BY change_id, seq) - 1 AS i, author_id, entity, utc_offset,
			action, change_kind, source, field, item_key, old_value, new_value
		FROM history WHERE portal_id = $1`, portal); err != nil {
		return err
	}
	const chunk = 1_000_000
	for from := 0; from < n; from += chunk {
		to := min(from+chunk, n)
		if _, err := s.db.Pool.Exec(ctx, `
			INSERT INTO history (portal_id, entity_id, change_id, changed_at, author_id, entity, utc_offset,
				action, change_kind, source, seq, field, item_key, old_value, new_value)
			SELECT $1, (g / 4) % $7 + 1, $2 + g / 4, now() - make_interval(days => $3 + 1, secs => $4 / 4 - g / 4),
				r.author_id, r.entity, r.utc_offset, r.action, r.change_kind, r.source, g % 4, r.field, r.item_key, r.old_value, r.new_value
			FROM generate_series($5::bigint, $6::bigint - 1) g
			JOIN bench_rows r ON r.i = g % (SELECT count(*) FROM bench_rows)`,
			portal, base, pruneRetentionDays, n, from, to, deals); err != nil {
			return fmt.Errorf("generate expired rows: %w", err)
		}
		logf("generated %d/%d expired rows", to, n)
	}
	if _, err := s.db.Pool.Exec(ctx, `DROP TABLE bench_rows`); err != nil {
		return err
	}
	// As old rows are: long since vacuumed.
	_, err := s.db.Pool.Exec(ctx, `VACUUM ANALYZE history`)
	return err
}

// sampleLockWaits counts, every 100 ms until stopped, whether a backend of
// the bench's database waits for a lock.
func sampleLockWaits(ctx context.Context, s *stack, res *PruneResult) (stop func()) {
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var waiting, behind int
			if err := s.db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE EXISTS (
					SELECT 1 FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid)) AND b.query LIKE '%DELETE FROM history%'))
				FROM pg_stat_activity a WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'`).Scan(&waiting, &behind); err != nil {
				continue
			}
			res.Samples++
			if waiting > 0 {
				res.LockWaits++
			}
			if behind > 0 {
				res.BehindPrune++
			}
		}
	}()
	return func() { close(quit); <-finished }
}

// edits is the steady load: deal (i % deals) + 1 gets title "prune-i",
// then its event, rate times a second.
type edits struct {
	mu     sync.Mutex
	sent   []time.Time     // when edit i was made on the portal
	intake []time.Duration // how long its event took to be accepted
	quit   chan struct{}
	done   chan error
}

func startEdits(ctx context.Context, s *stack, deals int, rate float64) *edits {
	l := &edits{quit: make(chan struct{}), done: make(chan error, 1)}
	p := s.emu.Portals()[0]
	token := p.ApplicationToken()
	go func() {
		client := &http.Client{Timeout: 30 * time.Second}
		defer client.CloseIdleConnections()
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-l.quit:
				l.done <- nil
				return
			case <-ctx.Done():
				l.done <- ctx.Err()
				return
			case <-t.C:
			}
			id := i%deals + 1
			at := time.Now()
			if err := p.UpdateRecord("deal", id, p.AdminID(), map[string]any{"TITLE": "prune-" + strconv.Itoa(i)}); err != nil {
				l.done <- err
				return
			}
			posted := time.Now()
			if ok, err := post(ctx, client, s.events, eventBody(p, token, id)); err != nil || !ok {
				l.done <- fmt.Errorf("event of edit %d not accepted: %v", i, err)
				return
			}
			l.mu.Lock()
			l.sent, l.intake = append(l.sent, at), append(l.intake, time.Since(posted))
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *edits) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

func (l *edits) stop() error {
	close(l.quit)
	return <-l.done
}

// arrivals waits until the first n edits' changes are in history (or the
// timeout passes) and returns when each arrived; zero for none.
func (l *edits) arrivals(ctx context.Context, s *stack, n int, timeout time.Duration) ([]time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		at := make([]time.Time, n)
		rows, err := s.db.Pool.Query(ctx, `SELECT substr(new_value, 8), at FROM bench_arrivals WHERE new_value LIKE 'Tprune-%'`)
		if err != nil {
			return nil, err
		}
		got := 0
		for rows.Next() {
			var i string
			var t time.Time
			if err := rows.Scan(&i, &t); err != nil {
				rows.Close()
				return nil, err
			}
			k, err := strconv.Atoi(i)
			if err != nil || k < 0 {
				rows.Close()
				return nil, errors.New("unexpected title prune-" + i)
			}
			if k < n && at[k].IsZero() {
				at[k] = t
				got++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if got == n || time.Now().After(deadline) {
			return at, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// drains sums up edits [from, to), sent over d.
func (l *edits) drains(at []time.Time, from, to int, d time.Duration) Drains {
	out := Drains{Edits: to - from}
	if intake := slices.Sorted(slices.Values(l.intake[from:to])); len(intake) > 0 {
		out.IntakeP99ms = ms(pct(intake, 99))
	}
	var lags []time.Duration
	for i := from; i < to; i++ {
		if at[i].IsZero() {
			out.Unrecorded++
			continue
		}
		lags = append(lags, at[i].Sub(l.sent[i]))
	}
	if len(lags) == 0 || d <= 0 {
		return out
	}
	slices.Sort(lags)
	out.PerS = round2(float64(len(lags)) / d.Seconds())
	out.LagP50ms, out.LagP99ms, out.LagMaxMs = ms(pct(lags, 50)), ms(pct(lags, 99)), ms(lags[len(lags)-1])
	return out
}

// waitStartupPrune waits until the prune the workers run as they start has
// finished.
func waitStartupPrune(ctx context.Context, s *stack, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var done bool
		if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = $1 AND state = 'completed')`,
			jobs.PruneArgs{}.Kind()).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("bench storage: the workers' startup prune did not finish")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
