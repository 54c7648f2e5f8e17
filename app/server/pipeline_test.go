package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
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
	var portalID int64
	trailtest.Eventually(t, "installation stored", func() bool {
		return s.DB.Pool.QueryRow(context.Background(), "SELECT id FROM installations WHERE member_id = $1 AND status = 'active'", p.MemberID()).Scan(&portalID) == nil
	})

	// Setup binds events and tabs, then the baseline copies every record.
	trailtest.Eventually(t, "baseline sync", func() bool {
		return s.Count(t, "SELECT count(*) FROM sync_state WHERE portal_id = $1 AND state = 'done'", portalID) == 4
	})
	for entity, want := range map[string]int{"deal": 120, "lead": 20, "contact": 30, "company": 10} {
		if got := s.Count(t, "SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = $2", portalID, entity); got != want {
			t.Errorf("%s snapshots = %d, want %d", entity, got, want)
		}
	}
	if n := s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1", portalID); n != 0 {
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
	trailtest.Eventually(t, "history of the edit", func() bool {
		return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity = 'deal' AND entity_id = $2", portalID, dealID) >= 2
	})
	rows, err := s.DB.Pool.Query(context.Background(), `SELECT field, action, source, author_id, old_value, new_value, change_id
		FROM history WHERE portal_id = $1 AND entity = 'deal' AND entity_id = $2 ORDER BY field`, portalID, dealID)
	if err != nil {
		t.Fatal(err)
	}
	type hrow struct {
		field, action, source string
		author                int64
		old, new              map[string]any
		change                int64
	}
	var got []hrow
	for rows.Next() {
		var r hrow
		var oldJ, newJ []byte
		if err := rows.Scan(&r.field, &r.action, &r.source, &r.author, &oldJ, &newJ, &r.change); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(oldJ, &r.old)
		_ = json.Unmarshal(newJ, &r.new)
		got = append(got, r)
	}
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
	trailtest.Eventually(t, "inbox empty", func() bool {
		return s.Count(t, "SELECT count(*) FROM inbox WHERE portal_id = $1", portalID) == 0
	})
	if n := s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = $2", portalID, dealID); n != 2 {
		t.Errorf("the edit has %d history rows after every delivery drained, want 2", n)
	}

	// An automation rule changes a deal: recorded with that source.
	if err := p.UpdateRecord("deal", 6, b24test.Automation, map[string]any{"TITLE": "Moved by a robot"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "automation change", func() bool {
		return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 6 AND source = 'automation'", portalID) == 1
	})

	// A deletion keeps the last known values.
	if err := p.DeleteRecord("deal", 7, editor); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "deletion entry", func() bool {
		return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 7 AND action = 'deleted' AND field = 'TITLE' AND old_value IS NOT NULL", portalID) == 1
	})

	// Every call was logged for the portal.
	trailtest.Eventually(t, "api call log", func() bool {
		return s.Count(t, "SELECT count(*) FROM api_calls WHERE portal_id = $1 AND method = 'batch'", portalID) > 0
	})

	// Uninstall with "delete data": this portal's rows go, the other's stay.
	otherID := s.Installed(t, other) // every baseline done: its snapshots stop growing
	otherSnaps := s.Count(t, "SELECT count(*) FROM snapshots WHERE portal_id = $1", otherID)
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "purge", func() bool {
		return s.Count(t, "SELECT count(*) FROM installations WHERE id = $1 AND status = 'purged'", portalID) == 1
	})
	for _, table := range db.TenantTables() {
		if n := s.Count(t, "SELECT count(*) FROM "+table+" WHERE portal_id = $1", portalID); n != 0 {
			t.Errorf("%s keeps %d rows of the purged portal", table, n)
		}
	}
	if n := s.Count(t, "SELECT count(*) FROM snapshots WHERE portal_id = $1", otherID); n != otherSnaps || n == 0 {
		t.Errorf("the other portal's snapshots went from %d to %d", otherSnaps, n)
	}
	if n := s.Count(t, "SELECT count(*) FROM installations WHERE id = $1 AND access_token IS NULL AND refresh_token IS NULL", portalID); n != 1 {
		t.Error("tokens must be destroyed at uninstall")
	}
}
