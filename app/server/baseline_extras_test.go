package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// TestDrainsKeepTheirShareDuringTheExtrasPhase: while the extras phase
// reads the product rows of thousands of deals, a deal edited on the
// portal is recorded within seconds, before the phase ends: the phase
// leaves half of the portal's rate limit to its drains. The edited deal's
// rows, which Trail had not read yet, are stored as they are and never
// shown as added, and the change is recorded once.
func TestDrainsKeepTheirShareDuringTheExtrasPhase(t *testing.T) {
	t.Parallel()
	const deals = 4000
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: deals, Seed: 11}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	var id int64
	trailtest.Eventually(t, "the deals' field baseline", func() bool {
		in, err := db.InstallationByMemberID(t.Context(), s.DB.Bun, p.MemberID())
		if err != nil {
			return false
		}
		id = in.ID
		for _, st := range s.Syncs(t, id) {
			if st.Entity == crm.Deal && st.State == db.SyncDone {
				return true
			}
		}
		return false
	})
	if s.ExtrasDone(t, id, crm.Deal) {
		t.Fatal("the extras phase of 4,000 deals ended with their field baseline")
	}
	// Once the phase has run long enough to have filled the bucket, were
	// it to take the whole limit.
	trailtest.Eventually(t, "half the deals' extras read", func() bool { return extrasRead(t, s, id) >= deals/2 })
	const edited = deals - 1 // near the end of the phase's walk
	before, ok := p.ProductRows("deal", edited)
	if !ok || len(before) == 0 {
		t.Fatalf("deal %d has no product rows to keep: %v", edited, before)
	}
	start := time.Now()
	if err := p.UpdateRecord("deal", edited, p.AdminID(), map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	phaseRunning := false
	trailtest.Eventually(t, "the edit recorded", func() bool {
		for _, r := range s.History(t, id, crm.Deal, edited) {
			if r.Field == "TITLE" {
				phaseRunning = !s.ExtrasDone(t, id, crm.Deal)
				return true
			}
		}
		return false
	})
	took := time.Since(start)
	if !phaseRunning {
		t.Errorf("the edit was recorded only after the extras phase ended (%s)", took.Round(time.Millisecond))
	}
	if took > 5*time.Second {
		t.Errorf("the edit took %s to be recorded during the extras phase", took.Round(time.Millisecond))
	}
	// The settings page shows the phase as a step of its own.
	admin, status, _ := s.OpenApp(t, p, p.AdminID())
	if status != 200 {
		t.Fatalf("the settings page answered %d during the extras phase", status)
	}
	bar := admin.Must(200, "GET", "/settings/sync", nil)
	if !s.ExtrasDone(t, id, crm.Deal) && !strings.Contains(bar, `class="sync-extras running" data-extras="deal"`) {
		t.Errorf("the progress bar does not show the running extras phase: %s", bar)
	}
	trailtest.Eventually(t, "the extras phase", func() bool { return s.ExtrasDone(t, id, crm.Deal) })

	var titles, rowChanges int
	for _, r := range s.History(t, id, crm.Deal, edited) {
		switch r.Field {
		case "TITLE":
			titles++
		case history.ProductRows:
			rowChanges++
		}
	}
	if titles != 1 || rowChanges != 0 {
		t.Errorf("deal %d: %d title changes and %d product-row changes, want 1 and 0", edited, titles, rowChanges)
	}
	snap := s.Snapshot(t, id, crm.Deal, edited)
	var stored map[string]json.RawMessage
	if snap == nil || json.Unmarshal(snap.Data, &stored) != nil {
		t.Fatalf("deal %d has no snapshot", edited)
	}
	var rows []any
	if err := json.Unmarshal(stored[history.ProductRows], &rows); err != nil || len(rows) != len(before) {
		t.Errorf("deal %d: stored rows %s, the portal has %d", edited, stored[history.ProductRows], len(before))
	}
	var missing int
	if err := s.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = 2
		AND NOT data ? 'PRODUCT_ROWS'`, id).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if missing != 0 {
		t.Errorf("%d deals lack their product rows after the extras phase", missing)
	}
}

// extrasRead is how many deals the extras phase has read so far.
func extrasRead(t *testing.T, s *stack, portalID int64) int64 {
	t.Helper()
	states, err := db.ExtrasStates(t.Context(), s.DB.Bun, portalID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if st.Entity == crm.Deal {
			return st.Done
		}
	}
	return 0
}
