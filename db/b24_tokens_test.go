package db_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
)

func testKeyRing(t *testing.T) *secret.KeyRing {
	t.Helper()
	kr, err := secret.ParseKeyRing("test:ZGV2LW9ubHkta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=")
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// oauthPortal is a portal plus OAuth server that rotates single-use refresh
// tokens and remembers every refresh token ever presented twice.
type oauthPortal struct {
	srv       *httptest.Server
	mu        sync.Mutex
	access    string
	refresh   string
	used      map[string]bool
	refreshes int
	reused    int
	revoked   bool
}

func newOAuthPortal(t *testing.T) *oauthPortal {
	p := &oauthPortal{access: "a0", refresh: "r0", used: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *oauthPortal) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/oauth/token/" {
		rt := r.URL.Query().Get("refresh_token")
		if p.used[rt] {
			p.reused++
		}
		p.used[rt] = true
		if rt != p.refresh || p.revoked {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		p.refreshes++
		p.access, p.refresh = "a"+strconv.Itoa(p.refreshes), "r"+strconv.Itoa(p.refreshes)
		json.NewEncoder(w).Encode(map[string]any{"access_token": p.access, "refresh_token": p.refresh,
			"expires": time.Now().Add(time.Hour).Unix(), "client_endpoint": p.srv.URL + "/rest/"})
		return
	}
	r.ParseForm()
	if r.Form.Get("auth") != p.access {
		w.WriteHeader(401)
		json.NewEncoder(w).Encode(map[string]string{"error": "expired_token"})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"result": map[string]string{"ID": "1"}})
}

func insertInstallation(t *testing.T, d *db.DB, store *db.TokenStore, memberID, endpoint string, tok b24.Token) {
	t.Helper()
	ctx := context.Background()
	_, err := d.Pool.Exec(ctx, `INSERT INTO installations (member_id, domain, client_endpoint) VALUES ($1, 'portal.test', $2)`, memberID, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveToken(ctx, d.Bun, memberID, tok); err != nil {
		t.Fatal(err)
	}
}

// Fifty callers over three pools (three processes) find the same expired
// token: one refresh, nobody sends a used refresh token, everybody succeeds.
func TestTokenStoreRefreshOnceAcrossPools(t *testing.T) {
	t.Parallel()
	pools := openPools(t, 3)
	kr := testKeyRing(t)
	p := newOAuthPortal(t)
	stores := []*db.TokenStore{db.NewTokenStore(pools[0], kr), db.NewTokenStore(pools[1], kr), db.NewTokenStore(pools[2], kr)}
	insertInstallation(t, pools[0], stores[0], "m1", p.srv.URL+"/rest/", b24.Token{
		AccessToken: "expired", RefreshToken: "r0", ClientEndpoint: p.srv.URL + "/rest/", Expires: time.Now().Add(time.Hour)})

	var wg sync.WaitGroup
	for i := range 50 {
		c := b24.New(b24.OAuth{Portal: "m1", ClientID: "app", ClientSecret: "s", Store: stores[i%3], TokenURL: p.srv.URL + "/oauth/token/"},
			b24.Options{Limiter: b24.NewMemoryLimiter(b24.Rate{Burst: 1000, Drain: 1000})})
		wg.Go(func() {
			if _, err := c.CurrentUser(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p.refreshes != 1 || p.reused != 0 {
		t.Errorf("refreshes = %d, reused refresh tokens = %d", p.refreshes, p.reused)
	}
	tok, err := stores[2].Load(context.Background(), "m1")
	if err != nil || tok.AccessToken != "a1" || tok.RefreshToken != "r1" {
		t.Errorf("stored %v, %v", tok, err)
	}
	// At rest the tokens are sealed.
	var access, refresh []byte
	pools[0].Pool.QueryRow(context.Background(), "SELECT access_token, refresh_token FROM installations WHERE member_id = 'm1'").Scan(&access, &refresh)
	if bytes.Contains(access, []byte("a1")) || bytes.Contains(refresh, []byte("r1")) {
		t.Error("tokens stored in the clear")
	}
}

// A refused refresh token marks the installation for re-authorisation; no
// caller retries it.
func TestTokenStoreInvalidGrant(t *testing.T) {
	t.Parallel()
	pools := openPools(t, 1)
	kr := testKeyRing(t)
	p := newOAuthPortal(t)
	p.revoked = true
	store := db.NewTokenStore(pools[0], kr)
	insertInstallation(t, pools[0], store, "m2", p.srv.URL+"/rest/", b24.Token{AccessToken: "expired", RefreshToken: "r0", ClientEndpoint: p.srv.URL + "/rest/"})
	c := b24.New(b24.OAuth{Portal: "m2", ClientID: "app", ClientSecret: "s", Store: store, TokenURL: p.srv.URL + "/oauth/token/"}, b24.Options{})
	ctx := context.Background()
	if _, err := c.CurrentUser(ctx); !errors.Is(err, b24.ErrReauthRequired) {
		t.Fatalf("got %v", err)
	}
	in, err := db.InstallationByMemberID(ctx, pools[0].Bun, "m2")
	if err != nil || in.Status != db.StatusReauth {
		t.Fatalf("status %v, %v", in, err)
	}
	if _, err := store.Load(ctx, "m2"); !errors.Is(err, b24.ErrReauthRequired) {
		t.Errorf("Load: %v", err)
	}
	p.mu.Lock()
	n := len(p.used)
	p.mu.Unlock()
	if _, err := b24.New(b24.OAuth{Portal: "m2", Store: store}, b24.Options{}).CurrentUser(ctx); !errors.Is(err, b24.ErrReauthRequired) || len(p.used) != n {
		t.Errorf("second client: %v", err)
	}
	// A new authorisation brings it back.
	if err := store.SaveToken(ctx, pools[0].Bun, "m2", b24.Token{AccessToken: "a0", RefreshToken: "r0", ClientEndpoint: p.srv.URL + "/rest/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, "m2"); err != nil {
		t.Errorf("after SaveToken: %v", err)
	}
}
