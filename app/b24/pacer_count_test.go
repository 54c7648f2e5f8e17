package b24_test

import (
	"context"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
)

// TestCountedPageTeachesNoCallCost: a counted list page costs by the
// table's size; the pacer spends it but does not expect the next pages,
// which count nothing, to cost as much (a count of a million deals would
// otherwise hold the baseline's first batch back for a whole window).
func TestCountedPageTeachesNoCallCost(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{Seed: 4, Deals: 300,
		Cost: b24test.Cost{PerCall: 2 * time.Millisecond, PerCountedRow: time.Millisecond}})
	p := srv.Portals()[0]
	c := b24.New(b24.Webhook{URL: p.WebhookURL()}, quick(srv))
	ctx := context.Background()
	counted, err := c.Call(ctx, "crm.deal.list", b24.Params{"select": []string{"ID"}, "start": 0})
	if err != nil {
		t.Fatal(err)
	}
	if counted.Total != 300 || counted.Time.Processing < 0.3 {
		t.Fatalf("the counted page: total %d, %v s: the test cannot tell", counted.Total, counted.Time.Processing)
	}
	if got := c.CallCost("crm.deal.list"); got != 0 {
		t.Errorf("after the counted page a call is expected to cost %v", got)
	}
	for _, err := range c.List(ctx, b24.ListOptions{Method: "crm.deal.list", PagesPerRequest: 3, Params: b24.Params{"select": []string{"ID"}}}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := c.CallCost("crm.deal.list"); got < time.Millisecond || got > 20*time.Millisecond {
		t.Errorf("after keyset pages of 2 ms a call is expected to cost %v", got)
	}
	b := &b24.Batch{}
	b.Add("count", "crm.deal.list", b24.Params{"select": []string{"ID"}, "start": 0})
	b.Add("page", "crm.deal.list", b24.Params{"select": []string{"ID"}, "start": -1})
	if _, err := c.Batch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := c.CallCost("crm.deal.list"); got > 20*time.Millisecond {
		t.Errorf("after a batch with a counted page a call is expected to cost %v", got)
	}
}
