package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Every app frame hands its user the application token and a grant of
// their own (REFRESH_ID, AUTH_ID). These tests replay what an ordinary
// employee can therefore send, against the emulated portal, and check that
// nothing of the installation changes; then the genuine lifecycle still
// works end to end.

// employee is an ordinary user of the portal (not an administrator).
const employee = 2

// installationRow is what an attack must leave byte for byte: identity,
// status, version, the sealed tokens and the application token's hash,
// the dates.
func (s *stack) installationRow(t *testing.T, p *b24test.Portal) db.Installation {
	t.Helper()
	return *s.Installation(t, p)
}

// recordsEdit makes a genuine edit of a deal in the portal and waits for
// Trail to record it.
func (s *stack) recordsEdit(t *testing.T, p *b24test.Portal, portalID int64, deal int, amount string) {
	t.Helper()
	if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"OPPORTUNITY": amount}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, fmt.Sprintf("edit of deal %d recorded", deal), func() bool {
		return trailtest.ByField(s.History(t, portalID, crm.Deal, int64(deal)), "OPPORTUNITY") > 0
	})
}

// reinstalled waits for a reinstall with appToken to be stored and set up
// again: the portal dropped the bindings with the old installation, and
// setup binds the events before the tabs.
func (s *stack) reinstalled(t *testing.T, p *b24test.Portal, id int64, appToken string) {
	t.Helper()
	trailtest.Eventually(t, "reinstall stored and set up", func() bool {
		in := s.InstallationOf(t, id)
		return in.Status == db.StatusActive && bytes.Equal(in.ApplicationTokenHash, secret.HashToken(appToken)) && boundTabs(p)["CRM_DEAL_DETAIL_TAB"]
	})
}

// setUp waits until the portal's setup job has finished: one enqueued
// while it still counts as running would be taken for a duplicate.
func (s *stack) setUp(t *testing.T, id int64) {
	t.Helper()
	trailtest.Eventually(t, "setup finished", func() bool {
		for _, j := range trailtest.Jobs[jobs.SetupArgs](t, s.Stack, trailtest.Unfinished...) {
			if j.Args.PortalID == id {
				return false
			}
		}
		return true
	})
}

func tokensOf(t *testing.T, p *b24test.Portal, userID int) b24test.Tokens {
	t.Helper()
	tok, err := p.IssueTokens(userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// lifecycleForm is an ONAPPINSTALL/ONAPPUPDATE delivery carrying tok.
func lifecycleForm(p *b24test.Portal, name string, tok b24test.Tokens, appToken string, version int) url.Values {
	return url.Values{
		"event": {name}, "data[VERSION]": {fmt.Sprint(version)}, "data[PREVIOUS_VERSION]": {fmt.Sprint(version - 1)}, "data[LANGUAGE_ID]": {"en"},
		"ts": {"1700000000"}, "auth[access_token]": {tok.AccessToken}, "auth[refresh_token]": {tok.RefreshToken},
		"auth[expires_in]": {"3600"}, "auth[scope]": {"crm,placement,user_brief"}, "auth[domain]": {p.Domain()},
		"auth[member_id]": {p.MemberID()}, "auth[user_id]": {fmt.Sprint(tok.UserID)}, "auth[application_token]": {appToken},
		"auth[client_endpoint]": {p.ClientEndpoint()}, "auth[server_endpoint]": {"http://oauth.localhost/rest/"},
	}
}

// installerForm is the installer page's POST with tok.
func installerForm(p *b24test.Portal, tok b24test.Tokens, appToken string) url.Values {
	return url.Values{
		"AUTH_ID": {tok.AccessToken}, "REFRESH_ID": {tok.RefreshToken}, "AUTH_EXPIRES": {"3600"},
		"APPLICATION_TOKEN": {appToken}, "member_id": {p.MemberID()}, "PLACEMENT": {"DEFAULT"}, "PLACEMENT_OPTIONS": {"{}"},
	}
}

// postPage posts a form and returns status and body.
func (s *stack) postPage(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, body := s.Do(t, "POST", path, form, nil)
	return resp.StatusCode, body
}

// An employee's own tokens, posted as an install (both flavours, and to the
// events handler) or as an update, with an application token of their
// choosing, are refused: the installation is unchanged, no session is
// opened, the portal's genuine events are still recorded. An administrator
// re-opening the installer over the healthy installation gets in and
// changes nothing; a replayed update of the same version changes nothing.
func TestEmployeeCannotTakeOverInstallation(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 41}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	before := s.installationRow(t, p)
	sessions := s.Sessions(t)
	chosen := randomHex(t)

	attacks := []struct {
		name, path string
		form       func() url.Values
		want       int
	}{
		{"installer page form", "/bitrix/install?DOMAIN=" + p.Domain() + "&PROTOCOL=0&LANG=en&APP_SID=x", func() url.Values {
			return installerForm(p, tokensOf(t, p, employee), chosen)
		}, http.StatusForbidden},
		{"ONAPPINSTALL form to the install handler", "/bitrix/install", func() url.Values {
			return lifecycleForm(p, "ONAPPINSTALL", tokensOf(t, p, employee), chosen, 1)
		}, http.StatusForbidden},
		{"ONAPPINSTALL to the events handler", "/bitrix/events", func() url.Values {
			return lifecycleForm(p, "ONAPPINSTALL", tokensOf(t, p, employee), chosen, 1)
		}, http.StatusForbidden},
		{"ONAPPUPDATE with a new version", "/bitrix/events", func() url.Values {
			return lifecycleForm(p, "ONAPPUPDATE", tokensOf(t, p, employee), chosen, 2)
		}, http.StatusForbidden},
		{"ONAPPUPDATE of the own-records user", "/bitrix/events", func() url.Values {
			return lifecycleForm(p, "ONAPPUPDATE", tokensOf(t, p, p.OwnRecordsUserID()), chosen, 2)
		}, http.StatusForbidden},
		{"ONAPPUPDATE by an administrator that the portal does not confirm", "/bitrix/events", func() url.Values {
			return lifecycleForm(p, "ONAPPUPDATE", tokensOf(t, p, p.AdminID()), chosen, 2)
		}, http.StatusUnauthorized},
	}
	for i, a := range attacks {
		status, body := s.postPage(t, a.path, a.form())
		if status != a.want {
			t.Errorf("%s = %d, want %d: %.200s", a.name, status, a.want, body)
		}
		if strings.Contains(body, "data-session") {
			t.Errorf("%s opened a session", a.name)
		}
		if after := s.installationRow(t, p); !reflect.DeepEqual(after, before) {
			t.Fatalf("%s changed the installation:\n%+v\n%+v", a.name, before, after)
		}
		if n := s.Sessions(t); n != sessions {
			t.Errorf("%s stored a session", a.name)
		}
		s.recordsEdit(t, p, id, i+1, fmt.Sprint(1000+i))
	}

	// The administrator re-opening the installer: in, as an administrator,
	// and nothing changes (not even the application token the form names).
	status, body := s.postPage(t, "/bitrix/install?DOMAIN="+p.Domain()+"&LANG=en", installerForm(p, tokensOf(t, p, p.AdminID()), chosen))
	token := trailtest.Between(body, `data-session="`, `"`)
	if status != 200 || token == "" {
		t.Fatalf("administrator's installer page = %d: %.300s", status, body)
	}
	if after := s.installationRow(t, p); !reflect.DeepEqual(after, before) {
		t.Fatalf("re-opening the installer changed the installation:\n%+v\n%+v", before, after)
	}
	if status, _ := s.Page(t, token).Get("/settings/health"); status != 200 {
		t.Errorf("settings with the installer's session = %d", status)
	}
	s.recordsEdit(t, p, id, 9, "9009")
}

// A forged ONAPPUNINSTALL with data[CLEAN]=1 and the real application token
// (any frame POST shows it) purges nothing: the portal's grant still works,
// so every check Trail makes denies it. A genuine uninstall is then acted
// on, and its CLEAN purge runs from the confirming job.
func TestForgedUninstallPurgesNothing(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 42}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	s.recordsEdit(t, p, id, 1, "1111")
	history := len(s.HistoryOf(t, id))
	before := s.installationRow(t, p)

	forged := url.Values{
		"event": {"ONAPPUNINSTALL"}, "data[LANGUAGE_ID]": {"en"}, "data[CLEAN]": {"1"}, "ts": {"1700000000"},
		"auth[domain]": {p.Domain()}, "auth[member_id]": {p.MemberID()}, "auth[application_token]": {p.ApplicationToken()},
		"auth[client_endpoint]": {p.ClientEndpoint()}, "auth[server_endpoint]": {"http://oauth.localhost/rest/"},
	}
	for _, path := range []string{"/bitrix/uninstall", "/bitrix/events"} {
		if st := s.post(t, path, forged); st != 200 {
			t.Fatalf("forged uninstall to %s = %d", path, st)
		}
	}
	// Every check runs (the waits between them are hurried along), and
	// each finds the installation alive.
	rc, err := river.NewClient(riverpgxv5.New(s.DB.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	checks := jobs.UninstallChecks()
	trailtest.Eventually(t, "every check of the forged uninstall", func() bool {
		all := trailtest.Jobs[jobs.UninstallArgs](t, s.Stack)
		done := 0
		for _, j := range all {
			switch j.State {
			case rivertype.JobStateCompleted:
				done++
			case rivertype.JobStateScheduled:
				if _, err := rc.JobRetry(ctx, j.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		return done == checks && len(all) == checks
	})
	if after := s.installationRow(t, p); !reflect.DeepEqual(after, before) {
		t.Fatalf("the forged uninstall changed the installation:\n%+v\n%+v", before, after)
	}
	if n := len(s.HistoryOf(t, id)); n != history {
		t.Fatalf("history rows %d → %d after a forged uninstall", history, n)
	}
	rivertest.RequireNotInserted(ctx, t, riverpgxv5.New(s.DB.Pool), &jobs.PurgeArgs{}, nil) // a forged uninstall enqueues no purge
	s.recordsEdit(t, p, id, 2, "2222")

	// The genuine uninstall: the portal revokes the grant, Trail confirms
	// and purges.
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "purge after the genuine uninstall", func() bool {
		return s.InstallationOf(t, id).Status == db.StatusPurged && len(s.HistoryOf(t, id)) == 0
	})
}

// A genuine update (new version, new application token, delivered by the
// portal to the bound handler) replaces the token and the grant; events
// signed with the new token are recorded. An uninstall without CLEAN keeps
// the history, and a reinstall (new application token) picks it up again.
func TestGenuineUpdateAndReinstall(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 43}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	s.recordsEdit(t, p, id, 1, "1001")
	if n := s.InstallationOf(t, id).AppVersion; n != 1 {
		t.Fatalf("installed version = %d, want 1", n)
	}

	newToken, err := p.Update()
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "update stored", func() bool {
		in := s.InstallationOf(t, id)
		return in.AppVersion == 2 && bytes.Equal(in.ApplicationTokenHash, secret.HashToken(newToken))
	})
	s.recordsEdit(t, p, id, 2, "2002")

	s.setUp(t, id)
	if err := p.Uninstall(false); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "uninstall confirmed", func() bool {
		in := s.InstallationOf(t, id)
		return in.Status == db.StatusUninstalled && in.AccessToken == nil
	})
	kept := len(s.HistoryOf(t, id))
	if kept == 0 {
		t.Fatal("an uninstall without CLEAN deleted the history")
	}
	reinstalled, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	s.reinstalled(t, p, id, reinstalled)
	s.recordsEdit(t, p, id, 3, "3003")
	if n := len(s.History(t, id, crm.Deal, 1)) + len(s.History(t, id, crm.Deal, 2)); n == 0 {
		t.Error("the reinstall lost the history from before the uninstall")
	}
}

// Re-authorisation after a lost grant takes an administrator's refresh
// token only: an employee's, sent through the administrator's page, is
// refused and changes nothing.
func TestReauthorisationNeedsAnAdministrator(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 44}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	p.RevokeTokens()
	s.LoseAccess(t, id)
	admin, status, _ := s.OpenApp(t, p, p.AdminID())
	if status != 200 {
		t.Fatalf("admin's app page = %d", status)
	}
	before := s.installationRow(t, p)
	body := admin.Must(http.StatusForbidden, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {tokensOf(t, p, employee).RefreshToken}})
	if !strings.Contains(body, "administrator") {
		t.Errorf("refusal says %q", body)
	}
	if after := s.installationRow(t, p); !reflect.DeepEqual(after, before) {
		t.Fatalf("an employee's re-authorisation changed the installation:\n%+v\n%+v", before, after)
	}
	admin.Must(http.StatusOK, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {tokensOf(t, p, p.AdminID()).RefreshToken}})
	if st := s.InstallationOf(t, id).Status; st != db.StatusActive {
		t.Fatal("the administrator's re-authorisation did not restore the installation")
	}
	s.recordsEdit(t, p, id, 4, "4004")
}

// A flood of forged installs (made-up refresh tokens for made-up portals,
// employees' tokens for the real one, one refused token over and over)
// costs a bounded number of requests to the OAuth server and changes
// nothing of the installation.
func TestInstallFloodIsBounded(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 45}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	before := s.installationRow(t, p)
	start := s.Emu.OAuthRequests()
	const flood = 150
	throttled := 0
	refused := "refused-" + randomHex(t)
	for i := range flood {
		var form url.Values
		switch i % 3 {
		case 0:
			form = url.Values{"event": {"ONAPPINSTALL"}, "auth[member_id]": {randomHex(t)}, "auth[refresh_token]": {randomHex(t)},
				"auth[access_token]": {randomHex(t)}, "auth[application_token]": {randomHex(t)}, "auth[domain]": {"x.bitrix24.com"}}
		case 1:
			form = lifecycleForm(p, "ONAPPINSTALL", tokensOf(t, p, employee), randomHex(t), 1)
		default:
			form = url.Values{"event": {"ONAPPINSTALL"}, "auth[member_id]": {p.MemberID()}, "auth[refresh_token]": {refused},
				"auth[access_token]": {"x"}, "auth[application_token]": {randomHex(t)}, "auth[domain]": {p.Domain()}}
		}
		switch st := s.post(t, "/bitrix/install", form); st {
		case http.StatusTooManyRequests:
			throttled++
		case http.StatusUnauthorized, http.StatusForbidden:
		default:
			t.Fatalf("forged install %d = %d", i, st)
		}
	}
	spent := s.Emu.OAuthRequests() - start
	t.Logf("%d forged installs: %d OAuth requests, %d throttled", flood, spent, throttled)
	if spent > 30 || throttled < flood/2 {
		t.Fatalf("%d forged installs cost %d OAuth requests (%d throttled)", flood, spent, throttled)
	}
	if after := s.installationRow(t, p); !reflect.DeepEqual(after, before) {
		t.Fatalf("the flood changed the installation:\n%+v\n%+v", before, after)
	}
	s.recordsEdit(t, p, id, 1, "1234")
}

// A reinstall whose uninstall never reached Trail replaces the installation:
// its stored grant is dead, which only an uninstall does to it.
func TestReinstallAfterALostUninstall(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 46}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	s.setUp(t, id)
	p.SetFaults(b24test.Faults{LoseDeliveries: true})
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	p.SetFaults(b24test.Faults{})
	if st := s.InstallationOf(t, id).Status; st != db.StatusActive {
		t.Fatal("the lost uninstall reached Trail")
	}
	reinstalled, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	s.reinstalled(t, p, id, reinstalled)
	s.recordsEdit(t, p, id, 5, "5005")
}
