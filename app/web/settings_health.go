package web

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// pressureWindow is the period the rate-limit figures cover.
const pressureWindow = time.Hour

// portalHealthTimeout bounds the portal calls of the health fragment: it
// is informative, and a slow portal must not hold the page.
const portalHealthTimeout = 5 * time.Second

// health is what the database knows about the installation.
func (h *handlers) health(ctx context.Context, in *db.Installation) (views.Health, error) {
	hv := views.Health{Active: in.Status == db.StatusActive, TokenExpires: formatTime(in.ExpiresAt)}
	if in.ExpiresAt != nil {
		hv.TokenExpired = in.ExpiresAt.Before(time.Now())
	}
	last, err := db.LastEventAt(ctx, h.DB.Bun, in.ID)
	if err != nil {
		return hv, err
	}
	hv.LastEvent = formatTime(last)
	states, err := db.SyncStates(ctx, h.DB.Bun, in.ID)
	if err != nil {
		return hv, err
	}
	var reconciled *time.Time
	for _, s := range states {
		if s.ReconciledAt != nil && (reconciled == nil || s.ReconciledAt.After(*reconciled)) {
			reconciled = s.ReconciledAt
		}
	}
	hv.Reconciled = formatTime(reconciled)
	p, err := db.RatePressureSince(ctx, h.DB.Bun, in.ID, time.Now().Add(-pressureWindow))
	if err != nil {
		return hv, err
	}
	hv.Calls, hv.WaitedShare, hv.AvgWaitMS, hv.LimitErrors = p.Calls, p.WaitedShare, p.AvgWaitMS, p.LimitErrors
	return hv, nil
}

// healthSection is the health section alone, for a reload after access
// was restored.
func (h *handlers) healthSection(c *fiber.Ctx) error {
	in, err := db.InstallationByID(c.UserContext(), h.DB.Bun, viewerOf(c).PortalID)
	if err != nil {
		return err
	}
	hv, err := h.health(c.UserContext(), in)
	if err != nil {
		return err
	}
	return views.Render(c, views.HealthSection(hv))
}

// portalHealth asks the portal for Trail's event bindings and the size of
// its offline queue; loaded after the page so a slow portal delays nothing.
func (h *handlers) portalHealth(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewerOf(c)
	in, err := db.InstallationByID(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	set, err := db.LoadSettings(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	ph := views.PortalHealth{Failed: true}
	if in.Status != db.StatusActive {
		return views.Render(c, views.PortalHealthPart(ph))
	}
	client, err := h.Clients.For(in)
	if err != nil {
		return views.Render(c, views.PortalHealthPart(ph))
	}
	ctx, cancel := context.WithTimeout(ctx, portalHealthTimeout)
	defer cancel()
	if have, err := client.EventHandlers(ctx); err == nil {
		ph.Failed = false
		ph.Wanted, ph.Bound, ph.Missing = checkBindings(h.BaseURL, set.Entities, have)
	}
	if n, err := offlineQueueSize(ctx, client); err == nil {
		ph.OfflineQueue, ph.OfflineKnown = n, true
	}
	return views.Render(c, views.PortalHealthPart(ph))
}

// checkBindings compares the portal's bindings with those setup makes for
// the tracked types: online to Trail's handler and offline, per event.
func checkBindings(baseURL string, entities []string, have []b24.EventHandler) (wanted, bound int, missing []string) {
	type binding struct {
		event   string
		offline bool
	}
	want := []binding{{"ONAPPUNINSTALL", false}, {"ONAPPUPDATE", false}, {"ONOFFLINEEVENT", false}}
	for _, e := range entities {
		u := strings.ToUpper(e)
		for _, what := range []string{"ADD", "UPDATE", "DELETE"} {
			name := "ONCRM" + u + what
			want = append(want, binding{name, false}, binding{name, true})
		}
	}
	for _, w := range want {
		found := false
		for _, hb := range have {
			if strings.EqualFold(hb.Event, w.event) && hb.Offline == w.offline &&
				(w.offline || strings.HasPrefix(hb.Handler, baseURL+"/bitrix/")) {
				found = true
				break
			}
		}
		if found {
			bound++
		} else if w.offline {
			missing = append(missing, w.event+" (offline)")
		} else {
			missing = append(missing, w.event)
		}
	}
	return len(want), bound, missing
}

// offlineQueueSize counts the events waiting in the portal's offline queue
// (event.offline.list, one page: its total counts them all).
func offlineQueueSize(ctx context.Context, c *b24.Client) (int, error) {
	resp, err := c.Call(ctx, "event.offline.list", nil, b24.Idempotent(true))
	if err != nil {
		return 0, err
	}
	if resp.Total > 0 {
		return resp.Total, nil
	}
	var rows []json.RawMessage
	_ = json.Unmarshal(resp.Result, &rows)
	return len(rows), nil
}
