// Package installtest installs Trail on an emulated Bitrix24 portal over a
// test database of its own, for the tests of services and handlers that
// need an installation. The emulator answers as the portal would; nothing
// works the jobs, so a test sees what was enqueued.
package installtest

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

// BaseURL is Trail's address in these tests; nothing listens there.
const BaseURL = "http://trail.localhost:8080"

// The app's registration at the emulated vendor account.
const (
	ClientID     = "local.trail.test"
	ClientSecret = "test-secret"
)

// Env is the emulator, the database and Trail's services over them.
type Env struct {
	DB        *db.DB
	Emulator  *b24test.Server
	Keys      *secret.KeyRing
	Clients   *portal.Clients
	Jobs      *jobs.Client // inserts only
	Lifecycle *lifecycle.Service
}

// New starts an emulator with two portals (the app registered, not
// installed) and opens a migrated database for the test.
func New(t testing.TB) *Env {
	t.Helper()
	app := &b24test.App{ClientID: ClientID, ClientSecret: ClientSecret, Scopes: []string{"crm", "placement", "user_brief"}}
	emu, err := b24test.NewServer(b24test.Options{App: app, Portals: 2, Deals: 3, Seed: 7})
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
		ClientID: ClientID, ClientSecret: ClientSecret, TokenURL: emu.OAuthTokenURL(),
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	base, _ := url.Parse(BaseURL)
	rc, err := jobs.NewClient(jobs.Deps{DB: d, Log: log, Clients: clients, BaseURL: base}, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{
		DB: d, Emulator: emu, Keys: keys, Clients: clients, Jobs: rc,
		Lifecycle: &lifecycle.Service{DB: d, Keys: keys, Jobs: rc, Auth: lifecycle.OAuthServer{App: clients.App()}, Portals: clients, Log: log},
	}
}

// Installed is New with the app installed on portal 0.
func Installed(t testing.TB) (*Env, *db.Installation) {
	t.Helper()
	env := New(t)
	return env, env.Install(t, 0)
}

// Portal is the emulated portal i (0 or 1).
func (e *Env) Portal(i int) *b24test.Portal { return e.Emulator.Portals()[i] }

// Install installs the app on portal i as its administrator does and has
// Trail admit it from the installer page.
func (e *Env) Install(t testing.TB, i int) *db.Installation {
	t.Helper()
	p := e.Portal(i)
	appToken, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Lifecycle.InstallFromPage(context.Background(), p.MemberID(), e.Tokens(t, p, p.AdminID()).RefreshToken, appToken, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return a.Installation
}

// Tokens are a fresh token pair of a user of p, as the portal hands them
// to the app's frame.
func (e *Env) Tokens(t testing.TB, p *b24test.Portal, userID int) b24test.Tokens {
	t.Helper()
	tok, err := p.IssueTokens(userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Employee is a user of p who is not an administrator.
func (e *Env) Employee(t testing.TB, p *b24test.Portal) int {
	t.Helper()
	for _, id := range p.UserIDs() {
		if id != p.AdminID() {
			return id
		}
	}
	t.Fatal("installtest: the portal has no employee")
	return 0
}

// Count runs a counting query.
func (e *Env) Count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.DB.Bun.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// FinishJobs removes every job, as if the workers had run them.
func (e *Env) FinishJobs(t testing.TB) {
	t.Helper()
	if _, err := e.DB.Bun.ExecContext(context.Background(), "DELETE FROM river_job"); err != nil {
		t.Fatal(err)
	}
}
