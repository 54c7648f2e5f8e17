package apilog_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/trailhq/trail/app/apilog"
	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// TestPurgedPortalCallsNotWritten: a call that finishes after its portal
// was purged (a job still running at the uninstall) leaves no row behind.
func TestPurgedPortalCallsNotWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	live := &db.Installation{MemberID: "live", Domain: "live.example", ClientEndpoint: "https://live.example/rest/", AuthMode: "oauth", Status: db.StatusActive}
	gone := &db.Installation{MemberID: "gone", Domain: "gone.example", ClientEndpoint: "https://gone.example/rest/", AuthMode: "oauth", Status: db.StatusActive}
	for _, in := range []*db.Installation{live, gone} {
		if err := db.UpsertInstallation(ctx, d.Bun, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkUninstalled(ctx, d.Bun, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PurgePortal(ctx, d.Bun, gone.ID); err != nil {
		t.Fatal(err)
	}
	w := apilog.New(d, slog.New(slog.NewTextHandler(io.Discard, nil)), 10)
	for _, member := range []string{"live", "gone", "live"} {
		w.Observe(b24.Event{Portal: member, Method: "batch", Status: 200, Start: time.Now(), Attempt: 1})
	}
	w.Flush(ctx)
	var n int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM api_calls WHERE portal_id = $1", live.ID).Scan(&n); err != nil || n != 2 {
		t.Errorf("live portal: %d rows (%v), want 2", n, err)
	}
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM api_calls WHERE portal_id = $1", gone.ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("purged portal: %d rows (%v), want 0", n, err)
	}
}
