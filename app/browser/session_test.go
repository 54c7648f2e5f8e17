package browser

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// When Trail's session is gone (expired, or the server forgot it), the next
// request of the tab renews it through the portal: the SDK's refreshAuth
// gets a fresh Bitrix24 token from the parent window, POST /bitrix/session
// turns it into a new session, and the request is repeated.
func TestExpiredSessionRenews(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 6, Leads: 2, Contacts: 2, Companies: 2, Seed: 9})
	p := s.Emu.Portals()[0]
	if err := p.UpdateRecord("deal", 4, 2, map[string]any{"TITLE": "Renewed session shows this"}); err != nil {
		t.Fatal(err)
	}
	id := s.PortalID(t, p)
	trailtest.Eventually(t, "history", func() bool { return len(s.History(t, id, crm.Deal, 4)) == 1 })
	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/4/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "Renewed session shows this")
	const tokenJS = `localStorage.getItem("trail:session:" + document.body.dataset.member) || ""`
	before := get(t, frame, "token", chromedp.Evaluate[string](tokenJS))
	if before == "" {
		t.Fatal("the page keeps no session token")
	}

	s.ForgetSessions(t)
	// Empty the list, then ask for it again with the filter form.
	do(t, frame, "empty the list", chromedp.Evaluate[chromedp.Void](`document.getElementById("timeline").innerHTML = ""`))
	click(t, frame, "form.filters button[type=submit]")
	waitText(t, frame, "#timeline", "Renewed session shows this")
	after := get(t, frame, "token", chromedp.Evaluate[string](tokenJS))
	if after == "" || after == before {
		t.Errorf("the session token did not change (%q → %q)", before, after)
	}
	if n := s.Sessions(t); n != 1 {
		t.Errorf("%d sessions after the renewal, want 1", n)
	}
	if refreshed := get(t, tab, "frame log", chromedp.Evaluate[string](`document.querySelector(".frame-log ol").textContent`)); !contains(refreshed, "refreshAuth") {
		t.Errorf("the portal saw no refreshAuth from the frame; its log: %q", refreshed)
	}
}
