package jobs

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestReconcileFindsAMissedItemChange: reconciliation lists the items of a
// smart process through crm.item.list by their updatedTime, so a change
// whose events never arrived is recorded like a deal's, and no other item
// gets a row.
func TestReconcileFindsAMissedItemChange(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 1, SmartProcesses: 1, SmartProcessItems: 4})
	b.done(t, SetupArgs{PortalID: b.portal})
	found, err := db.FoundTypes(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	var spa crm.Type
	for _, f := range found {
		if f.Type.Dynamic() {
			spa = f.Type
		}
	}
	if spa == 0 {
		t.Fatalf("setup found no smart process: %+v", found)
	}
	b.completed(t, SyncArgs{}.Kind(), `"`+spa.String()+`"`)
	if n := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = $2`, b.portal, int(spa)); n != 4 {
		t.Fatalf("%d items in the baseline, want 4", n)
	}
	if err := b.p.UpdateRecord(spa.String(), 3, b.p.AdminID(), map[string]any{"TITLE": "Quay survey"}); err != nil {
		t.Fatal(err)
	}
	b.done(t, ReconcileArgs{PortalID: b.portal})
	b.completed(t, DrainArgs{}.Kind(), "")
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity = $2 AND entity_id = 3 AND field = 'TITLE'`, b.portal, int(spa)); n != 1 {
		t.Errorf("%d title changes of item 3 found by reconciliation, want 1", n)
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND NOT (entity = $2 AND entity_id = 3)`, b.portal, int(spa)); n != 0 {
		t.Errorf("%d history rows of records that did not change", n)
	}
}
