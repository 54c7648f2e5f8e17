package b24

import (
	"math"
	"sync"
	"time"
)

// DefaultOperatingBudget is the execution time a method may use per
// application within ten minutes on cloud portals.
const DefaultOperatingBudget = 480 * time.Second

// Pacer keeps each method inside its execution-time ("operating") budget.
//
// Portals report in every answer how many seconds the method has used in
// the sliding ten-minute window (time.operating) and when the oldest minute
// of that drops out (time.operating_reset_at). Once the method would cross
// the budget the portal refuses it with 429 OPERATION_TIME_LIMIT until
// enough of the window has expired. The Pacer reads those numbers and holds
// a request back when the method's spending plus what the request is
// expected to cost would reach the budget, until the reset time; then it
// lets one request through to learn the new spending. A request that
// crosses the budget still finishes, so spending right up to the budget is
// safe; it is the request after that which would fail.
//
// One Pacer should be shared by all clients of a process. Different
// processes learn the same numbers from their own answers, so the budget
// needs no shared storage.
type Pacer struct {
	// Budget is the execution time a method may use per window; zero means
	// DefaultOperatingBudget.
	Budget time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
	m  map[paceKey]*paceState
}

type paceKey struct{ portal, method string }

type paceState struct {
	operating float64   // seconds spent, as last reported plus estimates answered since
	reported  float64   // the portal's start time of the call the newest report came with
	inflight  float64   // estimates of admitted requests not answered yet
	resetAt   time.Time // when the oldest part of the spending expires
	perCall   float64   // estimated cost of one call of the method, seconds
	blocked   time.Time // refused with OPERATION_TIME_LIMIT: wait until then
	probing   bool      // after resetAt: one request is out learning the new spending
}

func (p *Pacer) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pacer) budget() float64 {
	if p.Budget > 0 {
		return p.Budget.Seconds()
	}
	return DefaultOperatingBudget.Seconds()
}

func (p *Pacer) state(portal, method string) *paceState {
	if p.m == nil {
		p.m = map[paceKey]*paceState{}
	}
	k := paceKey{portal, method}
	s := p.m[k]
	if s == nil {
		s = &paceState{}
		p.m[k] = s
	}
	return s
}

// probeRetry is how often a request waiting behind a probe looks again.
const probeRetry = 100 * time.Millisecond

// booking is the estimated cost, per method, of an admitted request.
type booking map[string]float64

// admit decides whether a request running calls[m] calls of each method m
// may go now. If so it books their estimated cost as in flight and returns
// 0 and the booking to settle once answered; otherwise it returns how long
// to wait before asking again. In-flight estimates are kept apart from the
// reported spending: a report from one answer must not erase what other
// requests still running will spend.
func (p *Pacer) admit(portal string, calls map[string]int) (time.Duration, booking) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	budget := p.budget()
	var wait time.Duration
	for m, n := range calls {
		s := p.state(portal, m)
		if now.Before(s.blocked) {
			wait = max(wait, s.blocked.Sub(now))
			continue
		}
		if s.resetAt.IsZero() || s.operating+s.inflight+float64(n)*s.perCall < budget {
			continue
		}
		switch {
		case now.Before(s.resetAt):
			wait = max(wait, s.resetAt.Sub(now))
		case s.probing:
			wait = max(wait, probeRetry)
		}
	}
	if wait > 0 {
		return wait, nil
	}
	b := booking{}
	for m, n := range calls {
		s := p.state(portal, m)
		if !s.resetAt.IsZero() && !now.Before(s.resetAt) && s.operating+s.inflight+float64(n)*s.perCall >= budget {
			s.probing = true
		}
		b[m] = float64(n) * s.perCall
		s.inflight += b[m]
	}
	return 0, b
}

// settle moves a request's booking from in flight to spent, where it
// stays until the portal's next report replaces it: the request failed or
// its answer carried no time.
func (p *Pacer) settle(portal string, b booking) {
	p.answered(portal, b, nil)
}

// report is what an answer says of one method: the time block of its latest
// call and the seconds its calls cost in all, of which n calls costing
// paced seconds tell what a call of the method costs. A counted list page
// is left out of those: its cost grows with the table, not the page, and
// one count of a large table would hold every page after it back.
type report struct {
	t     Time
	cost  float64
	n     int
	paced float64
}

// answered settles an answered request's booking with the reports its
// answer carried, in one step: between the two, another request's report
// must not find the request neither in flight nor spent.
//
// Answers arrive out of order (a short batch sent later overtakes a long
// one), so only a report newer than the last one applied replaces the
// spending. An older one adds its request's own cost only if its last call
// finished after the newer report's call began, which may then not have
// counted it.
func (p *Pacer) answered(portal string, b booking, reports map[string]report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for m, est := range b {
		s := p.state(portal, m)
		s.inflight = max(0, s.inflight-est)
		if r, ok := reports[m]; !ok || (r.t.OperatingResetAt == 0 && r.t.Operating == 0) {
			s.operating += est
			// The request may have been the probe, cut off or failed: no
			// answer will tell the spending, so the next request probes
			// instead of every one waiting for it.
			s.probing = false
		}
	}
	for m, r := range reports {
		if r.t.OperatingResetAt == 0 && r.t.Operating == 0 {
			continue
		}
		s := p.state(portal, m)
		s.learn(r.n, r.paced)
		if r.t.Start < s.reported {
			if r.t.Finish > s.reported {
				s.operating += r.cost
			}
			continue
		}
		s.reported = r.t.Start
		s.operating = r.t.Operating
		// operating_reset_at is whole seconds, cut down: the reset happens
		// within the second after it.
		s.resetAt = r.t.ResetAt().Add(time.Second)
		s.probing = false
	}
}

// learn follows the cost of one call from n calls that cost cost seconds.
func (s *paceState) learn(n int, cost float64) {
	if n <= 0 || cost <= 0 {
		return
	}
	c := cost / float64(n)
	// Follow rises at once and falls slowly: underestimating the cost is
	// what leads to a refused request. It falls by a tenth per call the
	// answer carried, so that one dear call (a counted page) does not
	// hold a listing's batches of cheap ones back for dozens of answers.
	if c > s.perCall {
		s.perCall = c
	} else {
		keep := math.Pow(0.9, float64(n))
		s.perCall = keep*s.perCall + (1-keep)*c
	}
}

// refused notes an OPERATION_TIME_LIMIT answer: no request for the method
// until the reset time if one is known and ahead, else for fallback.
func (p *Pacer) refused(portal, method string, fallback time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	s := p.state(portal, method)
	until := now.Add(fallback)
	if s.resetAt.After(now) {
		until = s.resetAt
	}
	s.blocked = until
	s.probing = false
	s.operating = max(s.operating, p.budget())
	return until.Sub(now)
}

// CallCost is the execution time one call of method is expected to cost
// on the client's portal, as learned from the portal's answers; zero
// before an answer told it.
func (c *Client) CallCost(method string) time.Duration {
	return c.pacer.callCost(c.portal, method)
}

func (p *Pacer) callCost(portal, method string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.m[paceKey{portal, method}]
	if !ok {
		return 0
	}
	return time.Duration(s.perCall * float64(time.Second))
}
