package admin

import (
	"context"
	"errors"
	"testing"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

func TestProgressShowsTrackedTypesPendingUntilTheirBaselineRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: []crm.Type{crm.Lead, crm.Deal}, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Bun.ExecContext(ctx, "INSERT INTO sync_state (portal_id, entity, state, done, total) VALUES (?, 1, 'running', 4, 10)", f.in.ID); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Progress(ctx, f.in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Stalled || len(p.Rows) != 2 {
		t.Fatalf("progress %+v: want two rows, not stalled", p)
	}
	// Display order: deals first.
	if r := p.Rows[0]; r.Entity != "deal" || r.State != "pending" || r.Label == "" {
		t.Errorf("deal row %+v, want pending with a label", r)
	}
	if r := p.Rows[1]; r.Entity != "lead" || r.State != "running" || r.Done != 4 || r.Total != 10 {
		t.Errorf("lead row %+v, want running 4/10", r)
	}
}

func TestResyncEnqueuesEveryTrackedTypeAndResetsItsProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: []crm.Type{crm.Deal, crm.Contact}, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Bun.ExecContext(ctx, "INSERT INTO sync_state (portal_id, entity, state, done, total) VALUES (?, 2, 'done', 10, 10)", f.in.ID); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Resync(ctx, f.in)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rows {
		if r.State != "pending" || r.Done != 0 {
			t.Errorf("after resync %+v, want pending from the first record", r)
		}
	}
	if n := f.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'sync_entity' AND (args->>'full')::boolean AND (args->>'portal_id')::bigint = ?", f.in.ID); n != 2 {
		t.Errorf("%d full syncs enqueued, want 2 (deals, contacts)", n)
	}
}

func TestResyncLeavesARunningBaselineAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: []crm.Type{crm.Deal}, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	err := f.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		return jobs.Enqueue(ctx, tx, f.svc.Jobs, jobs.SyncArgs{PortalID: f.in.ID, Entity: crm.Deal, Full: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Bun.ExecContext(ctx, "UPDATE river_job SET state = 'running', attempted_at = now(), attempt = 1 WHERE kind = 'sync_entity'"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.Bun.ExecContext(ctx, "INSERT INTO sync_state (portal_id, entity, state, done, total) VALUES (?, 2, 'running', 6, 10)", f.in.ID); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Resync(ctx, f.in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 1 || p.Rows[0].Done != 6 {
		t.Errorf("progress %+v: the running baseline's 6/10 must stay", p.Rows)
	}
}

func TestResyncWithoutAccessStartsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := *f.in
	in.Status = db.StatusReauth
	p, err := f.svc.Resync(context.Background(), &in)
	if !errors.Is(err, ErrNoAccess) || !p.Stalled {
		t.Fatalf("Resync without access = %+v, %v; want stalled progress and ErrNoAccess", p, err)
	}
	if n := f.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'sync_entity'"); n != 0 {
		t.Errorf("%d syncs enqueued without access", n)
	}
}

func TestSetupDone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	done := func() bool {
		t.Helper()
		ok, err := f.svc.SetupDone(ctx, f.in.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// Another portal's baseline says nothing of this one.
	err := f.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		return jobs.Enqueue(ctx, tx, f.svc.Jobs, jobs.SyncArgs{PortalID: f.in.ID + 1, Entity: crm.Deal})
	})
	if err != nil {
		t.Fatal(err)
	}
	if done() {
		t.Fatal("setup done before it ran")
	}
	// Setup's last step enqueues the baselines.
	err = f.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		return jobs.Enqueue(ctx, tx, f.svc.Jobs, jobs.SyncArgs{PortalID: f.in.ID, Entity: crm.Deal})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !done() {
		t.Error("a baseline is queued, yet setup is not done")
	}
	// Jobs are cleaned away later; the progress rows stay.
	f.FinishJobs(t)
	if err := db.ResetSyncStates(ctx, f.DB.Bun, f.in.ID, []crm.Type{crm.Deal}); err != nil {
		t.Fatal(err)
	}
	if !done() {
		t.Error("progress rows exist, yet setup is not done")
	}
}
