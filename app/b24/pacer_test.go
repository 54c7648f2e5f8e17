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
