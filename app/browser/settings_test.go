package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// An administrator opens Trail's page in the portal: the sections load,
// the portal's part of the health check arrives, a resync runs to its end,
// a tab is turned off, a bad value is explained in place, and lost access
// is restored with one click.
func TestSettingsInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 20, Leads: 3, Contacts: 5, Companies: 3, Quotes: 2, SmartInvoices: 2, Seed: 11})
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
		return !!bar && !bar.dataset.before && !bar.hasAttribute("hx-trigger") && bar.querySelectorAll(".sync-row.done").length === 6;
	})()`)
	id := s.PortalID(t, p)
	if n := s.Copied(t, id, time.Time{}); n != 6 {
		t.Errorf("%d types done with done == total after the resync, want 6", n)
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

// An administrator opens the app from the portal's menu, changes what Trail
// keeps and which tabs it shows, and copies the CRM again watching the
// progress bars fill; another employee gets a friendly refusal in the same
// frame.
func TestSettingsPageInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 120, Leads: 3, Contacts: 4, Companies: 2, Quotes: 2, SmartInvoices: 2, Seed: 5})
	p := s.Emu.Portals()[0]
	tab := newTab(t)

	frame := openFrame(t, tab, s.portalURL(0, "/marketplace/app/1/?user=1"))
	waitText(t, frame, "main h1", "Trail settings")
	waitJS(t, frame, "six finished baselines", `document.querySelectorAll("#sync-progress .sync-row.done").length === 6`)
	waitFits(t, frame)
	screenshot(t, tab, frame, "settings")

	// Resync: the bars start again and fill up to 100%. It comes before
	// the settings change below, and after the sync jobs of the install
	// have finished: a resync clicked while a sync job of the same type is
	// queued or running is dropped as a duplicate of it (sync jobs are
	// unique per portal and type) and its bars stay "waiting" — a known
	// bug, not what this test is about.
	trailtest.Eventually(t, "no sync job queued or running", func() bool {
		return len(trailtest.Jobs[jobs.SyncArgs](t, s.Stack, trailtest.Unfinished...)) == 0
	})
	id := s.PortalID(t, p)
	started := s.LatestSyncStart(t, id)
	// Every version of the deal bar the page shows is noted, however fast
	// the copy goes.
	do(t, frame, "watch the deal bar", chromedp.Evaluate[chromedp.Void](`(function(){
		window.dealBar = [];
		new MutationObserver(function(){
			var bar = document.querySelector("#sync-progress .sync-row[data-entity=deal] progress");
			if (bar) window.dealBar.push(Number(bar.value));
		}).observe(document.body, {childList: true, subtree: true, attributes: true});
	})()`))
	click(t, frame, `form[hx-post="/settings/resync"] button`)
	defer func() {
		if t.Failed() {
			for _, j := range trailtest.Jobs[jobs.SyncArgs](t, s.Stack) {
				t.Logf("job %d %s %s attempt %d at %s %v", j.ID, j.State, j.EncodedArgs, j.Attempt, j.ScheduledAt.Format(time.RFC3339Nano), j.Errors)
			}
		}
	}()
	waitJS(t, frame, "the deal bar starting again", `window.dealBar.some(function(v){ return v < 100; })`)
	waitJS(t, frame, "every bar at 100%", `(function(){
		if (document.querySelectorAll("#sync-progress .sync-row progress").length !== 6) return false;
		var bars = document.querySelectorAll("#sync-progress progress"); // with the extras steps
		for (var i = 0; i < bars.length; i++) if (Number(bars[i].value) !== 100) return false;
		return !document.getElementById("sync-progress").hasAttribute("hx-get");
	})()`)
	if n := s.Copied(t, id, started); n != 6 {
		t.Errorf("%d types copied again, want 6", n)
	}
	t.Logf("the deal bar went %v", get(t, frame, "deal bar values", chromedp.Evaluate[[]int](`window.dealBar`)))
	waitFits(t, frame)
	screenshot(t, tab, frame, "settings-after-resync")

	// Keep a year of history, and no History tab on leads.
	do(t, frame, "keep a year", chromedp.SetValue(chromedp.CSS(`form.tracking input[name=retention_days]`), "365"))
	click(t, frame, `form.tracking input[name=tab][value=lead]`)
	click(t, frame, `form.tracking button[type=submit]`)
	waitText(t, frame, "form.tracking .form-status", "Saved")
	if st := s.Settings(t, id); st.RetentionDays != 365 || st.HasTab(crm.Lead) || !st.HasTab(crm.Deal) {
		t.Error("the settings were not stored")
	}
	trailtest.Eventually(t, "the lead tab unbound in the portal", func() bool {
		for _, pl := range p.Placements() {
			if pl.Code == "CRM_LEAD_DETAIL_TAB" {
				return false
			}
		}
		return true
	})

	// user 2 is an employee, not an administrator: the app opens on the
	// deleted records they may read, without the settings.
	frame = openFrame(t, tab, s.portalURL(0, "/marketplace/app/1/?user=2"))
	waitText(t, frame, "main.deleted-page h1", "Deleted records")
	if n := get(t, frame, "settings", chromedp.Evaluate[int](`document.querySelectorAll("form.tracking, #sync-progress").length`)); n != 0 {
		t.Error("a non-administrator sees the settings")
	}
	screenshot(t, tab, frame, "settings-refused")
}
