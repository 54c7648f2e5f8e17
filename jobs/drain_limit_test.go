package jobs

import (
	"testing"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestDrainKeepsWhatItReadBeforeTheRateLimit: a portal with more records
// waiting than its rate limit lets through at once (a mass import) has
// the records of the requests that went through recorded, and only the
// rest left for later, instead of the round failing whole and spending
// the portal's limit on the same records again at every try.
func TestDrainKeepsWhatItReadBeforeTheRateLimit(t *testing.T) {
	t.Parallel()
	const deals = 100 // 300 commands with their companions: 7 requests
	b := newBench(t, b24test.Options{Deals: deals, Limits: b24test.Limits{Burst: 2, Drain: 0.001}})
	rows := make([]db.InboxRow, deals)
	for i := range rows {
		rows[i] = db.InboxRow{Entity: crm.Deal, EntityID: int64(i + 1), Kind: db.InboxAdd, Origin: db.OriginOnline}
	}
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, rows); err != nil {
		t.Fatal(err)
	}
	if ev := b.run(t, DrainArgs{PortalID: b.portal}); ev.Kind != river.EventKindJobSnoozed {
		t.Fatalf("drain %s, want it snoozed by the rate limit", ev.Kind)
	}
	// Two requests went through: 16 deals each (3 commands a deal).
	const read = 2 * (50 / 3)
	if n := b.count(t, `SELECT count(DISTINCT entity_id) FROM history WHERE portal_id = $1 AND action = $2`, b.portal, db.CodeCreated); n != read {
		t.Errorf("%d deals recorded, want the %d read", n, read)
	}
	if n := b.count(t, `SELECT count(*) FROM inbox WHERE portal_id = $1`, b.portal); n != deals-read {
		t.Errorf("%d inbox rows left, want %d", n, deals-read)
	}
	if n := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1`, b.portal); n != read {
		t.Errorf("%d snapshots, want %d", n, read)
	}
}
