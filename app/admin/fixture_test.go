package admin

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/jobs"
)

const baseURL = "http://trail.localhost:8080"

// fixture is an installation of Trail on an emulated portal, recorded in
// a database of the test's own, with a Service over both. Nothing works
// the jobs: tests see what was enqueued.
type fixture struct {
	svc    *Service
	db     *db.DB
	emu    *b24test.Server
	portal *b24test.Portal
	in     *db.Installation
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	app := &b24test.App{ClientID: "local.trail.test", ClientSecret: "test-secret", Scopes: []string{"crm", "placement", "user_brief"}}
	emu, err := b24test.NewServer(b24test.Options{App: app, Deals: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	d := dbtest.New(t)
	keys, err := secret.ParseKeyRing("test:ZGV2LW9ubHkta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=")
	if err != nil {
		t.Fatal(err)
	}
	clients := &portal.Clients{
		HTTP: emu.Client(), Limiter: db.NewBucket(d), Pacer: &b24.Pacer{}, Tokens: db.NewTokenStore(d, keys), Keys: keys,
		ClientID: app.ClientID, ClientSecret: app.ClientSecret, TokenURL: emu.OAuthTokenURL(),
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	base, _ := url.Parse(baseURL)
	rc, err := jobs.NewClient(jobs.Deps{DB: d, Log: log, Clients: clients, BaseURL: base}, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lc := &lifecycle.Service{DB: d, Keys: keys, Jobs: rc, Auth: lifecycle.OAuthServer{App: clients.App()}, Portals: clients, Log: log}

	p := emu.Portals()[0]
	appToken, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	a, err := lc.InstallFromPage(context.Background(), p.MemberID(), tok.RefreshToken, appToken, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		svc: &Service{DB: d, Jobs: rc, Portals: clients, BaseURL: baseURL},
		db:  d, emu: emu, portal: p, in: a.Installation,
	}
}

// count runs a counting query.
func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Bun.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// finishJobs marks every job done, as if the workers had run them.
func (f *fixture) finishJobs(t *testing.T) {
	t.Helper()
	if _, err := f.db.Bun.ExecContext(context.Background(), "DELETE FROM river_job"); err != nil {
		t.Fatal(err)
	}
}

// settings are the portal's stored settings.
func (f *fixture) settings(t *testing.T) *db.Settings {
	t.Helper()
	set, err := db.LoadSettings(context.Background(), f.db.Bun, f.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
