package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/jobs"
)

// crmEvent is ONCRMDEALUPDATE as an automation's change arrives: the
// application token is its only proof of origin.
func crmEvent(p *b24test.Portal, memberID, appToken string, id int) url.Values {
	return url.Values{
		"event":                   {"ONCRMDEALUPDATE"},
		"data[FIELDS][ID]":        {strconv.Itoa(id)},
		"ts":                      {"1766000000"},
		"auth[domain]":            {p.Domain()},
		"auth[client_endpoint]":   {p.ClientEndpoint()},
		"auth[member_id]":         {memberID},
		"auth[application_token]": {appToken},
	}
}

// TestIntakeRejects checks that what fails verification or parsing is
// answered with the right status and leaves nothing behind: no inbox row,
// no job, no change to any installation.
func TestIntakeRejects(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 5, Seed: 3}})
	a, b := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, p := range []*b24test.Portal{a, b} {
		if _, err := p.Install(); err != nil {
			t.Fatal(err)
		}
	}
	aID, bID := s.Installed(t, a), s.Installed(t, b)
	trace := func() (inbox, queued int, installs string) {
		inbox = s.InboxDepth(t, aID) + s.InboxDepth(t, bID)
		queued = len(trailtest.Jobs[jobs.DrainArgs](t, s.Stack)) + len(trailtest.Jobs[jobs.OfflineArgs](t, s.Stack)) + len(trailtest.Jobs[jobs.SetupArgs](t, s.Stack))
		for _, in := range s.Installations(t) {
			installs += fmt.Sprintf("%s %s %x %s,", in.MemberID, in.ClientEndpoint, in.ApplicationTokenHash, in.Status)
		}
		return
	}
	inbox0, jobs0, installs0 := trace()

	forged := b.ApplicationToken() // a real token, of the other portal
	bTokens, err := b.IssueTokens(b.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	form := func(mutate func(url.Values)) url.Values {
		f := crmEvent(a, a.MemberID(), a.ApplicationToken(), 1)
		mutate(f)
		return f
	}
	cases := []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"wrong application token", "/bitrix/events", form(func(f url.Values) { f.Set("auth[application_token]", "0123456789abcdef0123456789abcdef") }), 401},
		{"another portal's application token", "/bitrix/events", form(func(f url.Values) { f.Set("auth[application_token]", forged) }), 401},
		{"no application token", "/bitrix/events", form(func(f url.Values) { f.Del("auth[application_token]") }), 400},
		{"unknown member_id", "/bitrix/events", form(func(f url.Values) { f.Set("auth[member_id]", "ffffffffffffffffffffffffffffffff") }), 401},
		{"no event name", "/bitrix/events", form(func(f url.Values) { f.Del("event") }), 400},
		{"ts not a time", "/bitrix/events", form(func(f url.Values) { f.Set("ts", "yesterday") }), 400},
		{"record id not a number", "/bitrix/events", form(func(f url.Values) { f.Set("data[FIELDS][ID]", "1 OR 1=1") }), 400},
		{"no record id", "/bitrix/events", form(func(f url.Values) { f.Del("data[FIELDS][ID]") }), 400},
		{"install claiming a portal with another's refresh token", "/bitrix/install", url.Values{
			"event": {"ONAPPINSTALL"}, "auth[member_id]": {a.MemberID()}, "auth[domain]": {"evil.example"},
			"auth[client_endpoint]": {"http://evil.example/rest/"}, "auth[refresh_token]": {bTokens.RefreshToken},
			"auth[access_token]": {bTokens.AccessToken}, "auth[application_token]": {"0123456789abcdef0123456789abcdef"},
		}, 401},
		{"install of a new member with another's refresh token", "/bitrix/install", url.Values{
			"event": {"ONAPPINSTALL"}, "auth[member_id]": {"0000000000000000000000000000beef"}, "auth[domain]": {"evil.example"},
			"auth[client_endpoint]": {"http://evil.example/rest/"}, "auth[refresh_token]": {"not-a-token"},
			"auth[application_token]": {"0123456789abcdef0123456789abcdef"},
		}, 401},
		{"uninstall with a wrong token", "/bitrix/uninstall", url.Values{
			"event": {"ONAPPUNINSTALL"}, "data[CLEAN]": {"1"}, "auth[member_id]": {a.MemberID()}, "auth[application_token]": {forged},
		}, 401},
		{"uninstall sent to the events handler with a wrong token", "/bitrix/events", url.Values{
			"event": {"ONAPPUNINSTALL"}, "data[CLEAN]": {"1"}, "auth[member_id]": {b.MemberID()}, "auth[application_token]": {a.ApplicationToken()},
		}, 401},
	}
	for _, c := range cases {
		if got := s.post(t, c.path, c.form); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	inbox1, jobs1, installs1 := trace()
	if inbox1 != inbox0 || jobs1 != jobs0 {
		t.Errorf("rejected deliveries left %d inbox rows and %d jobs (before: %d, %d)", inbox1, jobs1, inbox0, jobs0)
	}
	if installs1 != installs0 {
		t.Errorf("rejected deliveries changed installations:\n%s\n%s", installs0, installs1)
	}
	if n := len(s.Installations(t)); n != 2 {
		t.Errorf("%d installations, want the 2 installed", n)
	}
}

// TestIntakeIgnoresNamedDomain sends a well-signed event that names
// another host as the portal: Trail accepts it, but fetches the record
// only from the client_endpoint it stored at install.
func TestIntakeIgnoresNamedDomain(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer evil.Close()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 4}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	// Changed in the portal, but announced only by the forged-looking event.
	p.SetFaults(b24test.Faults{})
	if err := p.UpdateRecord("deal", 3, p.AdminID(), map[string]any{"TITLE": "Seen via the stored endpoint"}); err != nil {
		t.Fatal(err)
	}
	f := crmEvent(p, p.MemberID(), p.ApplicationToken(), 3)
	f.Set("auth[domain]", evil.Listener.Addr().String())
	f.Set("auth[client_endpoint]", evil.URL+"/rest/")
	f.Set("auth[server_endpoint]", evil.URL+"/rest/")
	if got := s.post(t, "/bitrix/events", f); got != 200 {
		t.Fatalf("status %d, want 200", got)
	}
	trailtest.Eventually(t, "history of the change", func() bool {
		n := 0
		for _, r := range s.History(t, id, crm.Deal, 3) {
			if r.Field == "TITLE" && trailtest.Text(r.NewValue) == "Seen via the stored endpoint" {
				n++
			}
		}
		return n == 1
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("the host the event named got %d requests", n)
	}
	if endpoint := s.InstallationOf(t, id).ClientEndpoint; endpoint != p.ClientEndpoint() {
		t.Errorf("client_endpoint = %s, want %s", endpoint, p.ClientEndpoint())
	}
}
