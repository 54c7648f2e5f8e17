package jobs

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestReconcileFindsAMissedChange: a change whose events never arrived is
// found by its DATE_MODIFY, recorded by the drain it enqueues, and the
// watermark moves on.
func TestReconcileFindsAMissedChange(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 3})
	set := db.DefaultSettings(b.portal)
	set.Entities = []crm.Type{crm.Deal}
	if err := db.SaveSettings(b.ctx, b.d.Bun, set); err != nil {
		t.Fatal(err)
	}
	b.done(t, SyncArgs{PortalID: b.portal, Entity: crm.Deal})
	before, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.p.UpdateRecord("deal", 2, b.p.AdminID(), map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	b.done(t, ReconcileArgs{PortalID: b.portal})
	b.completed(t, DrainArgs{}.Kind(), "")
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 2 AND field = 'TITLE' AND source = $2`, b.portal, db.CodeUnknown); n != 1 {
		t.Errorf("%d title changes of deal 2 found by reconciliation", n)
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id <> 2`, b.portal); n != 0 {
		t.Errorf("%d history rows of deals that did not change", n)
	}
	after, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	if after.ReconciledAt == nil || !after.Watermark.After(*before.Watermark) {
		t.Errorf("watermark %v → %v, reconciled %v", before.Watermark, after.Watermark, after.ReconciledAt)
	}
}
