package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/jobs"
)

// TestOneChangeThreePaths: a change reaches Trail online, again through the
// offline queue (event.offline.get), again by reconciliation, and again as
// a repeated delivery; it is recorded once.
func TestOneChangeThreePaths(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 9}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	const deal = 2
	rows := func() int {
		return len(s.History(t, id, crm.Deal, deal))
	}
	if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"TITLE": "Three ways"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the online change recorded", func() bool { return rows() == 1 })
	// The same change was queued for event.offline.get, and ONOFFLINEEVENT
	// told Trail to pull it.
	trailtest.Eventually(t, "the offline pull done and drained", func() bool {
		return len(trailtest.Jobs[jobs.OfflineArgs](t, s.Stack, rivertype.JobStateCompleted)) >= 1 &&
			s.APICalls(t, id, "event.offline.get") >= 1 && s.InboxDepth(t, id) == 0
	})

	rc, err := jobs.NewClient(jobs.Deps{DB: s.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rc.Insert(context.Background(), jobs.ReconcileArgs{PortalID: id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "reconciliation done and drained", func() bool {
		return s.Job(t, res.Job.ID).State == rivertype.JobStateCompleted && s.InboxDepth(t, id) == 0
	})
	// Bitrix24 repeats a delivery it thinks failed: the same body again.
	var replayed bool
	for _, d := range p.Deliveries() {
		if d.Event == "ONCRMDEALUPDATE" {
			if got := s.post(t, "/bitrix/events", d.Body); got != 200 {
				t.Fatalf("replayed delivery: status %d", got)
			}
			replayed = true
		}
	}
	if !replayed {
		t.Fatal("no online delivery to replay")
	}
	trailtest.Eventually(t, "the replay drained", func() bool {
		for _, j := range trailtest.Jobs[jobs.DrainArgs](t, s.Stack) {
			if j.State != rivertype.JobStateCompleted {
				return false
			}
		}
		return s.InboxDepth(t, id) == 0
	})
	if n := rows(); n != 1 {
		t.Errorf("the change has %d history rows, want 1", n)
	}
	if n := len(s.HistoryOf(t, id)); n != 1 {
		t.Errorf("%d history rows in all, want 1", n)
	}
}
