package b24test

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"
)

// A portal has a language; each user may choose another one and a time
// zone of their own. The user's language is what the portal tells the app
// frame (LANG) and its own pages speak; lifecycle events carry the
// language of the administrator who installs, updates or removes the app.

// Languages lists the languages the emulated portals speak.
var Languages = []string{"en", "ru", "de"}

// DefaultLanguage is a portal's language unless Options say otherwise.
const DefaultLanguage = "en"

func knownLanguage(lang string) bool { return slices.Contains(Languages, lang) }

// TimeZones are the zones the portal pages offer a user ("" is the
// portal's own); SetUserTimeZone takes any IANA zone.
var TimeZones = []string{"", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Almaty", "America/New_York"}

// atomicString is a string read while requests are served and changed by
// the portal pages or a test.
type atomicString struct{ v atomic.Value }

func (a *atomicString) Load() string {
	s, _ := a.v.Load().(string)
	return s
}

func (a *atomicString) Store(s string) { a.v.Store(s) }

// Language is the portal's language.
func (p *Portal) Language() string { return p.lang.Load() }

// SetLanguage changes the portal's language, which users who have not
// chosen their own follow.
func (p *Portal) SetLanguage(lang string) error {
	if !knownLanguage(lang) {
		return fmt.Errorf("b24test: unknown language %q (known: %v)", lang, Languages)
	}
	p.lang.Store(lang)
	return nil
}

// SetUserLanguage gives a user a language of their own; "" makes the user
// follow the portal's.
func (p *Portal) SetUserLanguage(userID int, lang string) error {
	u := p.user(userID)
	if u == nil {
		return fmt.Errorf("b24test: no user %d", userID)
	}
	if lang != "" && !knownLanguage(lang) {
		return fmt.Errorf("b24test: unknown language %q (known: %v)", lang, Languages)
	}
	u.lang.Store(lang)
	return nil
}

// SetUserTimeZone gives a user an IANA time zone, which user.current and
// user.get report as TIME_ZONE; "" is the portal's zone (reported empty,
// as Bitrix24 does).
func (p *Portal) SetUserTimeZone(userID int, zone string) error {
	u := p.user(userID)
	if u == nil {
		return fmt.Errorf("b24test: no user %d", userID)
	}
	if zone != "" {
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("b24test: unknown time zone %q", zone)
		}
	}
	u.timeZone.Store(zone)
	return nil
}

// languageOf is the language a user sees: their own, else the portal's.
func (p *Portal) languageOf(u *user) string {
	if l := u.lang.Load(); l != "" {
		return l
	}
	return p.Language()
}

// switchLanguage is the header form that sets the logged-in user's
// language and time zone.
func switchLanguage(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	lang, zone := r.FormValue("lang"), r.FormValue("zone")
	if lang != "" && !knownLanguage(lang) {
		http.Error(w, "unknown language", http.StatusBadRequest)
		return
	}
	if zone != "" && !slices.Contains(TimeZones, zone) {
		http.Error(w, "unknown time zone", http.StatusBadRequest)
		return
	}
	if r.Form.Has("lang") {
		_ = ui.portal.SetUserLanguage(ui.user.id, lang)
	}
	if r.Form.Has("zone") {
		_ = ui.portal.SetUserTimeZone(ui.user.id, zone)
	}
	http.Redirect(w, r, localPath(r.FormValue("back")), http.StatusSeeOther)
}

// chrome is the few words of the portal's own pages, per language.
var chrome = map[string]map[string]string{
	"ru": {
		"Logged in as": "Вы вошли как", "Language": "Язык", "Time zone": "Часовой пояс", "portal's": "как на портале",
		"Deals": "Сделки", "Leads": "Лиды", "Contacts": "Контакты", "Companies": "Компании",
		"Applications": "Приложения", "General": "Общие", "Application": "Приложение",
	},
	"de": {
		"Logged in as": "Angemeldet als", "Language": "Sprache", "Time zone": "Zeitzone", "portal's": "wie im Portal",
		"Deals": "Deals", "Leads": "Leads", "Contacts": "Kontakte", "Companies": "Unternehmen",
		"Applications": "Anwendungen", "General": "Allgemein", "Application": "Anwendung",
	},
}

// word is an English word of the portal chrome in lang.
func word(lang, en string) string {
	if w, ok := chrome[lang][en]; ok {
		return w
	}
	return en
}
