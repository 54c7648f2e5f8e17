package admin

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// Progress is the baseline progress of the portal's tracked types; a type
// without progress yet is waiting for its first baseline.
func (s *Service) Progress(ctx context.Context, in *db.Installation) (views.SyncProgress, error) {
	return progress(ctx, s.DB.Bun, in)
}

// progress is Progress as q sees it.
func progress(ctx context.Context, q bun.IDB, in *db.Installation) (views.SyncProgress, error) {
	set, err := db.LoadSettings(ctx, q, in.ID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	states, err := db.SyncStates(ctx, q, in.ID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	found, err := db.FoundTypes(ctx, q, in.ID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	extras, err := db.ExtrasStates(ctx, q, in.ID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	p := views.SyncProgress{Stalled: in.Status != db.StatusActive}
	for _, t := range set.Tracked() {
		row := views.SyncRow{Entity: t.String(), Label: FoundLabel(ctx, found, t), State: "pending"}
		for _, st := range states {
			if st.Entity == t {
				row.State, row.Done, row.Total = string(st.State), st.Done, st.Total
			}
		}
		for _, x := range extras {
			if x.Entity == t && (x.State != db.SyncDone || x.Total > 0) {
				label := "settings.sync.extras.links" // contacts' and companies'
				if db.HasProductRows(found, t) {
					label = "settings.sync.extras.rows"
				}
				row.Extras = &views.SyncRow{Label: views.T(ctx, label), State: string(x.State), Done: x.Done, Total: x.Total}
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

// TypeLabel is the name of a CRM type (plural) in the context's language;
// a smart process whose title Trail does not know is named by its number.
func TypeLabel(ctx context.Context, t crm.Type) string {
	if t.Dynamic() {
		return views.Tf(ctx, "settings.entity.dynamic", int(t))
	}
	return views.T(ctx, "settings.entity."+t.String())
}

// FoundLabel is TypeLabel with a smart process named by its title on the
// portal.
func FoundLabel(ctx context.Context, found []db.FoundType, t crm.Type) string {
	if f, ok := db.Found(found, t); ok && f.Title != "" {
		return f.Title
	}
	return TypeLabel(ctx, t)
}

// Resync copies every tracked type's records again from the first one and
// returns the progress. Without access to the portal it starts nothing and
// returns ErrNoAccess with the progress.
//
// Progress rows are reset in the transaction that enqueues the jobs, so the
// bar never shows the previous run's 100% as this one's. Where a baseline
// job of the type is already queued, River keeps that one instead, and the
// reset makes it start from the first record too; where one is running (or
// has just finished and River has not marked it yet), its own progress is
// left alone: it is copying the records right now.
func (s *Service) Resync(ctx context.Context, in *db.Installation) (views.SyncProgress, error) {
	if in.Status != db.StatusActive {
		p, err := s.Progress(ctx, in)
		if err != nil {
			return p, err
		}
		return p, ErrNoAccess
	}
	// The answer shows the progress the resync reset, read in its own
	// transaction: read after the commit, a small portal's copy may be over
	// already and the bars would never be seen starting again.
	var p views.SyncProgress
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		reset, err := jobs.EnqueueResync(ctx, tx, s.Jobs, in.ID, set.Tracked())
		if err != nil {
			return err
		}
		if err := db.ResetSyncStates(ctx, tx, in.ID, reset); err != nil {
			return err
		}
		p, err = progress(ctx, tx, in)
		return err
	})
	if err != nil {
		return views.SyncProgress{}, err
	}
	return p, nil
}

// SetupDone reports whether setup has finished for the portal: the
// baseline sync is enqueued as setup's last step, and leaves progress rows
// once it runs.
func (s *Service) SetupDone(ctx context.Context, portalID int64) (bool, error) {
	states, err := db.SyncStates(ctx, s.DB.Bun, portalID)
	if err != nil || len(states) > 0 {
		return len(states) > 0, err
	}
	return jobs.BaselineQueued(ctx, s.DB.Bun, portalID)
}
