package db_test

import (
	"context"
	"sync"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/db"
)

// The store and the bucket against the Bitrix24 emulator, with three pools
// standing in for three processes.

func TestEmulatorRefreshOnceAcrossPools(t *testing.T) {
	t.Parallel()
	app := &b24test.App{ClientID: "local.trail", ClientSecret: "s3cret", Scopes: []string{"crm", "user_brief"}}
	srv := b24test.NewTestServer(t, b24test.Options{App: app, Seed: 11, Limits: b24test.Limits{Burst: 500, Drain: 500}})
	p := srv.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	pools := openPools(t, 3)
	kr := testKeyRing(t)
	stores := make([]*db.TokenStore, 3)
	for i := range stores {
		stores[i] = db.NewTokenStore(pools[i], kr)
	}
	insertInstallation(t, pools[0], stores[0], p.MemberID(), p.ClientEndpoint(), b24.Token{
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expires: tok.Expires,
		ClientEndpoint: p.ClientEndpoint(), ServerEndpoint: srv.OAuthEndpoint()})
	p.ExpireTokens()

	var wg sync.WaitGroup
	for i := range 50 {
		bucket := db.NewBucket(pools[i%3])
		bucket.Default = b24.Rate{Burst: 500, Drain: 500}
		c := b24.New(b24.OAuth{Portal: p.MemberID(), ClientID: app.ClientID, ClientSecret: app.ClientSecret, Store: stores[i%3]},
			b24.Options{HTTPClient: srv.Client(), Limiter: bucket})
		wg.Go(func() {
			if _, err := c.CurrentUser(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := p.Refreshes(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
	if s := p.Stats(); s.Limited != 0 {
		t.Errorf("rate limited %d times", s.Limited)
	}
}

// Three clients in three "processes" share the portal's bucket through
// PostgreSQL and are never refused.
func TestEmulatorBucketAcrossPools(t *testing.T) {
	t.Parallel()
	// A slow drain: Slack is 2.5 requests here, room for scheduling delays
	// between a slot and its request.
	rate := b24.Rate{Burst: 10, Drain: 10}
	srv := b24test.NewTestServer(t, b24test.Options{Seed: 12, Limits: b24test.Limits{Burst: rate.Burst, Drain: rate.Drain}})
	p := srv.Portals()[0]
	pools := openPools(t, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		bucket := db.NewBucket(pools[i])
		bucket.Default = rate
		c := b24.New(b24.Webhook{URL: p.WebhookURL()}, b24.Options{HTTPClient: srv.Client(), Limiter: bucket, MaxAttempts: 1})
		for range 2 {
			wg.Go(func() {
				for range 5 {
					if _, err := c.CurrentUser(context.Background()); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	if s := p.Stats(); s.Limited != 0 || s.Requests != 30 {
		t.Errorf("stats %+v", s)
	}
}
