package jobs

import (
	"context"
	"slices"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// attributeRevert marks one change's rows (their ChangeID set) as a
// revert's (history.SourceRevert, and the change it put back) when the
// record has a revert by the change's author that wrote one of the changed
// fields and the change is of its write (db.RevertOfChange): the portal
// reports a revert like any edit of that person, and a write of several
// calls may come as several changes.
func attributeRevert(ctx context.Context, tx db.Tx, rows []*db.HistoryRow) error {
	first := rows[0]
	if first.AuthorID == nil || first.Action != history.Updated.String() {
		return nil
	}
	r, err := db.RevertOfChange(ctx, tx, first.PortalID, first.Entity, first.EntityID, *first.AuthorID, first.ChangedAt)
	if err != nil || r == nil {
		return err
	}
	written := r.Written()
	if !slices.ContainsFunc(rows, func(h *db.HistoryRow) bool { return slices.Contains(written, h.Field) }) {
		return nil
	}
	for _, h := range rows {
		h.Source = history.SourceRevert.String()
		h.RevertsBulkID = r.BulkID
		if r.Moment != nil {
			h.RestoresMoment = r.Moment
		} else {
			h.RevertsChangeID = &r.ChangeID
		}
	}
	return db.RevertRecorded(ctx, tx, first.PortalID, r.ID, first.ChangeID)
}
