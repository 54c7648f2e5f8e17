package admin

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/bindings"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

func TestCheckBindings(t *testing.T) {
	const base = "https://trail.example"
	have := []b24.EventHandler{
		{Event: "ONAPPUNINSTALL", Handler: base + "/bitrix/uninstall"},
		{Event: "ONAPPUPDATE", Handler: base + "/bitrix/events"},
		{Event: "ONOFFLINEEVENT", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALADD", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALADD", Offline: true},
		{Event: "ONCRMDEALUPDATE", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALUPDATE", Offline: true},
		{Event: "ONCRMDEALDELETE", Handler: "https://elsewhere.example/bitrix/events"}, // not Trail's
		{Event: "ONCRMDEALDELETE", Offline: true},
		{Event: "ONCRMLEADADD", Offline: true}, // leads are not tracked
	}
	for _, e := range bindings.TypeEvents {
		have = append(have, b24.EventHandler{Event: e, Handler: base + "/bitrix/events"})
	}
	app := len(bindings.TypeEvents)
	wanted, bound, missing := checkBindings(base, []crm.Type{crm.Deal}, have)
	// Deals also want ONCRMDEALMOVETOCATEGORY, online and offline: a move
	// to another pipeline fires no update.
	if want := []string{"ONCRMDEALDELETE", "ONCRMDEALMOVETOCATEGORY", "ONCRMDEALMOVETOCATEGORY (offline)"}; wanted != app+11 || bound != app+8 || !slices.Equal(missing, want) {
		t.Errorf("checkBindings = %d wanted, %d bound, missing %v", wanted, bound, missing)
	}
	_, _, missing = checkBindings(base, []crm.Type{crm.Deal, crm.Lead}, have)
	if len(missing) != 8 || !slices.Contains(missing, "ONCRMLEADUPDATE (offline)") {
		t.Errorf("with leads tracked, missing %v", missing)
	}
}

func TestHealthFromTheDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	if _, err := f.DB.Bun.ExecContext(ctx, "UPDATE installations SET last_event_at = ? WHERE id = ?", at, f.in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Bun.ExecContext(ctx, "INSERT INTO sync_state (portal_id, entity, state, reconciled_at) VALUES (?, 2, 'done', ?), (?, 1, 'done', ?)",
		f.in.ID, at.Add(-time.Hour), f.in.ID, at); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Bun.ExecContext(ctx, `INSERT INTO api_calls (portal_id, at, method, duration_ms, waited_ms, error_code)
		VALUES (?, now(), 'crm.deal.get', 10, 0, ''), (?, now(), 'batch', 10, 200, 'QUERY_LIMIT_EXCEEDED'), (?, now(), 'batch', 10, 0, '')`,
		f.in.ID, f.in.ID, f.in.ID+1); err != nil {
		t.Fatal(err)
	}
	h, err := f.svc.Health(ctx, f.in)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Active || h.TokenExpires == "" || h.TokenExpired {
		t.Errorf("health %+v: want active with a live token", h)
	}
	if h.LastEvent != "04.03.2026 05:06 UTC" || h.Reconciled != "04.03.2026 05:06 UTC" {
		t.Errorf("last event %q, reconciled %q; want both 04.03.2026 05:06 UTC (the latest)", h.LastEvent, h.Reconciled)
	}
	if h.Calls != 2 || h.LimitErrors != 1 {
		t.Errorf("calls %d, limit errors %d; want this portal's 2 and 1", h.Calls, h.LimitErrors)
	}
}

func TestPortalHealthCountsTheBindingsSetupMakes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ph, err := f.svc.PortalHealth(ctx, f.in)
	if err != nil {
		t.Fatal(err)
	}
	tracked := len(f.settings(t).Entities)
	if ph.Failed || ph.Wanted != 3+len(bindings.TypeEvents)+6*tracked+2 || ph.Bound != 0 || len(ph.Missing) != ph.Wanted || !ph.OfflineKnown {
		t.Fatalf("before setup: %+v", ph)
	}
	c, err := f.svc.Portals.For(f.in)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range bindings.WantedEvents(baseURL, f.settings(t).Tracked()) {
		if err := c.BindEvent(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if ph, err = f.svc.PortalHealth(ctx, f.in); err != nil {
		t.Fatal(err)
	}
	if ph.Failed || ph.Bound != ph.Wanted || len(ph.Missing) != 0 {
		t.Errorf("after binding all: %+v", ph)
	}
}

func TestPortalHealthWithoutAccessAsksNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := *f.in
	in.Status = db.StatusReauth
	before := f.Portal(0).Stats().Requests
	ph, err := f.svc.PortalHealth(context.Background(), &in)
	if err != nil || !ph.Failed {
		t.Fatalf("PortalHealth = %+v, %v; want failed", ph, err)
	}
	if n := f.Portal(0).Stats().Requests; n != before {
		t.Errorf("%d portal calls without access", n-before)
	}
}
