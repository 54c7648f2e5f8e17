package jobs

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

func TestPurgeKeepsOnlyTheRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	mk := func(member, status string) int64 {
		var id int64
		err := d.Pool.QueryRow(ctx, `INSERT INTO installations (member_id, domain, client_endpoint, status, access_token, refresh_token, application_token_hash)
			VALUES ($1, $1 || '.example', 'https://x/rest/', $2, '\x01', '\x02', '\x03') RETURNING id`, member, status).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	gone := mk("gone", db.StatusUninstalled)
	back := mk("back", db.StatusActive) // reinstalled before its purge ran
	w := &PurgeWorker{DB: d, Log: slog.New(slog.DiscardHandler)}
	tw := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{Logger: w.Log}, w)
	for _, id := range []int64{gone, back} {
		tx, err := d.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tw.Work(ctx, t, tx, PurgeArgs{PortalID: id}, nil)
		if err != nil || res.EventKind != river.EventKindJobCompleted {
			t.Fatalf("purge %d: %v %+v", id, err, res)
		}
		// The first pass of a real purge schedules the second.
		var sweeps int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'purge_portal' AND (args->>'sweep')::bool AND state = 'scheduled'
			AND args->>'portal_id' = $1`, strconv.FormatInt(id, 10)).Scan(&sweeps); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[id == gone]; sweeps != want {
			t.Errorf("portal %d: %d second passes scheduled, want %d", id, sweeps, want)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(member, wantStatus string, wantSecrets bool) {
		in, err := db.InstallationByMemberID(ctx, d.Bun, member)
		if err != nil {
			t.Fatal(err)
		}
		has := in.AccessToken != nil || in.RefreshToken != nil || in.ApplicationTokenHash != nil
		if in.Status != wantStatus || has != wantSecrets || in.Domain == "" {
			t.Errorf("%s: status %q secrets %v domain %q; want %q, secrets %v", member, in.Status, has, in.Domain, wantStatus, wantSecrets)
		}
	}
	check("gone", db.StatusPurged, false)
	check("back", db.StatusActive, true)
	if _, err := db.InstallationByMemberID(ctx, d.Bun, "never"); err != db.ErrNotFound {
		t.Errorf("unknown member: %v, want ErrNotFound", err)
	}
}
