package b24

import (
	"testing"
	"time"
)

func TestPacerHoldsBeforeBudget(t *testing.T) {
	clk := newClock()
	p := &Pacer{Budget: 10 * time.Second, Now: clk.Now}
	calls := map[string]int{"crm.deal.list": 50}
	if d := p.admit("p", calls); d != 0 {
		t.Fatalf("nothing known yet: wait %v", d)
	}
	reset := clk.Now().Add(5 * time.Minute)
	// 50 calls cost 2.5 s; 7 s spent.
	p.record("p", "crm.deal.list", Time{Operating: 7, OperatingResetAt: reset.Unix()}, 50, 2.5)
	if d := p.admit("p", calls); d != 0 {
		t.Fatalf("7 + 2.5 < 10: wait %v", d)
	}
	// The admitted request's estimate is booked: 9.5 + 2.5 ≥ 10.
	// Reset times are whole seconds, so the pacer waits one more.
	if d := p.admit("p", calls); d != 5*time.Minute+time.Second {
		t.Fatalf("over budget: wait %v, want until reset", d)
	}
	// Other methods and portals are not held.
	if d := p.admit("p", map[string]int{"crm.lead.list": 50}); d != 0 {
		t.Errorf("other method waits %v", d)
	}
	if d := p.admit("q", calls); d != 0 {
		t.Errorf("other portal waits %v", d)
	}
	// After the reset one probe goes; others wait for its answer.
	clk.Add(5*time.Minute + time.Second)
	if d := p.admit("p", calls); d != 0 {
		t.Fatalf("probe after reset: wait %v", d)
	}
	if d := p.admit("p", calls); d != probeRetry {
		t.Fatalf("second request during probe: wait %v", d)
	}
	p.record("p", "crm.deal.list", Time{Operating: 3, OperatingResetAt: clk.Now().Add(time.Minute).Unix()}, 50, 2.5)
	if d := p.admit("p", calls); d != 0 {
		t.Fatalf("after the probe's answer: wait %v", d)
	}
}

func TestPacerRefused(t *testing.T) {
	clk := newClock()
	p := &Pacer{Now: clk.Now}
	if d := p.refused("p", "m", 10*time.Second); d != 10*time.Second {
		t.Fatalf("no reset known: wait %v", d)
	}
	if d := p.admit("p", map[string]int{"m": 1}); d != 10*time.Second {
		t.Fatalf("blocked: %v", d)
	}
	p.record("p", "m", Time{Operating: 480, OperatingResetAt: clk.Now().Add(time.Minute).Unix()}, 1, 1)
	if d := p.refused("p", "m", 10*time.Second); d != time.Minute+time.Second {
		t.Fatalf("reset known: wait %v", d)
	}
}
