package admin

import (
	"context"
	"encoding/json"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/bindings"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// pressureWindow is the period the rate-limit figures cover.
const pressureWindow = time.Hour

// portalHealthTimeout bounds the portal calls of the health fragment: it
// is informative, and a slow portal must not hold the page.
const portalHealthTimeout = 5 * time.Second

// timeFormat is how the settings page shows instants (UTC: the portal's
// time zone is not known to Trail).
const timeFormat = "02.01.2006 15:04 UTC"

// Health is what the database knows about the installation.
func (s *Service) Health(ctx context.Context, in *db.Installation) (views.Health, error) {
	hv := views.Health{Active: in.Status == db.StatusActive, TokenExpires: formatTime(in.ExpiresAt)}
	if in.ExpiresAt != nil {
		hv.TokenExpired = in.ExpiresAt.Before(time.Now())
	}
	last, err := db.LastEventAt(ctx, s.DB.Bun, in.ID)
	if err != nil {
		return hv, err
	}
	hv.LastEvent = formatTime(last)
	states, err := db.SyncStates(ctx, s.DB.Bun, in.ID)
	if err != nil {
		return hv, err
	}
	var reconciled *time.Time
	for _, st := range states {
		if st.ReconciledAt != nil && (reconciled == nil || st.ReconciledAt.After(*reconciled)) {
			reconciled = st.ReconciledAt
		}
	}
	hv.Reconciled = formatTime(reconciled)
	p, err := db.RatePressureSince(ctx, s.DB.Bun, in.ID, time.Now().Add(-pressureWindow))
	if err != nil {
		return hv, err
	}
	hv.Calls, hv.WaitedShare, hv.AvgWaitMS, hv.LimitErrors = p.Calls, p.WaitedShare, p.AvgWaitMS, p.LimitErrors
	return hv, nil
}

// PortalHealth asks the portal for Trail's event bindings, compared with
// those setup makes for the tracked types, and the size of its offline
// queue. What the portal does not answer is shown as unknown.
func (s *Service) PortalHealth(ctx context.Context, in *db.Installation) (views.PortalHealth, error) {
	ph := views.PortalHealth{Failed: true}
	set, err := db.LoadSettings(ctx, s.DB.Bun, in.ID)
	if err != nil {
		return ph, err
	}
	if in.Status != db.StatusActive {
		return ph, nil
	}
	client, err := s.Portals.For(in)
	if err != nil {
		return ph, nil
	}
	ctx, cancel := context.WithTimeout(ctx, portalHealthTimeout)
	defer cancel()
	if have, err := client.EventHandlers(ctx); err == nil {
		ph.Failed = false
		ph.Wanted, ph.Bound, ph.Missing = checkBindings(s.BaseURL, set.Tracked(), have)
	}
	if n, err := offlineQueueSize(ctx, client); err == nil {
		ph.OfflineQueue, ph.OfflineKnown = n, true
	}
	return ph, nil
}

// checkBindings compares the portal's bindings with those setup makes for
// the tracked types, and names the missing ones.
func checkBindings(baseURL string, tracked []crm.Type, have []b24.EventHandler) (wanted, bound int, missing []string) {
	want := bindings.WantedEvents(baseURL, tracked)
	for _, m := range bindings.MissingEvents(want, have) {
		if m.Offline {
			missing = append(missing, m.Event+" (offline)")
		} else {
			missing = append(missing, m.Event)
		}
	}
	return len(want), len(want) - len(missing), missing
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

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}
