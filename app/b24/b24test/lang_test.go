package b24test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A user's frame carries the user's language, in LANG of the query and of
// getInitData; a user without one gets the portal's.
func TestFrameLangIsTheUsersLanguage(t *testing.T) {
	s, p, tok := installed(t, Options{Deals: 3, Seed: 3, Language: "de"})
	bindTab(t, s, p, tok.AccessToken, "CRM_DEAL_DETAIL_TAB", "http://app.example/tab", "History")
	if err := p.SetUserLanguage(2, "ru"); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{"1": "de", "2": "ru"} {
		pg := uiGet(t, s, p, "/crm/deal/details/1/?tab=1&user="+user)
		wantStatus(t, pg, http.StatusOK)
		f := parseFrame(t, pg.body)
		u, err := url.Parse(f.action)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Query().Get("LANG"); got != want {
			t.Errorf("user %s: frame LANG = %q, want %q", user, got, want)
		}
		if got := f.data.Init["LANG"]; got != want {
			t.Errorf("user %s: getInitData LANG = %v, want %q", user, got, want)
		}
	}
}

// The lifecycle events and app.info carry the language: the administrator's
// for the events, the portal's for app.info.
func TestLifecycleEventsCarryTheLanguage(t *testing.T) {
	h := newHandler(t)
	app := testApp()
	app.InstallHandlerURL = h.URL
	s := NewTestServer(t, Options{App: app, Language: "ru"})
	p := s.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	b := waitN(t, p, 1)[0].Body
	if b.Get("event") != "ONAPPINSTALL" || b.Get("data[LANGUAGE_ID]") != "ru" {
		t.Errorf("ONAPPINSTALL = %v", b)
	}
	tok := mustTokens(t, p, p.AdminID())
	info := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "app.info", nil)).body["result"])
	if info["LANGUAGE_ID"] != "ru" {
		t.Errorf("app.info LANGUAGE_ID = %v", info["LANGUAGE_ID"])
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONAPPUPDATE", "handler": h.URL}))
	if err := p.SetUserLanguage(p.AdminID(), "de"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Update(); err != nil {
		t.Fatal(err)
	}
	if b := waitN(t, p, 2)[1].Body; b.Get("event") != "ONAPPUPDATE" || b.Get("data[LANGUAGE_ID]") != "de" {
		t.Errorf("ONAPPUPDATE = %v", b)
	}
}

// Unknown languages and zones are refused, at start and when switched.
func TestUnknownLanguageRefused(t *testing.T) {
	if _, err := NewServer(Options{Language: "xx"}); err == nil {
		t.Error("a server with language xx started")
	}
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	if p.Language() != "en" {
		t.Errorf("default language = %q", p.Language())
	}
	if p.SetLanguage("xx") == nil || p.SetUserLanguage(2, "xx") == nil || p.SetUserTimeZone(2, "Mars/Olympus") == nil || p.SetUserLanguage(99, "ru") == nil {
		t.Error("an unknown language, zone or user was accepted")
	}
	for _, form := range []url.Values{{"lang": {"xx"}}, {"zone": {"Mars/Olympus"}}} {
		wantStatus(t, uiPost(t, s, p, "/_portal/lang?user=2", form), http.StatusBadRequest)
	}
	if got := p.user(2).lang.Load(); got != "" {
		t.Errorf("user 2's language after refused switches = %q", got)
	}
}

// The header form switches the user's language and zone: the portal's
// chrome speaks it, and user.current reports the zone.
func TestLanguageSwitchInThePortalHeader(t *testing.T) {
	s, p, _ := installed(t, Options{})
	pg := uiGet(t, s, p, "/crm/deal/list/?user=2")
	if !strings.Contains(pg.body, `id="lang-switch"`) || !strings.Contains(pg.body, ">Deals<") {
		t.Fatalf("list page chrome: %.1500s", pg.body)
	}
	a := uiPost(t, s, p, "/_portal/lang?user=2", url.Values{"lang": {"ru"}, "zone": {"Asia/Almaty"}, "back": {"/crm/deal/list/"}})
	wantStatus(t, a, http.StatusSeeOther)
	pg = uiGet(t, s, p, "/crm/deal/list/?user=2")
	if !strings.Contains(pg.body, ">Сделки<") || !strings.Contains(pg.body, `<html lang="ru">`) {
		t.Errorf("the page after switching to ru: %.1500s", pg.body)
	}
	if admin := uiGet(t, s, p, "/crm/deal/list/?user=1"); !strings.Contains(admin.body, ">Deals<") {
		t.Error("the switch changed another user's language")
	}
	tok := mustTokens(t, p, 2)
	me := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "user.current", nil)).body["result"])
	if me["TIME_ZONE"] != "Asia/Almaty" {
		t.Errorf("user.current TIME_ZONE = %v", me["TIME_ZONE"])
	}
	if _, ok := me["LANGUAGE_ID"]; ok {
		t.Errorf("user.current has an undocumented LANGUAGE_ID: %v", me)
	}
	// Back to the portal's language.
	wantStatus(t, uiPost(t, s, p, "/_portal/lang?user=2", url.Values{"lang": {""}}), http.StatusSeeOther)
	if pg := uiGet(t, s, p, "/crm/deal/list/?user=2"); !strings.Contains(pg.body, ">Deals<") {
		t.Error("the user still sees Russian after choosing the portal's language")
	}
}

// A detail tab bound with LANG_ALL shows each user the title in their
// language, and TITLE to the others.
func TestTabTitleFollowsLangAll(t *testing.T) {
	s, p, tok := installed(t, Options{Deals: 2, Seed: 3})
	mustOK(t, appCall(t, s, p, tok.AccessToken, "placement.bind", map[string]any{
		"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "http://app.example/tab", "TITLE": "History",
		"LANG_ALL": map[string]any{"en": map[string]any{"TITLE": "History"}, "ru": map[string]any{"TITLE": "История"}},
	}))
	if err := p.SetUserLanguage(2, "ru"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetUserLanguage(3, "de"); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{"1": ">History<", "2": ">История<", "3": ">History<"} {
		if pg := uiGet(t, s, p, "/crm/deal/details/1/?user="+user); !strings.Contains(pg.body, want) {
			t.Errorf("user %s: the card's tabs lack %s: %.1500s", user, want, pg.body)
		}
	}
}

// Options.TimeZone puts every portal in one named zone: record times carry
// its offset.
func TestPortalTimeZoneOption(t *testing.T) {
	if _, err := NewServer(Options{TimeZone: "Mars/Olympus"}); err == nil {
		t.Error("a server with zone Mars/Olympus started")
	}
	s := NewTestServer(t, Options{Portals: 2, Deals: 1, TimeZone: "Asia/Tokyo"})
	for _, p := range s.Portals() {
		rec, ok := p.Record("deal", 1)
		if !ok {
			t.Fatal("no deal 1")
		}
		if d, _ := rec["DATE_CREATE"].(string); !strings.HasSuffix(d, "+09:00") {
			t.Errorf("%s: DATE_CREATE = %q, want Tokyo's offset", p.Domain(), d)
		}
	}
}
