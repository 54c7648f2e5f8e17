package b24_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
)

// TestListStopKeepsTheRequestOut: a listing told to stop returns the rows
// of the request already answered and sends no other; the portal charged
// for those rows, so none is dropped.
func TestListStopKeepsTheRequestOut(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{Seed: 5, Deals: 300})
	p := srv.Portals()[0]
	c := b24.New(b24.Webhook{URL: p.WebhookURL()}, quick(srv))
	stop := make(chan struct{})
	before := p.Stats().Requests
	rows, ended := 0, error(nil)
	for _, err := range c.List(context.Background(), b24.ListOptions{Method: "crm.deal.list", PagesPerRequest: 2,
		Params: b24.Params{"select": []string{"ID"}}, Stop: stop}) {
		if err != nil {
			ended = err
			break
		}
		if rows++; rows == 1 {
			close(stop)
		}
	}
	if !errors.Is(ended, b24.ErrAbandoned) {
		t.Errorf("the stopped listing ended with %v, want ErrAbandoned", ended)
	}
	if rows != 2*b24.PageSize {
		t.Errorf("%d rows after the stop, want the %d of the request out", rows, 2*b24.PageSize)
	}
	if n := p.Stats().Requests - before; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
