package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// syncView is the baseline progress of the portal's tracked types.
func (h *handlers) syncView(ctx context.Context, portalID int64) (views.SyncProgress, error) {
	set, err := db.LoadSettings(ctx, h.DB.Bun, portalID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	states, err := db.SyncStates(ctx, h.DB.Bun, portalID)
	if err != nil {
		return views.SyncProgress{}, err
	}
	var p views.SyncProgress
	for _, e := range db.Entities {
		if !set.Tracks(e) {
			continue
		}
		row := views.SyncRow{Entity: e, Label: entityLabel(ctx, e), State: "pending"}
		for _, s := range states {
			if s.Entity == e {
				row.State, row.Done, row.Total = s.State, s.Done, s.Total
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

// syncProgress is the fragment the progress bar polls.
func (h *handlers) syncProgress(c *fiber.Ctx) error {
	p, err := h.syncView(c.UserContext(), viewerOf(c).PortalID)
	if err != nil {
		return err
	}
	return views.Render(c, views.SyncBar(p))
}

// resync copies every tracked type's records again from the first one.
// The progress rows are reset in the transaction that enqueues the jobs, so
// the bar never shows the previous run's 100% as this one's; where a
// baseline job of the type is already waiting, River keeps that one, and
// the reset makes it start from the first record too.
func (h *handlers) resync(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewerOf(c)
	in, err := db.InstallationByID(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	if in.Status != db.StatusActive {
		return badForm(c, "settings.sync.needs_access")
	}
	err = h.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, v.PortalID)
		if err != nil {
			return err
		}
		if err := db.ResetSyncStates(ctx, tx, v.PortalID, set.Entities); err != nil {
			return err
		}
		return tx.Pgx(func(ptx pgx.Tx) error {
			for _, e := range set.Entities {
				if _, err := h.Jobs.InsertTx(ctx, ptx, jobs.SyncArgs{PortalID: v.PortalID, Entity: e, Full: true}, nil); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	p, err := h.syncView(ctx, v.PortalID)
	if err != nil {
		return err
	}
	return views.Render(c, views.SyncBar(p))
}
