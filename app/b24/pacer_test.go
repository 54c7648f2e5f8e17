package b24

import (
	"testing"
	"time"
)

func TestPacerHoldsBeforeBudget(t *testing.T) {
	clk := newClock()
	p := &Pacer{Budget: 10 * time.Second, Now: clk.Now}
	calls := map[string]int{"crm.deal.list": 50}
	if d := admitWait(p, "p", calls); d != 0 {
		t.Fatalf("nothing known yet: wait %v", d)
	}
	reset := clk.Now().Add(5 * time.Minute)
	// 50 calls cost 2.5 s; 7 s spent.
	p.record("p", "crm.deal.list", Time{Operating: 7, OperatingResetAt: reset.Unix()}, 50, 2.5)
	if d := admitWait(p, "p", calls); d != 0 {
		t.Fatalf("7 + 2.5 < 10: wait %v", d)
	}
	// The admitted request's estimate is booked: 9.5 + 2.5 ≥ 10.
	// Reset times are whole seconds, so the pacer waits one more.
	if d := admitWait(p, "p", calls); d != 5*time.Minute+time.Second {
		t.Fatalf("over budget: wait %v, want until reset", d)
	}
	// Other methods and portals are not held.
	if d := admitWait(p, "p", map[string]int{"crm.lead.list": 50}); d != 0 {
		t.Errorf("other method waits %v", d)
	}
	if d := admitWait(p, "q", calls); d != 0 {
		t.Errorf("other portal waits %v", d)
	}
	// After the reset one probe goes; others wait for its answer.
	clk.Add(5*time.Minute + time.Second)
	d, probe := p.admit("p", calls)
	if d != 0 {
		t.Fatalf("probe after reset: wait %v", d)
	}
	if d := admitWait(p, "p", calls); d != probeRetry {
		t.Fatalf("second request during probe: wait %v", d)
	}
	p.settle("p", probe) // the probe is answered
	p.record("p", "crm.deal.list", Time{Operating: 3, OperatingResetAt: clk.Now().Add(time.Minute).Unix()}, 50, 2.5)
	if d := admitWait(p, "p", calls); d != 0 {
		t.Fatalf("after the probe's answer: wait %v", d)
	}
}

// A probe that ends without a report (cut off by its caller, a transport
// error) lets the next request probe: none waits for an answer that will
// never come.
func TestPacerLostProbe(t *testing.T) {
	clk := newClock()
	p := &Pacer{Budget: 10 * time.Second, Now: clk.Now}
	calls := map[string]int{"m": 1}
	p.record("p", "m", Time{Operating: 9.5, OperatingResetAt: clk.Now().Add(time.Minute).Unix()}, 1, 1)
	clk.Add(time.Minute + time.Second)
	_, probe := p.admit("p", calls)
	if d := admitWait(p, "p", calls); d != probeRetry {
		t.Fatalf("during the probe: wait %v", d)
	}
	p.settle("p", probe)
	if d := admitWait(p, "p", calls); d != 0 {
		t.Fatalf("after the probe was lost: wait %v", d)
	}
}

func TestPacerRefused(t *testing.T) {
	clk := newClock()
	p := &Pacer{Now: clk.Now}
	if d := p.refused("p", "m", 10*time.Second); d != 10*time.Second {
		t.Fatalf("no reset known: wait %v", d)
	}
	if d := admitWait(p, "p", map[string]int{"m": 1}); d != 10*time.Second {
		t.Fatalf("blocked: %v", d)
	}
	p.record("p", "m", Time{Operating: 480, OperatingResetAt: clk.Now().Add(time.Minute).Unix()}, 1, 1)
	if d := p.refused("p", "m", 10*time.Second); d != time.Minute+time.Second {
		t.Fatalf("reset known: wait %v", d)
	}
}

// admitWait asks the pacer and drops the booking: the request never ends.
func admitWait(p *Pacer, portal string, calls map[string]int) time.Duration {
	d, _ := p.admit(portal, calls)
	return d
}

// A portal's report covers only answered requests: the estimates of the
// requests still running stay booked until they are answered, so many
// requests in flight do not push the method past its budget.
func TestPacerKeepsInFlightEstimates(t *testing.T) {
	clk := newClock()
	p := &Pacer{Budget: 100 * time.Second, Now: clk.Now}
	reset := clk.Now().Add(5 * time.Minute).Unix()
	p.record("p", "m", Time{Operating: 1, OperatingResetAt: reset}, 1, 1) // one call costs 1 s
	_, a := p.admit("p", map[string]int{"m": 50})
	_, b := p.admit("p", map[string]int{"m": 40})
	// An earlier request's answer: the portal has not seen a or b yet.
	p.record("p", "m", Time{Operating: 5, OperatingResetAt: reset}, 1, 1)
	if d, _ := p.admit("p", map[string]int{"m": 50}); d == 0 {
		t.Fatal("admitted 50 s with 5 s spent and 90 s in flight under a 100 s budget")
	}
	p.settle("p", a)
	p.settle("p", b)
	p.record("p", "m", Time{Operating: 95, OperatingResetAt: reset}, 90, 90)
	if d, _ := p.admit("p", map[string]int{"m": 4}); d != 0 {
		t.Errorf("95 + 4 < 100 held for %v", d)
	}
}

// record hands the pacer one report of a request it had not booked.
func (p *Pacer) record(portal, method string, t Time, n int, cost float64) {
	p.answered(portal, nil, map[string]report{method: {t: t, n: n, cost: cost, paced: cost}})
}

// Answers overtake each other: a short batch sent later comes back before a
// long one sent earlier. The older report must not erase what the newer
// one, and the later request's cost with it, told the pacer.
func TestPacerOlderReportKeepsNewerSpending(t *testing.T) {
	clk := newClock()
	p := &Pacer{Budget: 100 * time.Second, Now: clk.Now}
	reset := clk.Now().Add(5 * time.Minute).Unix()
	start := float64(clk.Now().Unix())
	p.record("p", "m", Time{Start: start, Operating: 10, OperatingResetAt: reset}, 10, 10) // a call costs 1 s
	_, long := p.admit("p", map[string]int{"m": 40})
	_, short := p.admit("p", map[string]int{"m": 20})
	// The short request ran after the long one and its answer comes first:
	// the portal has spent 70 s.
	p.answered("p", short, map[string]report{"m": {t: Time{Start: start + 30, Operating: 70, OperatingResetAt: reset}, n: 20, cost: 20, paced: 20}})
	// Then the long one's, whose last call ended before the short request's
	// began: the newer report counts it.
	p.answered("p", long, map[string]report{"m": {t: Time{Start: start + 20, Finish: start + 21, Operating: 50, OperatingResetAt: reset}, n: 40, cost: 40, paced: 40}})
	if d := admitWait(p, "p", map[string]int{"m": 31}); d == 0 {
		t.Fatal("admitted 31 s more with 70 s spent under a 100 s budget")
	}
	if d := admitWait(p, "p", map[string]int{"m": 29}); d != 0 {
		t.Fatalf("70 s spent, 29 s more held for %v", d)
	}
	// An older report whose call was still running when the newer one's
	// began may not be in it: its cost counts on top.
	_, late := p.admit("p", map[string]int{"m": 5})
	p.answered("p", late, map[string]report{"m": {t: Time{Start: start + 25, Finish: start + 31, Operating: 60, OperatingResetAt: reset}, n: 5, cost: 5, paced: 5}})
	// 70 + 5 spent, 29 in flight.
	if d := admitWait(p, "p", map[string]int{"m": 1}); d == 0 {
		t.Error("admitted 1 s more with 75 s spent at worst and 29 s in flight")
	}
}

// A batch of cheap calls after one dear call (a counted page) brings the
// estimate down at once; a single cheap call only by a tenth.
func TestPacerLearnsFromBatches(t *testing.T) {
	s := &paceState{}
	s.learn(1, 0.6)
	s.learn(50, 50*0.2)
	if s.perCall < 0.2 || s.perCall > 0.21 {
		t.Errorf("after a batch of 50 calls of 0.2 s: %v s a call", s.perCall)
	}
	s.learn(1, 1)
	s.learn(1, 0)
	if s.perCall != 1 {
		t.Errorf("a call of no cost taught the pacer: %v", s.perCall)
	}
	s.learn(1, 0.5)
	if s.perCall < 0.94 || s.perCall > 0.96 {
		t.Errorf("one call of 0.5 s after 1 s: %v s a call, want 0.95", s.perCall)
	}
}
