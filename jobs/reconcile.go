package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// ReconcileArgs looks for changes whose events never arrived.
type ReconcileArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
	// Swept marks the reconciliation the periodic sweep enqueued at the
	// portal's point of the period, minutes ahead: one asked for now is
	// another job, which that one's wait does not hold back.
	Swept bool `json:"swept,omitempty" river:"unique"`
}

func (ReconcileArgs) Kind() string { return "reconcile_portal" }

func (ReconcileArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueSync) }

// reconcileOverlap re-reads a little before the watermark: DATE_MODIFY has
// one-second resolution and a record saved in the same second as the last
// scan may not have been visible to it.
const reconcileOverlap = 2 * time.Minute

// ReconcileWorker lists, per tracked entity, the records modified since the
// watermark (only ID and DATE_MODIFY) and puts those whose stored state is
// older into the inbox. Events missed while Trail was down, changes by
// automation that fired no event, a portal's hiccup: all are found here, and
// since they meet the online and offline deliveries in the same inbox, a
// change seen three ways is recorded once.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	Deps
}

func (w *ReconcileWorker) Work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	in, c, err := w.callable(ctx, job.Args.PortalID)
	if err != nil {
		return w.outcome(ctx, in, err)
	}
	set, err := db.LoadSettings(ctx, w.DB.Bun, in.ID)
	if err != nil {
		return err
	}
	for _, entity := range set.Tracked() {
		if err := w.entity(ctx, in, c, entity); err != nil {
			return w.outcome(ctx, in, err)
		}
	}
	return nil
}

func (w *ReconcileWorker) entity(ctx context.Context, in *db.Installation, c *b24.Client, entity crm.Type) error {
	st, err := db.LoadSyncState(ctx, w.DB.Bun, in.ID, entity)
	if err != nil || st.State != db.SyncDone || st.Watermark == nil {
		return err // no baseline yet: nothing to compare with
	}
	scanStart := time.Now().UTC()
	since := st.Watermark.Add(-reconcileOverlap)
	seen := map[int64]time.Time{}
	schema, err := fieldSchema(ctx, w.DB.Bun, in.ID, entity)
	if err != nil {
		return err
	}
	opts := listOf(entity, schema, []string{"ID", "DATE_MODIFY"}, b24.Params{">DATE_MODIFY": since.Format(time.RFC3339)})
	for raw, err := range c.List(ctx, opts) {
		if err != nil {
			return err
		}
		s, err := parseListed(entity, schema, raw)
		if err != nil {
			return err
		}
		id, err := recordID(s)
		if err != nil {
			return err
		}
		t, _ := history.When(s)
		seen[id] = t
	}
	var rows []db.InboxRow
	if len(seen) > 0 {
		ids := make([]int64, 0, len(seen))
		for id := range seen {
			ids = append(ids, id)
		}
		snaps, err := db.SnapshotsFor(ctx, w.DB.Bun, in.ID, entity, ids)
		if err != nil {
			return err
		}
		for id, t := range seen {
			s := snaps[id]
			if s != nil && s.ModifiedAt != nil && !s.ModifiedAt.Before(t) {
				continue // already recorded
			}
			kind := db.InboxUpdate
			if s == nil {
				kind = db.InboxAdd
			}
			rows = append(rows, db.InboxRow{Entity: entity, EntityID: id, Kind: kind, Origin: db.OriginReconcile})
		}
	}
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if len(rows) > 0 {
			if err := db.AddToInbox(ctx, tx, in.ID, rows); err != nil {
				return err
			}
			if err := EnqueueDrain(ctx, tx, river.ClientFromContext[pgx.Tx](ctx), in.ID); err != nil {
				return err
			}
		}
		st.Watermark, st.ReconciledAt = &scanStart, &scanStart
		return db.SaveSyncState(ctx, tx, st)
	})
}
