package jobs

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestBaselineReadsLinksFiftyAtATime: a field baseline of deals makes the
// listing's requests and no more; its extras phase reads their contacts
// through crm.item.list, 50 deals a command beside the product rows'
// commands, and stores them as the binding method gives them.
func TestBaselineReadsLinksFiftyAtATime(t *testing.T) {
	t.Parallel()
	const n = 500
	b := newBench(t, b24test.Options{Deals: n, Contacts: 40, Seed: 3})
	// The listing: 10 pages chained in one batch.
	if requests := b.fieldBaseline(t); requests > 1 {
		t.Errorf("field baseline of %d deals took %d requests, want 1", n, requests)
	}
	snaps, err := db.SnapshotsRead(b.ctx, b.d.Bun, b.portal, crm.Deal, []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	var first map[string]json.RawMessage
	if err := json.Unmarshal(snaps[1], &first); err != nil {
		t.Fatal(err)
	}
	if v, ok := first["CONTACT_IDS"]; ok {
		t.Errorf("the field baseline stored contacts %s", v)
	}
	b.startExtras(t)
	before := b.p.Stats().Requests
	b.done(t, ExtrasArgs{PortalID: b.portal, Entity: crm.Deal})
	if got, want := b.p.Stats().Requests-before, int64((n+47)/48); got > want {
		t.Errorf("extras phase of %d deals: %d requests, want at most %d", n, got, want)
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
