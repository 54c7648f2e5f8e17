package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// syncView is the baseline progress of the portal's tracked types; a type
// without progress yet is waiting for its first baseline.
func (h *handlers) syncView(ctx context.Context, in *db.Installation) (views.SyncProgress, error) {
	portalID := in.ID
	set, err := db.LoadSettings(ctx, h.DB.Bun, portalID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	states, err := db.SyncStates(ctx, h.DB.Bun, portalID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	p := views.SyncProgress{Stalled: in.Status != db.StatusActive}
	for _, e := range db.TypeNames(crm.Types) {
		if !set.Tracks(typeNamed(e)) {
			continue
		}
		row := views.SyncRow{Entity: e, Label: entityLabel(ctx, e), State: "pending"}
		for _, s := range states {
			if s.Entity.String() == e {
				row.State, row.Done, row.Total = string(s.State), s.Done, s.Total
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

// syncProgress is the fragment the progress bar polls.
func (h *handlers) syncProgress(c *fiber.Ctx) error {
	in, err := db.InstallationByID(c.UserContext(), h.DB.Bun, viewerOf(c).PortalID)
	if err != nil {
		return err
	}
	p, err := h.syncView(c.UserContext(), in)
	if err != nil {
		return err
	}
	return views.Render(c, views.SyncBar(p))
}

// resync copies every tracked type's records again from the first one.
// Progress rows are reset in the transaction that enqueues the jobs, so the
// bar never shows the previous run's 100% as this one's. Where a baseline
// job of the type is already queued, River keeps that one instead, and the
// reset makes it start from the first record too; where one is running (or
// has just finished and River has not marked it yet), its own progress is
// left alone: it is copying the records right now.
func (h *handlers) resync(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewerOf(c)
	in, err := db.InstallationByID(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	if in.Status != db.StatusActive {
		p, err := h.syncView(ctx, in)
		if err != nil {
			return err
		}
		p.Refused = views.T(ctx, "settings.sync.needs_access")
		c.Status(fiber.StatusBadRequest)
		return views.Render(c, views.SyncBar(p))
	}
	err = h.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, v.PortalID)
		if err != nil {
			return err
		}
		var reset []crm.Type
		err = tx.Pgx(func(ptx pgx.Tx) error {
			for _, e := range set.Tracked() {
				res, err := h.Jobs.InsertTx(ctx, ptx, jobs.SyncArgs{PortalID: v.PortalID, Entity: e, Full: true}, nil)
				if err != nil {
					return err
				}
				if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
					reset = append(reset, e)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return db.ResetSyncStates(ctx, tx, v.PortalID, reset)
	})
	if err != nil {
		return err
	}
	p, err := h.syncView(c.UserContext(), in)
	if err != nil {
		return err
	}
	return views.Render(c, views.SyncBar(p))
}
