package bench

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// result summarises the intake side of a phase.
func (r *sent) result(o options, ph *phase) *Result {
	var lat []time.Duration
	for i := ph.from; i < ph.to; i++ {
		if r.accepted[i] {
			lat = append(lat, r.latency[i])
		}
	}
	res := &Result{Portals: o.portals, Events: len(lat), Rejected: ph.to - ph.from - len(lat), Concurrency: o.concurrency}
	if secs := ph.end.Sub(ph.start).Seconds(); secs > 0 {
		res.EventsPerS = round(float64(len(lat)) / secs)
	}
	slices.Sort(lat)
	res.P50ms, res.P99ms, res.MaxMs = ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(lat, 100))
	return res
}

// awaitHistory waits until the change of every event accepted before to is
// in history, or the timeout passes (what is missing then counts as lost).
func awaitHistory(ctx context.Context, s *stack, r *sent, to int, timeout time.Duration, logf func(string, ...any)) error {
	want := 0
	for _, ok := range r.accepted[:to] {
		if ok {
			want++
		}
	}
	deadline := time.Now().Add(timeout)
	last := time.Now()
	for {
		var n int
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM bench_arrivals
			WHERE entity = 2 AND new_value LIKE 'Tbench-%'`).Scan(&n); err != nil {
			return err
		}
		if n >= want || time.Now().After(deadline) {
			return nil
		}
		if time.Since(last) > 5*time.Second {
			logf("history: %d/%d changes recorded", n, want)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lags fills in, for the phase's events, the lag from send to history row
// and the losses; with a skew, the heavy portal's changes are left out of
// both and reported as its rate instead (see recordArrivals).
func (r *sent) lags(ctx context.Context, s *stack, sp split, ph *phase, res *Result) error {
	rows, err := s.db.Pool.Query(ctx, `SELECT substr(new_value, 2), at FROM bench_arrivals
		WHERE entity = 2 AND new_value LIKE 'Tbench-%'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := make([]bool, len(r.at))
	var lags []time.Duration
	var heavyDone int
	var heavyFirst, heavyLast time.Time
	for rows.Next() {
		var text string
		var at time.Time
		if err := rows.Scan(&text, &at); err != nil {
			return err
		}
		i, err := strconv.Atoi(strings.TrimPrefix(text, "bench-"))
		if err != nil || i < 0 || i >= len(r.at) {
			return errors.New("unexpected history value " + text)
		}
		if i < ph.from || i >= ph.to {
			continue
		}
		if seen[i] {
			res.Duplicates++ // one change recorded twice
		}
		seen[i] = true
		switch {
		case !r.accepted[i]:
		case sp.heavy(i):
			heavyDone++
			if at.After(heavyLast) {
				heavyLast = at
			}
		default:
			lags = append(lags, at.Sub(r.at[i]))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := ph.from; i < ph.to; i++ {
		if !r.accepted[i] || seen[i] {
			continue
		}
		if sp.heavy(i) {
			res.HeavyPending++
		} else {
			res.Lost++
		}
	}
	slices.Sort(lags)
	res.LagP50ms, res.LagP99ms, res.LagMaxMs = ms(pct(lags, 50)), ms(pct(lags, 99)), ms(pct(lags, 100))
	if sp.skew > 0 {
		for i := ph.from; i < ph.to; i++ {
			if sp.heavy(i) {
				res.HeavyEvents++
				if heavyFirst.IsZero() {
					heavyFirst = r.at[i]
				}
			}
		}
		res.Skew, res.HeavyLimitPerS = sp.skew, round2(heavyLimitPerS)
		if res.HeavyPending > 0 {
			heavyLast = time.Now() // still going, or stuck: its rate until now
		}
		if secs := heavyLast.Sub(heavyFirst).Seconds(); secs > 0 {
			res.HeavyRecordsPerS = round2(float64(heavyDone) / secs)
		}
	}
	return nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round2(float64(d) / float64(time.Millisecond)) }
func round(f float64) float64    { return math.Round(f) }
func round2(f float64) float64   { return math.Round(f*100) / 100 }
