package browser

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A Russian-speaking user opens a deal's History tab and reads Trail in
// Russian; a German-speaking one gets English, Trail's fallback, and the
// portal's own words around the frame and the tab's title (LANG_ALL) follow
// each user's language.
func TestHistoryTabSpeaksTheUsersLanguage(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 5, Contacts: 2, Seed: 11})
	p := s.Emu.Portals()[0]
	if err := p.SetUserLanguage(2, "ru"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetUserLanguage(3, "de"); err != nil {
		t.Fatal(err)
	}
	if err := p.UpdateRecord("deal", 2, 1, map[string]any{"TITLE": "Fleet renewal 2027"}); err != nil {
		t.Fatal(err)
	}
	id := s.PortalID(t, p)
	trailtest.Eventually(t, "history of the edit", func() bool { return trailtest.ByAuthor(s.History(t, id, crm.Deal, 2), 1) == 1 })

	for _, c := range []struct {
		user, lang, apply, general, history string
	}{
		{"2", "ru", "Применить", "Общие", "История"},
		{"3", "en", "Apply", "Allgemein", "History"},
	} {
		tab := newTab(t)
		frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user="+c.user))
		waitText(t, frame, "#timeline", "Fleet renewal 2027")
		if lang := get(t, frame, "page language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != c.lang {
			t.Errorf("user %s: Trail's page is in %q, want %q", c.user, lang, c.lang)
		}
		waitText(t, frame, "main", c.apply)
		if txt := frameText(t, tab, ".tabs"); !contains(txt, c.general) || !contains(txt, c.history) {
			t.Errorf("user %s: the card's tabs read %q, want %q and %q", c.user, txt, c.general, c.history)
		}
		screenshot(t, tab, frame, "tab-"+c.lang+"-user"+c.user)
	}
}
