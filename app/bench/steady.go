package bench

import (
	"context"
	"time"
)

// The targets a steady rate must hold to count as sustained: the lag from
// event to history row at p99, and the events handler's p99.
const (
	lagTarget    = 5 * time.Second
	intakeTarget = 50 * time.Millisecond
	firstRate    = 500.0 // events/s the search starts at unless --rate says
	maxSteps     = 10
)

// Step is one rate the search held for --step.
type Step struct {
	Rate       float64 `json:"rate"`
	EventsPerS float64 `json:"events_per_s"`
	P99ms      float64 `json:"p99_ms"`
	LagP99ms   float64 `json:"lag_p99_ms"`
	Lost       int     `json:"lost"`
	Held       bool    `json:"held"`
}

// held reports whether a run at a steady rate met the targets: nothing
// lost or doubled, intake and lag p99 under their targets.
func held(res *Result) bool {
	return res.Lost == 0 && res.Duplicates == 0 && res.Rejected == 0 &&
		res.P99ms < ms(intakeTarget) && res.LagP99ms < ms(lagTarget)
}

// rates are the steady rates --find-rate tries, in order: multiples of
// the first.
func (o options) rates() []float64 {
	first := o.rate
	if first <= 0 {
		first = firstRate
	}
	out := make([]float64, maxSteps)
	for i := range out {
		out[i] = float64(i+1) * first
	}
	return out
}

// totalEvents is how many events the run may send: --events, or with
// --find-rate each rate held for --step.
func (o options) totalEvents() int {
	if !o.findRate {
		return o.events
	}
	n := 0
	for _, r := range o.rates() {
		n += int(r * o.step.Seconds())
	}
	return n
}

// findRate holds each rate for o.step, lets history catch up, and stops at
// the first rate that misses a target. Its result is that of the highest
// rate that held (the first one tried if none did), with every step.
func findRate(ctx context.Context, s *stack, o options, r *sent, logf func(string, ...any)) (*Result, error) {
	var best, first *Result
	var steps []Step
	from := 0
	for _, rate := range o.rates() {
		ph := &phase{from: from, to: from + int(rate*o.step.Seconds()), rate: rate}
		from = ph.to
		logf("steady %.0f events/s for %s", rate, o.step)
		res, err := runPhase(ctx, s, o, r, ph, logf)
		if err != nil {
			return nil, err
		}
		ok := held(res)
		steps = append(steps, Step{Rate: rate, EventsPerS: res.EventsPerS, P99ms: res.P99ms, LagP99ms: res.LagP99ms, Lost: res.Lost, Held: ok})
		logf("steady %.0f events/s: intake p99 %.1f ms, lag p99 %.0f ms, lost %d: held %t", rate, res.P99ms, res.LagP99ms, res.Lost, ok)
		if first == nil {
			first = res
		}
		if !ok {
			break
		}
		best = res
	}
	out := first
	if best != nil {
		out = best
		out.Sustained = steps[len(steps)-1].Rate
		if !steps[len(steps)-1].Held {
			out.Sustained = steps[len(steps)-2].Rate
		}
	}
	out.Steps = steps
	return out, nil
}
