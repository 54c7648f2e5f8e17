package server_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

func TestInstallSyncEditUninstall(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 120, Leads: 20, Contacts: 30, Companies: 10, Seed: 7}})
	p, other := s.Emu.Portals()[0], s.Emu.Portals()[1]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Install(); err != nil {
		t.Fatal(err)
	}
	// Setup binds events and tabs, then the baseline copies every record.
	portalID := s.Installed(t, p)
	for entity, want := range map[crm.Type]int{crm.Deal: 120, crm.Lead: 20, crm.Contact: 30, crm.Company: 10} {
		if got := s.Snapshots(t, portalID, entity); got != want {
			t.Errorf("%s snapshots = %d, want %d", entity, got, want)
		}
	}
	if n := len(s.HistoryOf(t, portalID)); n != 0 {
		t.Errorf("the baseline wrote %d history rows, want none", n)
	}
	tabs := map[string]bool{}
	for _, pl := range p.Placements() {
		tabs[pl.Code] = strings.HasSuffix(pl.Handler, "/bitrix/tab")
	}
	for _, code := range []string{"CRM_DEAL_DETAIL_TAB", "CRM_LEAD_DETAIL_TAB", "CRM_CONTACT_DETAIL_TAB", "CRM_COMPANY_DETAIL_TAB"} {
		if !tabs[code] {
			t.Errorf("placement %s not bound to /bitrix/tab (have %v)", code, tabs)
		}
	}

	// A person edits a deal in the portal: exactly the changed fields become history.
	const dealID, editor = 5, 2
	before, _ := p.Record("deal", dealID)
	if err := p.UpdateRecord("deal", dealID, editor, map[string]any{"TITLE": "Renewal 2027", "OPPORTUNITY": "4321.50"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "history of the edit", func() bool { return len(s.History(t, portalID, crm.Deal, dealID)) >= 2 })
	type hrow struct {
		field, action, source string
		author                int64
		old, new              map[string]any
		change                int64
	}
	var got []hrow
	for _, h := range s.History(t, portalID, crm.Deal, dealID) {
		r := hrow{field: h.Field, action: h.Action, source: h.Source, change: h.ChangeID}
		if h.AuthorID != nil {
			r.author = *h.AuthorID
		}
		_ = json.Unmarshal(h.OldValue, &r.old)
		_ = json.Unmarshal(h.NewValue, &r.new)
		got = append(got, r)
	}
	slices.SortFunc(got, func(a, b hrow) int { return strings.Compare(a.field, b.field) })
	if len(got) != 2 || got[0].field != "OPPORTUNITY" || got[1].field != "TITLE" {
		t.Fatalf("history rows = %+v, want OPPORTUNITY and TITLE", got)
	}
	if got[1].old["text"] != before["TITLE"] || got[1].new["text"] != "Renewal 2027" {
		t.Errorf("TITLE change = %v -> %v, want %v -> Renewal 2027", got[1].old, got[1].new, before["TITLE"])
	}
	if got[0].new["text"] != "4321.5" {
		t.Errorf("OPPORTUNITY new value = %v, want 4321.5", got[0].new)
	}
	for _, r := range got {
		if r.action != "updated" || r.source != "person" || r.author != editor || r.change != got[0].change {
			t.Errorf("row %s: action %s source %s author %d change %d", r.field, r.action, r.source, r.author, r.change)
		}
	}
	// The offline queue and reconciliation deliver the same change again;
	// those rows drain without adding history.
	trailtest.Eventually(t, "inbox empty", func() bool { return s.InboxDepth(t, portalID) == 0 })
	if n := len(s.History(t, portalID, crm.Deal, dealID)); n != 2 {
		t.Errorf("the edit has %d history rows after every delivery drained, want 2", n)
	}

	// An automation rule changes a deal: recorded with that source.
	if err := p.UpdateRecord("deal", 6, b24test.Automation, map[string]any{"TITLE": "Moved by a robot"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "automation change", func() bool {
		rows := s.History(t, portalID, crm.Deal, 6)
		return len(rows) == 1 && rows[0].Source == "automation"
	})

	// A deletion keeps the last known values.
	if err := p.DeleteRecord("deal", 7, editor); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "deletion entry", func() bool {
		n := 0
		for _, r := range s.History(t, portalID, crm.Deal, 7) {
			if r.Action == "deleted" && r.Field == "TITLE" && len(r.OldValue) > 0 && string(r.OldValue) != "null" {
				n++
			}
		}
		return n == 1
	})

	// Every call was logged for the portal.
	trailtest.Eventually(t, "api call log", func() bool {
		return s.APICalls(t, portalID, "batch") > 0
	})

	// Uninstall with "delete data": this portal's rows go, the other's stay.
	otherID := s.Installed(t, other) // every baseline done: its snapshots stop growing
	otherSnaps := s.Snapshots(t, otherID)
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "purge", func() bool {
		return s.InstallationOf(t, portalID).Status == db.StatusPurged
	})
	for _, table := range db.TenantTables() {
		if n := s.Count(t, "SELECT count(*) FROM "+table+" WHERE portal_id = $1", portalID); n != 0 {
			t.Errorf("%s keeps %d rows of the purged portal", table, n)
		}
	}
	if n := s.Snapshots(t, otherID); n != otherSnaps || n == 0 {
		t.Errorf("the other portal's snapshots went from %d to %d", otherSnaps, n)
	}
	if in := s.InstallationOf(t, portalID); in.AccessToken != nil || in.RefreshToken != nil {
		t.Error("tokens must be destroyed at uninstall")
	}
}
