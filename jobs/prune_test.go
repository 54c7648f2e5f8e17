package jobs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

func TestPruneKeepsWhatIsWithinRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var portal int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO installations (member_id, domain, client_endpoint) VALUES ('m1', 'p.example', 'https://p.example/rest/') RETURNING id`).Scan(&portal); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO portal_settings (portal_id, retention_days) VALUES ($1, 30)`, portal)
	now := time.Now()
	for _, at := range []time.Time{now.Add(-10 * 24 * time.Hour), now.Add(-2 * 24 * time.Hour)} {
		exec(`INSERT INTO api_calls (portal_id, at, method, duration_ms) VALUES ($1, $2, 'crm.deal.get', 1)`, portal, at)
	}
	for _, at := range []time.Time{now.Add(-40 * 24 * time.Hour), now.Add(-20 * 24 * time.Hour)} {
		exec(`INSERT INTO history (portal_id, entity, entity_id, change_id, action, changed_at) VALUES ($1, 2, 1, 1, $2, $3)`, portal, db.CodeUpdated, at)
	}
	exec(`INSERT INTO sessions (token, data, expiry) VALUES ('old', '\x00', now() - interval '1 hour'), ('live', '\x00', now() + interval '1 hour')`)

	w := &PruneWorker{Deps: Deps{DB: d, Log: slog.New(slog.DiscardHandler), APILogRetention: 7 * 24 * time.Hour}}
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	res, err := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{}, w).Work(ctx, t, tx, PruneArgs{}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("prune: %v %+v", err, res)
	}
	count := func(q string) int {
		var n int
		if err := d.Pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM api_calls`); n != 1 {
		t.Errorf("api calls left = %d, want the one within 7 days", n)
	}
	if n := count(`SELECT count(*) FROM history`); n != 1 {
		t.Errorf("history rows left = %d, want the one within the portal's 30 days", n)
	}
	if n := count(`SELECT count(*) FROM sessions`); n != 1 {
		t.Errorf("sessions left = %d, want the live one", n)
	}
}
