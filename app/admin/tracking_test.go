package admin

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

func TestSaveTrackingTurningATypeOnEnqueuesSetup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// Start from deals only.
	if _, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: []crm.Type{crm.Deal}, Tabs: []crm.Type{crm.Deal}, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	f.FinishJobs(t) // the install's setup ran
	saved, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: []crm.Type{crm.Deal, crm.Company}, Tabs: nil, RetentionDays: 90})
	if err != nil || saved != SavedSetup {
		t.Fatalf("SaveTracking = %v, %v; want SavedSetup", saved, err)
	}
	if n := f.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'setup_portal' AND (args->>'portal_id')::bigint = ?", f.in.ID); n != 1 {
		t.Errorf("%d setup jobs, want 1", n)
	}
	set := f.settings(t)
	if !slices.Equal(set.Entities, []crm.Type{crm.Deal, crm.Company}) || len(set.Tabs) != 0 || set.RetentionDays != 90 {
		t.Errorf("stored %v tabs %v retention %d", set.Entities, set.Tabs, set.RetentionDays)
	}
}

func TestSaveTrackingBindsTabsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	saved, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: crm.Types, Tabs: []crm.Type{crm.Lead, crm.Deal}, RetentionDays: 30})
	if err != nil || saved != SavedOnly {
		t.Fatalf("SaveTracking = %v, %v; want SavedOnly (nothing newly tracked)", saved, err)
	}
	var got []string
	for _, p := range f.Portal(0).Placements() {
		if p.Handler == baseURL+"/bitrix/tab" {
			got = append(got, p.Code)
		}
	}
	slices.Sort(got)
	if want := []string{"CRM_DEAL_DETAIL_TAB", "CRM_LEAD_DETAIL_TAB"}; !slices.Equal(got, want) {
		t.Errorf("placements %v, want %v", got, want)
	}
	// Turning one off unbinds it.
	if _, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: crm.Types, Tabs: []crm.Type{crm.Deal}, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, p := range f.Portal(0).Placements() {
		got = append(got, p.Code)
	}
	if !slices.Equal(got, []string{"CRM_DEAL_DETAIL_TAB"}) {
		t.Errorf("placements after turning leads off: %v", got)
	}
}

func TestSaveTrackingWithoutAccessSavesAndLeavesTabsForLater(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	in := *f.in
	in.Status = db.StatusReauth
	before := f.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'setup_portal'")
	saved, err := f.svc.SaveTracking(ctx, &in, Tracking{Types: crm.Types, Tabs: nil, RetentionDays: 30})
	if err != nil || saved != SavedTabsLater {
		t.Fatalf("SaveTracking = %v, %v; want SavedTabsLater", saved, err)
	}
	if n := f.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'setup_portal'"); n != before {
		t.Errorf("setup enqueued without access")
	}
	if set := f.settings(t); set.RetentionDays != 30 {
		t.Errorf("retention %d, want 30: the settings are saved anyway", set.RetentionDays)
	}
}

func TestSaveTrackingRefusesRetentionOutOfRange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.settings(t)
	for _, days := range []int{0, -1, MaxRetention + 1} {
		_, err := f.svc.SaveTracking(context.Background(), f.in, Tracking{Types: nil, RetentionDays: days})
		if !errors.Is(err, ErrRetention) {
			t.Errorf("retention %d: err %v, want ErrRetention", days, err)
		}
	}
	if after := f.settings(t); !slices.Equal(after.Entities, before.Entities) || after.RetentionDays != before.RetentionDays {
		t.Errorf("a refused save changed the settings: %+v", after)
	}
}
