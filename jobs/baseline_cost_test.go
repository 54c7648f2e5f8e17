package jobs

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestBaselineReadsLinksFiftyAtATime: a baseline of deals reads their
// contacts through crm.item.list, 50 deals a command, and stores them as
// the binding method gives them; the product rows, a command per deal, are
// left to the extras phase. The requests it makes are counted.
func TestBaselineReadsLinksFiftyAtATime(t *testing.T) {
	t.Parallel()
	const n = 500
	b := newBench(t, b24test.Options{Deals: n, Contacts: 40, Seed: 3})
	requests := b.fieldBaseline(t)
	// The listing (10 pages chained in batches of 50), then per chunk a
	// batch of n/50 link listings.
	commands := n / 50
	want := 1 + int64((commands+49)/50)
	t.Logf("baseline of %d deals: %d requests (%d companion commands)", n, requests, commands)
	if requests > want {
		t.Errorf("baseline of %d deals took %d requests, want at most %d", n, requests, want)
	}
	client, linked := b.client(t), 0
	for id := int64(1); id <= 20; id++ {
		snaps, err := db.SnapshotsRead(b.ctx, b.d.Bun, b.portal, crm.Deal, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		var stored map[string]json.RawMessage
		if err := json.Unmarshal(snaps[id], &stored); err != nil {
			t.Fatal(err)
		}
		c := links(crm.Deal, "contact", "CONTACT_ID", "CONTACT_IDS")
		resp, err := client.Call(b.ctx, c.method, c.params(crm.Deal, id))
		if err != nil {
			t.Fatal(err)
		}
		bound, err := c.value([]json.RawMessage{resp.Result})
		if err != nil {
			t.Fatal(err)
		}
		var got, want []int64
		_ = json.Unmarshal(stored["CONTACT_IDS"], &got)
		if err := json.Unmarshal(bound, &want); err != nil {
			t.Fatal(err)
		}
		linked += len(want)
		if !slices.Equal(got, want) {
			t.Errorf("deal %d: contacts stored %s, the binding method gives %s", id, stored["CONTACT_IDS"], bound)
		}
	}
	if linked == 0 {
		t.Error("no deal has contacts: nothing was compared")
	}
}
