package b24_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
)

// End-to-end tests against the Bitrix24 emulator.

var testApp = &b24test.App{ClientID: "local.trail", ClientSecret: "s3cret", Scopes: []string{"crm", "placement", "user_brief"}}

// installApp installs the test app on the portal and returns a token store
// holding the admin's tokens, keyed by member_id.
func installApp(t *testing.T, srv *b24test.Server, p *b24test.Portal) *b24.MemoryTokenStore {
	t.Helper()
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	if err := p.CompleteInstall(); err != nil {
		t.Fatal(err)
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	store := &b24.MemoryTokenStore{}
	store.Save(p.MemberID(), b24.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expires: tok.Expires,
		ClientEndpoint: p.ClientEndpoint(), ServerEndpoint: srv.OAuthEndpoint(), MemberID: p.MemberID()})
	return store
}

func oauthCreds(p *b24test.Portal, store b24.TokenStore) b24.OAuth {
	return b24.OAuth{Portal: p.MemberID(), ClientID: testApp.ClientID, ClientSecret: testApp.ClientSecret, Store: store}
}

// quick are options for tests: the emulator's transport, short backoffs.
func quick(srv *b24test.Server) b24.Options {
	return b24.Options{HTTPClient: srv.Client(), BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond, OperatingBackoff: 10 * time.Millisecond}
}

func TestEmulatorWebhook(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{Deals: 3, Seed: 1})
	p := srv.Portals()[0]
	c := b24.New(b24.Webhook{URL: p.WebhookURL()}, quick(srv))
	ctx := context.Background()

	u, err := c.CurrentUser(ctx)
	if err != nil || int(u.ID) != p.AdminID() {
		t.Fatalf("user.current = %+v, %v", u, err)
	}
	fields, err := c.CRMFields(ctx, "deal")
	if err != nil || fields["STAGE_ID"].Type != "crm_status" {
		t.Fatalf("crm.deal.fields: %v %v", fields["STAGE_ID"], err)
	}
	deal, err := c.CRMGet(ctx, "deal", 1)
	if err != nil || len(deal) == 0 {
		t.Fatalf("crm.deal.get: %s %v", deal, err)
	}
	if _, err := c.CRMGet(ctx, "deal", 999999); !errors.Is(err, b24.ErrNotFound) {
		t.Errorf("missing deal: %v", err)
	}
	if _, err := c.Call(ctx, "no.such.method", nil); !errors.Is(err, b24.ErrNotFound) {
		t.Errorf("unknown method: %v", err)
	}
	// Placements need an application context.
	if _, err := c.Placements(ctx); !errors.Is(err, b24.ErrAccessDenied) {
		t.Errorf("placement.get by webhook: %v", err)
	}
	bad := b24.New(b24.Webhook{URL: p.WebhookURL() + "x/"}, quick(srv))
	if _, err := bad.CurrentUser(ctx); err == nil {
		t.Error("a wrong webhook worked")
	}
}

func TestEmulatorOAuthMethods(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{App: testApp, Deals: 3, Seed: 2})
	p := srv.Portals()[0]
	c := b24.New(oauthCreds(p, installApp(t, srv, p)), quick(srv))
	ctx := context.Background()
	if ok, err := c.IsAdmin(ctx); err != nil || !ok {
		t.Fatalf("user.admin = %v, %v", ok, err)
	}
	h := b24.EventHandler{Event: "ONCRMDEALUPDATE", Handler: "https://app.example/events"}
	if err := c.BindEvent(ctx, h); err != nil {
		t.Fatal(err)
	}
	hs, err := c.EventHandlers(ctx)
	if err != nil || len(hs) == 0 {
		t.Fatalf("event.get = %v, %v", hs, err)
	}
	if n, err := c.UnbindEvent(ctx, h); err != nil || n != 1 {
		t.Errorf("event.unbind = %d, %v", n, err)
	}
	pl := b24.Placement{Placement: "CRM_DEAL_DETAIL_TAB", Handler: "https://app.example/tab", Title: "History"}
	if err := c.BindPlacement(ctx, pl); err != nil {
		t.Fatal(err)
	}
	pls, err := c.Placements(ctx)
	if err != nil || len(pls) != 1 || pls[0].Placement != pl.Placement {
		t.Fatalf("placement.get = %+v, %v", pls, err)
	}
	if n, err := c.UnbindPlacement(ctx, pl.Placement, ""); err != nil || n != 1 {
		t.Errorf("placement.unbind = %d, %v", n, err)
	}
	if err := c.BindEvent(ctx, b24.EventHandler{Event: "ONCRMDEALUPDATE", Offline: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddRecord("deal", p.AdminID(), map[string]any{"TITLE": "offline"}); err != nil {
		t.Fatal(err)
	}
	evs, err := c.GetOfflineEvents(ctx, b24.OfflineQuery{Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	if evs.ProcessID != "" {
		if err := c.ClearOfflineEvents(ctx, evs.ProcessID, nil); err != nil {
			t.Error(err)
		}
	}
}

// Fifty clients hit an expired token at once: one refresh, all calls work.
func TestEmulatorRefreshUnderContention(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{App: testApp, Seed: 3, Limits: b24test.Limits{Burst: 200, Drain: 100}})
	p := srv.Portals()[0]
	store := installApp(t, srv, p)
	p.ExpireTokens()
	lim := b24.NewMemoryLimiter(b24.Rate{Burst: 200, Drain: 100})
	var wg sync.WaitGroup
	for range 50 {
		opts := quick(srv)
		opts.Limiter = lim
		c := b24.New(oauthCreds(p, store), opts)
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

// Refresh tokens rotate: each refresh uses the newest one (the emulator
// refuses a used one).
func TestEmulatorRotation(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{App: testApp, Seed: 4})
	p := srv.Portals()[0]
	store := installApp(t, srv, p)
	seen := map[string]bool{}
	for i := range 3 {
		p.ExpireTokens()
		c := b24.New(oauthCreds(p, store), quick(srv))
		if _, err := c.CurrentUser(context.Background()); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		tok, _ := store.Load(context.Background(), p.MemberID())
		if seen[tok.RefreshToken] {
			t.Fatalf("round %d: refresh token did not rotate", i)
		}
		seen[tok.RefreshToken] = true
	}
	if n := p.Refreshes(); n != 3 {
		t.Errorf("refreshes = %d", n)
	}
	p.RevokeTokens()
	_, err := b24.New(oauthCreds(p, store), quick(srv)).CurrentUser(context.Background())
	if !errors.Is(err, b24.ErrReauthRequired) {
		t.Errorf("revoked grant: %v", err)
	}
}

// Clients sharing a limiter stay under the portal's limit together; with a
// limiter each, the same load is refused.
func TestEmulatorBucketSharing(t *testing.T) {
	t.Parallel()
	run := func(shared bool) b24test.Stats {
		// A fast drain: a second of Slack is most of the burst here, room for scheduling
		// delays between a slot and its request.
		rate := b24.Rate{Burst: 10, Drain: 10}
		srv := b24test.NewTestServer(t, b24test.Options{Seed: 5, Limits: b24test.Limits{Burst: rate.Burst, Drain: rate.Drain}})
		p := srv.Portals()[0]
		lim := b24.NewMemoryLimiter(rate)
		var wg sync.WaitGroup
		for i := range 3 {
			opts := quick(srv)
			opts.MaxAttempts = 1
			opts.Limiter = lim
			if !shared {
				opts.Limiter = b24.NewMemoryLimiter(rate)
			}
			c := b24.New(b24.Webhook{URL: p.WebhookURL()}, opts)
			for range 2 {
				wg.Go(func() {
					for range 5 {
						c.Call(context.Background(), "user.current", nil)
					}
				})
			}
			_ = i
		}
		wg.Wait()
		return p.Stats()
	}
	if s := run(true); s.Limited != 0 || s.Requests != 30 {
		t.Errorf("shared limiter: %+v", s)
	}
	if s := run(false); s.Limited == 0 {
		t.Errorf("separate limiters were never refused (%+v): the test cannot tell", s)
	}
}

func TestEmulatorFaults(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{Seed: 6, Deals: 5})
	p := srv.Portals()[0]
	var attempts atomic.Int32
	opts := quick(srv)
	opts.MaxAttempts = 20
	opts.Observer = b24.ObserverFunc(func(e b24.Event) { attempts.Add(1) })
	c := b24.New(b24.Webhook{URL: p.WebhookURL()}, opts)
	ctx := context.Background()

	p.SetFaults(b24test.Faults{ErrorRate: 0.3, UnavailableRate: 0.3})
	for i := range 20 {
		if _, err := c.CRMGet(ctx, "deal", 1); err != nil {
			t.Fatalf("read %d under faults: %v", i, err)
		}
	}
	if attempts.Load() <= 20 {
		t.Errorf("no retries happened (%d requests)", attempts.Load())
	}

	p.SetFaults(b24test.Faults{ErrorRate: 1})
	attempts.Store(0)
	_, err := c.Call(ctx, "crm.deal.add", b24.Params{"fields": b24.Params{"TITLE": "x"}})
	if !errors.Is(err, b24.ErrServer) || attempts.Load() != 1 {
		t.Errorf("write under errors: %v after %d requests", err, attempts.Load())
	}

	p.SetFaults(b24test.Faults{QueryLimitStorm: true})
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.CurrentUser(tctx)
	cancel()
	if !errors.Is(err, b24.ErrRateLimited) {
		t.Errorf("query-limit storm: %v", err)
	}

	p.SetFaults(b24test.Faults{PortalDeleted: true})
	if _, err := c.CurrentUser(ctx); !errors.Is(err, b24.ErrPortalGone) {
		t.Errorf("deleted portal: %v", err)
	}

	p.SetFaults(b24test.Faults{HangRate: 1})
	tctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = c.CurrentUser(tctx)
	cancel()
	if err == nil {
		t.Error("a hanging portal answered")
	}
	p.SetFaults(b24test.Faults{})
}

func TestEmulatorBatch(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{Seed: 7, Deals: 120})
	p := srv.Portals()[0]
	c := b24.New(b24.Webhook{URL: p.WebhookURL()}, quick(srv))
	var b b24.Batch
	for i := 1; i <= 120; i++ {
		b.Add(fmt.Sprintf("d%d", i), "crm.deal.get", b24.Params{"id": i})
	}
	b.Add("missing", "crm.deal.get", b24.Params{"id": 999999})
	// A reference inside the third request (commands 101–121).
	b.Add("user", "user.current", nil)
	b.Add("mine", "crm.deal.list", b24.Params{"filter": b24.Params{"ASSIGNED_BY_ID": "$result[user][ID]"}, "select": []string{"ID", "ASSIGNED_BY_ID"}})
	before := p.Stats().Requests
	res, err := c.Batch(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Stats().Requests - before; n != 3 {
		t.Errorf("%d requests for 123 commands", n)
	}
	for i := 1; i <= 120; i++ {
		var d struct{ ID b24.ID }
		if err := res.Decode(fmt.Sprintf("d%d", i), &d); err != nil || int(d.ID) != i {
			t.Fatalf("d%d = %v, %v", i, d, err)
		}
	}
	if _, err := res.Result("missing"); !errors.Is(err, b24.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	var mine []struct{ ASSIGNED_BY_ID b24.ID }
	if err := res.Decode("mine", &mine); err != nil {
		t.Fatal(err)
	}
	for _, d := range mine {
		if int(d.ASSIGNED_BY_ID) != p.AdminID() {
			t.Fatalf("reference not resolved: %+v", mine)
		}
	}
}

// Keyset listing returns the whole data set, without gaps or duplicates,
// while records are added and deleted.
func TestEmulatorListWhileChanging(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts b24.ListOptions
	}{
		{"crm.deal.list", b24.ListOptions{Method: "crm.deal.list", Params: b24.Params{"select": []string{"ID", "TITLE"}}}},
		{"crm.deal.list parallel", b24.ListOptions{Method: "crm.deal.list", Parallel: 3, Params: b24.Params{"select": []string{"ID"}}}},
		{"crm.item.list", b24.ListOptions{Method: "crm.item.list", Params: b24.Params{"entityTypeId": 2, "select": []string{"id", "title"}}}},
		{"small pages", b24.ListOptions{Method: "crm.deal.list", PagesPerRequest: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 6000
			srv := b24test.NewTestServer(t, b24test.Options{Seed: 8, Deals: n})
			p := srv.Portals()[0]
			c := b24.New(b24.Webhook{URL: p.WebhookURL()}, quick(srv))
			field := "ID"
			if tc.opts.Method == "crm.item.list" {
				field = "id"
			}
			deleted := map[int]bool{}
			seen := map[int]bool{}
			i := 0
			for raw, err := range c.List(context.Background(), tc.opts) {
				if err != nil {
					t.Fatal(err)
				}
				var row map[string]json.RawMessage
				json.Unmarshal(raw, &row)
				var id b24.ID
				if err := json.Unmarshal(row[field], &id); err != nil {
					t.Fatalf("row %s: %v", raw, err)
				}
				if seen[int(id)] {
					t.Fatalf("row %d twice", id)
				}
				seen[int(id)] = true
				if i++; i%700 == 0 {
					victim := n - i/10
					if !seen[victim] && p.DeleteRecord("deal", victim, b24test.Automation) == nil {
						deleted[victim] = true
					}
					if _, err := p.AddRecord("deal", b24test.Automation, map[string]any{"TITLE": "late"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for id := 1; id <= n; id++ {
				if !deleted[id] && !seen[id] {
					t.Fatalf("deal %d missed", id)
				}
				if deleted[id] && seen[id] {
					t.Fatalf("deal %d listed after it was deleted", id)
				}
			}
			if s := p.Stats(); s.Limited != 0 {
				t.Errorf("rate limited %d times", s.Limited)
			}
		})
	}
}

// Offset paging for methods without an ID filter.
func TestEmulatorListOffset(t *testing.T) {
	t.Parallel()
	srv := b24test.NewTestServer(t, b24test.Options{Seed: 9, Deals: 1234})
	p := srv.Portals()[0]
	c := b24.New(b24.Webhook{URL: p.WebhookURL()}, quick(srv))
	n := 0
	for _, err := range c.List(context.Background(), b24.ListOptions{Method: "crm.deal.list", Offset: true, Params: b24.Params{"select": []string{"ID"}}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1234 {
		t.Errorf("listed %d", n)
	}
}

// The pacer holds a method back before its execution-time budget runs out:
// a listing that needs one and a half budgets' worth finishes without a
// single OPERATION_TIME_LIMIT, in an HTTP status or inside a batch. Without
// the pacer's budget the same listing is refused.
func TestEmulatorOperatingBudget(t *testing.T) {
	t.Parallel()
	run := func(budget time.Duration) (int, int32) {
		srv := b24test.NewTestServer(t, b24test.Options{Seed: 10, Deals: 750,
			Limits: b24test.Limits{Burst: 1000, Drain: 1000, OperatingBudget: 300 * time.Millisecond, OperatingWindow: 2 * time.Second},
			Cost:   b24test.Cost{PerCall: 30 * time.Millisecond}})
		p := srv.Portals()[0]
		var refused atomic.Int32
		opts := quick(srv)
		opts.HTTPClient = &http.Client{Transport: scanTransport{srv.Client().Transport, "OPERATION_TIME_LIMIT", &refused}}
		opts.Pacer = &b24.Pacer{Budget: budget}
		c := b24.New(b24.Webhook{URL: p.WebhookURL()}, opts)
		n := 0
		for _, err := range c.List(context.Background(), b24.ListOptions{Method: "crm.deal.list", PagesPerRequest: 5, Params: b24.Params{"select": []string{"ID"}}}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n, refused.Load()
	}
	if n, refused := run(300 * time.Millisecond); n != 750 || refused != 0 {
		t.Errorf("paced: listed %d, refused %d times", n, refused)
	}
	if _, refused := run(time.Hour); refused == 0 {
		t.Error("unpaced listing was never refused: the test cannot tell")
	}
}

// scanTransport counts answers whose body contains a string.
type scanTransport struct {
	rt    http.RoundTripper
	s     string
	count *atomic.Int32
}

func (s scanTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := s.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(body), s.s) {
		s.count.Add(1)
	}
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	return res, nil
}
