package browser

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
)

// An administrator opens the app from the portal's menu and gets Trail's
// settings; another employee gets a friendly refusal in the same frame.
func TestSettingsPageInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 8, Leads: 3, Contacts: 4, Companies: 2, Seed: 5})
	tab := newTab(t)

	frame := openFrame(t, tab, s.portalURL(0, "/marketplace/app/1/?user=1"))
	waitText(t, frame, "main h1", "Trail settings")
	rows := get(t, frame, "sync rows", chromedp.Evaluate[int](`document.querySelectorAll("main.settings table.sync tr").length`))
	if rows != 4 {
		t.Errorf("the settings page lists %d synced entities, want 4", rows)
	}
	waitFits(t, frame)
	screenshot(t, tab, "settings")

	// user 2 is an employee, not an administrator
	frame = openFrame(t, tab, s.portalURL(0, "/marketplace/app/1/?user=2"))
	waitText(t, frame, "main.problem", "Only portal administrators")
	if n := get(t, frame, "settings", chromedp.Evaluate[int](`document.querySelectorAll("main.settings, table.sync").length`)); n != 0 {
		t.Error("a non-administrator sees the settings")
	}
	screenshot(t, tab, "settings-refused")
}
