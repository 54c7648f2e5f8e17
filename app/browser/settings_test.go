package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/db"
)

// An administrator opens Trail's page in the portal: the sections load,
// the portal's part of the health check arrives, a resync runs to its end,
// a tab is turned off, a bad value is explained in place, and lost access
// is restored with one click.
func TestSettingsInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 20, Leads: 3, Contacts: 5, Companies: 3, Seed: 11})
	p := s.Emu.Portals()[0]
	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/marketplace/app/1/?user=1"))

	waitText(t, frame, ".health", "bound")
	waitText(t, frame, ".health", "events waiting")
	if txt := frameText(t, frame, "#sync-progress"); !contains(txt, "20 / 20") {
		t.Errorf("progress shows %q, want the deals' 20 / 20", txt)
	}
	waitFits(t, frame)
	screenshot(t, tab, frame, "settings-page")

	// Resync: the bar polls until every type is copied again.
	// The bar before the click is marked, to tell the answer's bars from it.
	do(t, frame, "resync",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#sync-progress").dataset.before = "1"`),
		chromedp.Click(chromedp.CSS(`#resync button[type=submit]`)))
	waitJS(t, frame, "resync over", `(function(){
		var bar = document.querySelector("#sync-progress");
		return !!bar && !bar.dataset.before && !bar.hasAttribute("hx-trigger") && bar.querySelectorAll(".sync-row.done").length === 4;
	})()`)
	id := s.PortalID(t, p)
	if n := s.Copied(t, id, time.Time{}); n != 4 {
		t.Errorf("%d types done with done == total after the resync, want 4", n)
	}

	// Turn the contacts' tab off.
	do(t, frame, "turn a tab off",
		chromedp.Click(chromedp.CSS(`form.tracking input[name=tab][value=contact]`)),
		chromedp.Click(chromedp.CSS(`form.tracking button[type=submit]`)))
	waitText(t, frame, "form.tracking .form-status", "Saved")
	for _, pl := range p.Placements() {
		if pl.Code == "CRM_CONTACT_DETAIL_TAB" {
			t.Error("the contacts' tab is still bound")
		}
	}

	// A value the server refuses is explained under the form (the browser's
	// own range check is lifted, as a hand-made request would skip it).
	do(t, frame, "save a bad retention",
		chromedp.Evaluate[chromedp.Void](`(function(){ var i = document.querySelector("form.tracking input[name=retention_days]"); i.removeAttribute("min"); i.value = "0"; })()`),
		chromedp.Click(chromedp.CSS(`form.tracking button[type=submit]`)))
	waitText(t, frame, "form.tracking .form-status", "between 1 and 36500")

	// Trail loses access; the banner's button restores it without a reload.
	s.LoseAccess(t, id)
	frame = openFrame(t, tab, s.portalURL(0, "/marketplace/app/1/?user=1"))
	waitText(t, frame, "#reauth", "lost access")
	screenshot(t, tab, frame, "settings-reauth")
	do(t, frame, "restore access", chromedp.Click(chromedp.CSS(`#reauth button`)))
	waitText(t, frame, "#reauth", "Access restored")
	waitText(t, frame, "#health .pill", "Active")
	if st := s.Installation(t, p).Status; st != db.StatusActive {
		t.Error("the installation is not active after restoring access")
	}
}
