package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
	"golang.org/x/sync/errgroup"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// SyncArgs asks for the baseline of one entity of a portal: every record's
// current state, stored as a snapshot without history, so that later
// changes have something to be compared with. Full restarts from the first
// record (a resync); otherwise the job resumes after the last stored ID.
type SyncArgs struct {
	PortalID int64    `json:"portal_id" river:"unique"`
	Entity   crm.Type `json:"entity" river:"unique"`
	Full     bool     `json:"full"`
}

func (SyncArgs) Kind() string { return "sync_entity" }

func (SyncArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueSync) }

// How a sync shares its worker: it saves progress every syncChunk records
// and after syncBudget snoozes, so a portal with a million deals takes its
// turns with the others instead of holding a worker for an hour.
const (
	syncChunk  = 2500
	syncBudget = 2 * time.Minute
)

// SyncWorker runs SyncArgs.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Deps
	// budget and slowRequest replace syncBudget and slowRequest when set,
	// so that a test can snooze or split a small baseline.
	budget, slowRequest time.Duration
}

func (w *SyncWorker) budgetOf() time.Duration { return cmp.Or(w.budget, syncBudget) }

func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return syncBudget + time.Minute }

func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	in, c, err := w.callable(ctx, job.Args.PortalID)
	if err != nil {
		return w.outcome(ctx, in, err)
	}
	st, err := db.LoadSyncState(ctx, w.DB.Bun, in.ID, job.Args.Entity)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	// A resync starts over once; the same job resuming after a snooze finds
	// its own state running and goes on from the last stored ID.
	if (job.Args.Full && st.State != db.SyncRunning) || st.State.Finished() {
		if !job.Args.Full && st.State == db.SyncDone {
			return nil
		}
		st.LastID, st.Ranges, st.Done, st.Error = 0, nil, 0, ""
		st.StartedAt, st.FinishedAt = &now, nil
	}
	if st.StartedAt == nil {
		st.StartedAt = &now
	}
	if st.LastID == 0 && len(st.Ranges) == 0 {
		// One counted page tells the total for the progress bar.
		method, params := countOf(job.Args.Entity)
		resp, err := c.Call(ctx, method, params)
		if err != nil {
			return w.outcome(ctx, in, err)
		}
		st.Total = int64(resp.Total)
	}
	st.State = db.SyncRunning
	if err := db.SaveSyncState(ctx, w.DB.Bun, st); err != nil {
		return err
	}
	more, wait, err := w.copy(ctx, in, c, st)
	if err != nil {
		return w.outcome(ctx, in, err)
	}
	if more {
		return river.JobSnooze(wait)
	}
	done := time.Now().UTC()
	st.State, st.FinishedAt = db.SyncDone, &done
	if st.Watermark == nil {
		// Reconciliation looks for changes from the moment the listing began.
		st.Watermark = st.StartedAt
	}
	// The total was counted when the listing began; records added or
	// deleted since make it off by a few. What was copied is the real
	// figure now, and the progress bar must end at done == total.
	st.Total = st.Done
	extras, err := hasExtras(ctx, w.DB.Bun, in.ID, job.Args.Entity)
	if err != nil {
		return err
	}
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if err := db.SaveSyncState(ctx, tx, st); err != nil || !extras {
			return err
		}
		return startExtras(ctx, tx, river.ClientFromContext[pgx.Tx](ctx), in.ID, job.Args.Entity, *st.StartedAt)
	})
}

// listSelect asks legacy lists for everything a get returns. The masks
// leave out multiple fields ("*" all of them, "UF_*" the multiple user
// fields; https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-list.html),
// so the multi-fields and the multiple user fields the portal's field list
// names are asked for by name: a baseline that lacked them would take a
// later value for a change from "not known".
func listSelect(entity crm.Type, schema *history.Schema) []string {
	s := []string{"*", "UF_*"}
	if entity != crm.Deal {
		s = append(s, "PHONE", "EMAIL", "WEB", "IM")
	}
	if schema == nil {
		return s
	}
	var named []string
	for name, f := range schema.Fields {
		if f.Multiple && (f.Custom || f.Type == history.TypeMultifield) && !slices.Contains(s, name) {
			named = append(named, name)
		}
	}
	slices.Sort(named)
	return append(s, named...)
}

// fieldSchema reads the entity's field metadata (stored at setup), or nil.
func fieldSchema(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type) (*history.Schema, error) {
	raw, err := db.LoadMeta(ctx, q, portalID, db.MetaFields(entity))
	if err != nil || raw == nil {
		return nil, err
	}
	s, err := history.ParseFields(raw)
	if err != nil {
		return nil, nil // values are then compared by shape; the drain logs it
	}
	return s, nil
}

// copy stores snapshots chunk by chunk, each chunk and its progress in one
// transaction. It returns true when its turn ended first (see turn), with
// how long the next turn should wait for the portal's limits.
//
// Listing and storing overlap: while one chunk is written, the next is
// listed (see lister), so a baseline takes about the longer of the
// portal's time and the database's, not their sum. The listing runs a
// few chunks ahead at most (see assemble), so memory does not grow with
// the portal.
func (w *SyncWorker) copy(ctx context.Context, in *db.Installation, c *b24.Client, st *db.SyncState) (more bool, wait time.Duration, err error) {
	start := time.Now()
	// Records stored without the reads that take a command each are noted
	// for the extras phase (see ExtrasWorker).
	extras, err := hasExtras(ctx, w.DB.Bun, in.ID, st.Entity)
	if err != nil {
		return false, 0, err
	}
	schema, err := fieldSchema(ctx, w.DB.Bun, in.ID, st.Entity)
	if err != nil {
		return false, 0, err
	}
	ranges := idRanges(st)
	t := newTurn()
	l := &lister{c: c, st: st, schema: schema, ranges: ranges, remaining: st.Total - st.Done,
		slowRequest: cmp.Or(w.slowRequest, slowRequest), turn: t}
	lctx, cancel := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(lctx)
	rows := make(chan listed, rangePages*b24.PageSize)
	chunks := make(chan *completion, completers-1)
	g.Go(func() error {
		defer close(rows)
		return l.run(gctx, rows)
	})
	g.Go(func() error {
		defer close(chunks)
		return assemble(gctx, c, st.Entity, ranges, rows, chunks)
	})
	defer func() {
		// On failure the listing ends before the job does; what it listed
		// meanwhile is listed again on the next turn.
		cancel()
		for range chunks {
		}
		_ = g.Wait()
	}()
	for ch := range chunks {
		select {
		case err = <-ch.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			return false, 0, err
		}
		if err := w.store(ctx, in, st, ch.chunk, extras); err != nil {
			return false, 0, err
		}
		if time.Since(start) > w.budgetOf() {
			t.end(0)
		}
	}
	if err := g.Wait(); err != nil {
		return false, 0, err
	}
	ended, wait := t.ended()
	return ended, wait, nil
}

// store writes one chunk's snapshots and the progress after it in one
// transaction.
func (w *SyncWorker) store(ctx context.Context, in *db.Installation, st *db.SyncState, ch chunk, extras bool) error {
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if extras {
			ids := make([]int64, len(ch.snaps))
			for i, s := range ch.snaps {
				ids[i] = s.EntityID
			}
			if err := db.MarkExtrasPending(ctx, tx, in.ID, st.Entity, ids); err != nil {
				return err
			}
		}
		if _, err := db.SeedSnapshots(ctx, tx, ch.snaps); err != nil {
			return err
		}
		st.Done += int64(len(ch.snaps))
		setRanges(st, ch.ranges)
		return db.SaveSyncState(ctx, tx, st)
	})
}

// EnqueueResync enqueues in tx a full baseline of each type and returns the
// types whose progress should start over: all but those whose baseline is
// running right now (River keeps a queued one instead of a new job, and the
// reset makes it start from the first record too; a running one is copying
// the records already, so its progress stays).
func EnqueueResync(ctx context.Context, tx db.Tx, rc *Client, portalID int64, types []crm.Type) ([]crm.Type, error) {
	var reset []crm.Type
	err := tx.Pgx(func(ptx pgx.Tx) error {
		for _, t := range types {
			res, err := rc.InsertTx(ctx, ptx, SyncArgs{PortalID: portalID, Entity: t, Full: true}, nil)
			if err != nil {
				return fmt.Errorf("enqueue the baseline of %s: %w", t, err)
			}
			if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
				reset = append(reset, t)
			}
		}
		return nil
	})
	return reset, err
}
