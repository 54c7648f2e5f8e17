package lifecycle_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/installtest"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/db"
)

var ctx = context.Background()

// deliver parses an event form as the handlers do and hands it to Receive.
func deliver(t *testing.T, env *installtest.Env, form url.Values) error {
	t.Helper()
	e, err := event.Parse(form)
	if err != nil {
		t.Fatal(err)
	}
	return env.Lifecycle.Receive(ctx, e, "127.0.0.1")
}

// eventForm is a delivery of name from p signed with appToken.
func eventForm(p *b24test.Portal, name, appToken string) url.Values {
	return url.Values{
		"event": {name}, "auth[member_id]": {p.MemberID()}, "auth[application_token]": {appToken},
		"auth[domain]": {"ignored.example"},
	}
}

func installation(t *testing.T, env *installtest.Env, memberID string) *db.Installation {
	t.Helper()
	in, err := db.InstallationByMemberID(ctx, env.DB.Bun, memberID)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestInstallRecordsTheConfirmedPortalWithItsSetup(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	in := env.Install(t, 0)
	if in.MemberID != p.MemberID() || in.Status != db.StatusActive || in.ClientEndpoint != p.ClientEndpoint() {
		t.Errorf("installation %s %s %s; want the portal's, active", in.MemberID, in.Status, in.ClientEndpoint)
	}
	stored := installation(t, env, p.MemberID())
	plain, err := env.Keys.Open(stored.RefreshToken, db.TokenAD(p.MemberID(), "refresh_token"))
	if err != nil || len(plain) == 0 || bytes.Contains(stored.RefreshToken, plain) {
		t.Errorf("the refresh token is not stored sealed to its portal and column (%v)", err)
	}
	if n := env.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'setup_portal' AND (args->>'portal_id')::bigint = ?", in.ID); n != 1 {
		t.Errorf("%d setup jobs, want 1", n)
	}
	if _, err := db.LoadSettings(ctx, env.DB.Bun, in.ID); err != nil {
		t.Errorf("no settings: %v", err)
	}
}

func TestInstallRefusesWhatThePortalDoesNotConfirm(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p, other := env.Portal(0), env.Portal(1)
	appToken, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Install(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		refresh string
		want    error
	}{
		{"an employee's tokens", env.Tokens(t, p, env.Employee(t, p)).RefreshToken, lifecycle.ErrNotAdmin},
		{"another portal's admin", env.Tokens(t, other, other.AdminID()).RefreshToken, lifecycle.ErrOtherPortal},
		{"a made-up token", "not-a-token", lifecycle.ErrUnauthorized},
		{"no token", "", event.ErrMalformed},
	} {
		_, err := env.Lifecycle.InstallFromPage(ctx, p.MemberID(), c.refresh, appToken, "127.0.0.1")
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if n := env.Count(t, "SELECT count(*) FROM installations"); n != 0 {
		t.Errorf("%d installations recorded from refused installs", n)
	}
}

func TestInstallOverAHealthyInstallationChangesNothing(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	in := env.Install(t, 0)
	a, err := env.Lifecycle.InstallFromPage(ctx, p.MemberID(), env.Tokens(t, p, p.AdminID()).RefreshToken, "forged-app-token", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Installation.ID != in.ID || !a.Admin {
		t.Errorf("admitted %+v, want the existing installation", a)
	}
	if stored := installation(t, env, p.MemberID()); !bytes.Equal(stored.ApplicationTokenHash, in.ApplicationTokenHash) {
		t.Error("the application token was replaced over a healthy installation")
	}
}

func TestInstallEventReplacesAnInstallationWhoseGrantDied(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	old := env.Install(t, 0)
	// The portal reinstalls: a new application token, the old grant dead.
	appToken, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	p.RevokeTokens()
	tok := env.Tokens(t, p, p.AdminID())
	form := eventForm(p, event.AppInstall, appToken)
	form.Set("auth[refresh_token]", tok.RefreshToken)
	form.Set("auth[access_token]", tok.AccessToken)
	e, err := event.Parse(form)
	if err != nil {
		t.Fatal(err)
	}
	a, err := env.Lifecycle.Install(ctx, e, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Installation.ID != old.ID || bytes.Equal(a.Installation.ApplicationTokenHash, old.ApplicationTokenHash) {
		t.Error("the reinstall did not take the new application token on the same row")
	}
	if err := deliver(t, env, withRecord(eventForm(p, "ONCRMDEALUPDATE", appToken), 1)); err != nil {
		t.Errorf("an event signed with the new token: %v", err)
	}
}

func withRecord(form url.Values, id int) url.Values {
	form.Set("data[FIELDS][ID]", strconv.Itoa(id))
	return form
}

func TestReceiveQueuesCRMChangesSignedByThePortal(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	in := env.Install(t, 0)
	env.FinishJobs(t)
	if err := deliver(t, env, withRecord(eventForm(p, "ONCRMDEALUPDATE", p.ApplicationToken()), 3)); err != nil {
		t.Fatal(err)
	}
	if n := env.Count(t, "SELECT count(*) FROM inbox WHERE portal_id = ? AND entity = 2 AND entity_id = 3", in.ID); n != 1 {
		t.Errorf("%d inbox rows, want 1", n)
	}
	if n := env.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'drain_inbox'"); n != 1 {
		t.Errorf("%d drain jobs, want 1", n)
	}
	// A wrong token, a record without an ID: refused, nothing written.
	if err := deliver(t, env, withRecord(eventForm(p, "ONCRMDEALUPDATE", "wrong"), 4)); !errors.Is(err, lifecycle.ErrUnauthorized) {
		t.Errorf("wrong application token: %v", err)
	}
	if err := deliver(t, env, eventForm(p, "ONCRMDEALUPDATE", p.ApplicationToken())); !errors.Is(err, event.ErrMalformed) {
		t.Errorf("no record ID: %v", err)
	}
	if n := env.Count(t, "SELECT count(*) FROM inbox"); n != 1 {
		t.Errorf("%d inbox rows after refused deliveries, want 1", n)
	}
}

func TestReceiveOfflineAndOtherEvents(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	env.Install(t, 0)
	env.FinishJobs(t)
	if err := deliver(t, env, eventForm(p, event.OfflineEvent, p.ApplicationToken())); err != nil {
		t.Fatal(err)
	}
	if n := env.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'pull_offline'"); n != 1 {
		t.Errorf("%d offline jobs, want 1", n)
	}
	if err := deliver(t, env, eventForm(p, "ONCRMACTIVITYADD", p.ApplicationToken())); err != nil {
		t.Errorf("an event Trail does not track: %v, want it acknowledged", err)
	}
	if err := deliver(t, env, eventForm(env.Portal(1), event.OfflineEvent, "x")); !errors.Is(err, lifecycle.ErrUnauthorized) {
		t.Errorf("a portal Trail does not know: %v", err)
	}
}

func TestUninstallAsksThePortalFirst(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	env.Install(t, 0)
	form := eventForm(p, event.AppUninstall, p.ApplicationToken())
	form.Set("data[CLEAN]", "1")
	e, _ := event.Parse(form)
	if err := env.Lifecycle.Uninstall(ctx, e); err != nil {
		t.Fatal(err)
	}
	if n := env.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'confirm_uninstall' AND (args->>'clean')::boolean"); n != 1 {
		t.Errorf("%d uninstall jobs with clean, want 1", n)
	}
	if installation(t, env, p.MemberID()).Status != db.StatusActive {
		t.Error("the announcement alone changed the installation")
	}
	forged, _ := event.Parse(eventForm(p, event.AppUninstall, "forged"))
	if err := env.Lifecycle.Uninstall(ctx, forged); !errors.Is(err, lifecycle.ErrUnauthorized) {
		t.Errorf("forged uninstall: %v", err)
	}
}

func TestUpdateTakesEffectOnlyWhenThePortalReportsIt(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	in := env.Install(t, 0)
	update := func(appToken string) error {
		tok := env.Tokens(t, p, p.AdminID())
		form := eventForm(p, event.AppUpdate, appToken)
		form.Set("auth[refresh_token]", tok.RefreshToken)
		form.Set("auth[access_token]", tok.AccessToken)
		return deliver(t, env, form)
	}
	// Not updated on the portal: a replayed or forged update.
	if err := update("forged"); !errors.Is(err, lifecycle.ErrUnauthorized) {
		t.Errorf("unconfirmed update: %v", err)
	}
	newToken, err := p.Update()
	if err != nil {
		t.Fatal(err)
	}
	if err := update(newToken); err != nil {
		t.Fatal(err)
	}
	if got := installation(t, env, p.MemberID()); got.AppVersion <= in.AppVersion {
		t.Errorf("version %d after update, was %d", got.AppVersion, in.AppVersion)
	}
	if err := deliver(t, env, withRecord(eventForm(p, "ONCRMLEADADD", newToken), 1)); err != nil {
		t.Errorf("event with the updated token: %v", err)
	}
}

func TestReauthorizeRestoresAccessWithAnAdministratorsGrant(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p, other := env.Portal(0), env.Portal(1)
	in := env.Install(t, 0)
	if _, err := other.Install(); err != nil {
		t.Fatal(err)
	}
	env.FinishJobs(t)
	if _, err := env.DB.Bun.ExecContext(ctx, "UPDATE installations SET status = 'reauth' WHERE id = ?", in.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Lifecycle.Reauthorize(ctx, in.ID, env.Tokens(t, other, other.AdminID()).RefreshToken); !errors.Is(err, lifecycle.ErrOtherPortal) {
		t.Errorf("another portal's grant: %v", err)
	}
	if err := env.Lifecycle.Reauthorize(ctx, in.ID, env.Tokens(t, p, env.Employee(t, p)).RefreshToken); !errors.Is(err, lifecycle.ErrNotAdmin) {
		t.Errorf("an employee's grant: %v", err)
	}
	if n := env.Count(t, "SELECT count(*) FROM river_job"); n != 0 {
		t.Errorf("%d jobs after refused grants", n)
	}
	if err := env.Lifecycle.Reauthorize(ctx, in.ID, env.Tokens(t, p, p.AdminID()).RefreshToken); err != nil {
		t.Fatal(err)
	}
	if got := installation(t, env, p.MemberID()); got.Status != db.StatusActive {
		t.Errorf("status %s after a new grant, want active", got.Status)
	}
	if n := env.Count(t, "SELECT count(DISTINCT kind) FROM river_job WHERE kind IN ('setup_portal', 'pull_offline', 'drain_inbox')"); n != 3 {
		t.Errorf("%d of setup, offline pull and drain enqueued, want all 3", n)
	}
}
