package devstack

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/db"
)

// WaitBaseline waits until Trail has copied every CRM entity of every
// portal: changes made before that are part of the baseline, not history.
func WaitBaseline(ctx context.Context, d *db.DB, emu *b24test.Server) error {
	// deals, leads, contacts, companies, their extras phases included
	if err := waitFor(ctx, d, 4*len(emu.Portals()), "SELECT count(*) FROM sync_state WHERE state = 'done' AND extras_state = 'done'"); err != nil {
		return fmt.Errorf("devstack: baseline not finished: %w", err)
	}
	return nil
}

// demoChanges edits a few deals on every portal, as different people, so
// that the first tab a person opens already has a history.
func demoChanges(ctx context.Context, d *db.DB, emu *b24test.Server) error {
	if err := WaitBaseline(ctx, d, emu); err != nil {
		return err
	}
	edits := []struct {
		deal, user int
		fields     map[string]any
	}{
		{1, 2, map[string]any{"TITLE": "Annual licence renewal", "OPPORTUNITY": "12500.00"}},
		{1, 3, map[string]any{"PROBABILITY": "65", "OPPORTUNITY": "11800.00"}},
		{2, 5, map[string]any{"TITLE": "Pilot for the Berlin office", "PROBABILITY": "45"}},
		{3, 1, map[string]any{"TITLE": "Support contract, 3 years", "OPPORTUNITY": "990.00"}},
	}
	// One edit at a time, each waited for: two quick edits of one record
	// may reach Trail as one change, and the demo should show two.
	for _, e := range edits {
		for _, p := range emu.Portals() {
			if err := p.UpdateRecord("deal", e.deal, e.user, e.fields); err != nil {
				return fmt.Errorf("devstack: demo change of deal %d on %s: %w", e.deal, p.Domain(), err)
			}
		}
		if err := waitFor(ctx, d, len(emu.Portals()), `SELECT count(DISTINCT portal_id) FROM history
			WHERE entity = 2 AND entity_id = $1 AND author_id = $2`, e.deal, e.user); err != nil {
			return fmt.Errorf("devstack: demo change of deal %d: %w", e.deal, err)
		}
	}
	return nil
}

// waitFor polls a count query until it reaches want.
func waitFor(ctx context.Context, d *db.DB, want int, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := d.Pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			return err
		}
		if n >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// recreateDatabase drops and creates the database of rawURL. It refuses
// anything but a server on this machine: it is for the throwaway cluster of
// `go tool task dev`, never for a shared database.
func recreateDatabase(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("devstack: DATABASE_URL is malformed")
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("devstack: -fresh only recreates a database on this machine, not on %s", h)
	}
	name := u.Path
	if len(name) > 1 {
		name = name[1:]
	}
	if name == "" || name == "postgres" || name == "template0" || name == "template1" {
		return fmt.Errorf("devstack: -fresh needs a database of its own in DATABASE_URL, not %q", name)
	}
	admin, err := db.DatabaseURL(rawURL, "postgres")
	if err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	if err := db.DropDatabase(ctx, admin, name); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	if err := db.CreateDatabase(ctx, admin, name, ""); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	return nil
}
