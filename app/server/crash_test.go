package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/jobs"
)

// TestWorkerKilledMidDrain kills the worker process while a drain waits on
// a slow portal, lets events arrive while no worker runs, and starts the
// worker again: every accepted change is recorded exactly once, and the
// drain the dead worker held does not keep the portal waiting for River's
// rescuer.
func TestWorkerKilledMidDrain(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 20, Seed: 11}, NoWorkers: true})
	p := s.Emu.Portals()[0]
	w := s.StartWorker(t, "worker-crash-test")
	id := s.Install(t, p)

	// Every call now takes long enough that the drain is surely in flight.
	p.SetFaults(b24test.Faults{Delay: 3 * time.Second})
	change := func(deal int) {
		if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"TITLE": fmt.Sprintf("crash test %d", deal)}); err != nil {
			t.Fatal(err)
		}
	}
	for deal := 1; deal <= 5; deal++ {
		change(deal)
	}
	trailtest.Eventually(t, "a drain in flight", func() bool {
		return len(trailtest.Jobs[jobs.DrainArgs](t, s.Stack, rivertype.JobStateRunning)) == 1
	})
	w.Kill(t)

	// Events keep arriving while no worker runs: the web process takes them.
	for deal := 6; deal <= 10; deal++ {
		change(deal)
	}
	if _, err := p.WaitDeliveries(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if n := len(trailtest.Jobs[jobs.DrainArgs](t, s.Stack, rivertype.JobStateRunning)); n != 1 {
		t.Fatalf("%d drains left running by the killed worker, want 1", n)
	}

	p.SetFaults(b24test.Faults{})
	s.StartWorker(t, "worker-crash-test")
	trailtest.Eventually(t, "every change recorded", func() bool {
		deals := map[int64]bool{}
		for _, r := range s.HistoryOf(t, id) {
			if r.Field == "TITLE" && strings.HasPrefix(trailtest.Text(r.NewValue), "crash test ") {
				deals[r.EntityID] = true
			}
		}
		return len(deals) == 10
	})
	if n := trailtest.ByField(s.HistoryOf(t, id), "TITLE"); n != 10 {
		t.Errorf("%d TITLE history rows for 10 changes", n)
	}
	trailtest.Eventually(t, "empty inbox", func() bool {
		return s.InboxDepth(t, id) == 0
	})
}
