package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/db"
)

// QueueBulk runs bulk reverts: a queue of their own, so one portal's bulk
// revert never holds a worker another portal's drain or sync needs.
const QueueBulk = "bulk"

// BulkRevertArgs asks for a bulk revert of a portal to be worked.
type BulkRevertArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
	BulkID   int64 `json:"bulk_id" river:"unique"`
}

func (BulkRevertArgs) Kind() string { return "bulk_revert" }

func (BulkRevertArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueBulk) }

// bulkBudget is how long a bulk revert holds its worker before it snoozes
// and takes its turn again.
const bulkBudget = 2 * time.Minute

// BulkRevertWorker runs BulkRevertArgs: revert.Bulk.Run, resumed after a
// snooze or a crash from the outcomes stored per record.
type BulkRevertWorker struct {
	river.WorkerDefaults[BulkRevertArgs]
	Deps
}

func (w *BulkRevertWorker) Timeout(*river.Job[BulkRevertArgs]) time.Duration {
	return bulkBudget + time.Minute
}

func (w *BulkRevertWorker) Work(ctx context.Context, job *river.Job[BulkRevertArgs]) error {
	b := &revert.Bulk{DB: w.DB, Clients: w.Clients}
	more, err := b.Run(ctx, job.Args.PortalID, job.Args.BulkID, bulkBudget)
	switch {
	case errors.Is(err, b24.ErrWouldWait):
		return river.JobSnooze(time.Second)
	case err != nil:
		return w.outcome(ctx, nil, err)
	case more:
		return river.JobSnooze(0)
	}
	return nil
}

// EnqueueBulkRevert adds the job that works a portal's bulk revert, in tx.
func EnqueueBulkRevert(ctx context.Context, tx db.Tx, rc *Client, portalID, bulkID int64) error {
	return Enqueue(ctx, tx, rc, BulkRevertArgs{PortalID: portalID, BulkID: bulkID})
}
