package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// bench is one emulated portal with Trail installed on it (an OAuth grant
// stored as the install would store it), a test database and a River
// client that works every queue, so a job runs as in production.
type bench struct {
	ctx    context.Context
	d      *db.DB
	emu    *b24test.Server
	p      *b24test.Portal
	deps   Deps
	rc     *Client
	portal int64
	events <-chan *river.Event
	seen   []*river.Event // events not yet asked for
}

// newBench installs Trail on the emulator's first portal. Nothing listens
// at the base URL: the events the portal sends there are lost, which the
// jobs are built to survive.
func newBench(t *testing.T, opts b24test.Options) *bench {
	t.Helper()
	ctx := context.Background()
	opts.App = &b24test.App{ClientID: "local.trail.test", ClientSecret: "test-secret",
		Scopes: []string{"crm", "placement", "user_brief"}, AppURL: "http://127.0.0.1:1/bitrix/app"}
	emu, err := b24test.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	p := emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	entry, err := secret.NewKeyEntry("t1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.ParseKeyRing(entry)
	if err != nil {
		t.Fatal(err)
	}
	d := dbtest.New(t)
	store := db.NewTokenStore(d, keys)
	in := &db.Installation{MemberID: p.MemberID(), Domain: p.Domain(), ClientEndpoint: p.ClientEndpoint(),
		AuthMode: "oauth", Status: db.StatusActive, Scope: "crm,placement,user_brief"}
	if err := db.UpsertInstallation(ctx, d.Bun, in); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveToken(ctx, d.Bun, p.MemberID(), b24.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		Expires: tok.Expires, ClientEndpoint: p.ClientEndpoint(), MemberID: p.MemberID()}); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1:1")
	deps := Deps{DB: d, Log: slog.New(slog.DiscardHandler), BaseURL: base, APILogRetention: 72 * time.Hour,
		Clients: &portal.Clients{HTTP: portal.HTTPClient(true), Tokens: store, Keys: keys,
			ClientID: "local.trail.test", ClientSecret: "test-secret", TokenURL: emu.OAuthTokenURL()}}
	rc, err := NewClient(deps, Options{Work: true})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := rc.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobSnoozed, river.EventKindJobCancelled)
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, done := context.WithTimeout(ctx, 10*time.Second)
		defer done()
		_ = rc.Stop(sctx)
	})
	return &bench{ctx: ctx, d: d, emu: emu, p: p, deps: deps, rc: rc, portal: in.ID, events: events}
}

// run inserts a job and returns the event River reports when it ends or
// snoozes. Jobs it enqueues run too; other jobs' events are passed over.
func (b *bench) run(t *testing.T, args river.JobArgs) *river.Event {
	t.Helper()
	res, err := b.rc.Insert(b.ctx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.UniqueSkippedAsDuplicate {
		t.Fatalf("%s: a job of the same args is waiting", args.Kind())
	}
	return b.wait(t, res.Job.ID)
}

// wait returns the next event of job id.
func (b *bench) wait(t *testing.T, id int64) *river.Event {
	t.Helper()
	return b.next(t, fmt.Sprintf("job %d", id), func(ev *river.Event) bool { return ev.Job.ID == id })
}

// completed waits until a job of kind whose args contain want (a JSON
// fragment, "" for any) completes: one that a job under test enqueued.
func (b *bench) completed(t *testing.T, kind, want string) {
	t.Helper()
	b.next(t, "a completed "+kind, func(ev *river.Event) bool {
		return ev.Kind == river.EventKindJobCompleted && ev.Job.Kind == kind && strings.Contains(string(ev.Job.EncodedArgs), want)
	})
}

// next returns the first event not returned before that matches, failing
// the test when none came within a minute. Events that do not match are
// kept for later calls: a job's follow-up may end before the job itself.
func (b *bench) next(t *testing.T, what string, match func(*river.Event) bool) *river.Event {
	t.Helper()
	for i, ev := range b.seen {
		if match(ev) {
			b.seen = append(b.seen[:i], b.seen[i+1:]...)
			return ev
		}
	}
	deadline := time.After(time.Minute)
	for {
		select {
		case ev := <-b.events:
			if match(ev) {
				return ev
			}
			b.seen = append(b.seen, ev)
		case <-deadline:
			t.Fatalf("%s: no outcome within a minute", what)
		}
	}
}

// done runs a job and fails the test unless it completed.
func (b *bench) done(t *testing.T, args river.JobArgs) {
	t.Helper()
	if ev := b.run(t, args); ev.Kind != river.EventKindJobCompleted {
		t.Fatalf("%s: %s (errors %v)", args.Kind(), ev.Kind, ev.Job.Errors)
	}
}

// count runs a counting query.
func (b *bench) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := b.d.Pool.QueryRow(b.ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
