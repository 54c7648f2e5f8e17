package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trailhq/trail/db"
)

// Enqueue inserts jobs in tx: they exist exactly when tx commits, so a
// change and the work it calls for are never recorded one without the
// other.
func Enqueue(ctx context.Context, tx db.Tx, rc *Client, args ...river.JobArgs) error {
	return tx.Pgx(func(ptx pgx.Tx) error {
		for _, a := range args {
			if _, err := rc.InsertTx(ctx, ptx, a, nil); err != nil {
				return fmt.Errorf("enqueue %s: %w", a.Kind(), err)
			}
		}
		return nil
	})
}

// EnqueueAt is Enqueue of one job that is to run at a given time.
func EnqueueAt(ctx context.Context, tx db.Tx, rc *Client, args river.JobArgs, at time.Time) error {
	return tx.Pgx(func(ptx pgx.Tx) error {
		_, err := rc.InsertTx(ctx, ptx, args, &river.InsertOpts{ScheduledAt: at})
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
		}
		return nil
	})
}

// EnqueueDrain makes sure a drain will see the inbox rows tx adds.
//
// Drains are unique per portal while waiting or running, so a row added
// while the portal's drain runs gets no job of its own. The drain closes
// that gap by completing only inside a transaction that holds the portal's
// row FOR UPDATE and finds the inbox empty; here tx takes the same row FOR
// KEY SHARE (which conflicts with nothing else writers do) before the
// unique insert. Either this insert waits for the drain to complete and
// then enqueues a new one, or the drain waits for tx and finds its rows.
func EnqueueDrain(ctx context.Context, tx db.Tx, rc *Client, portalID int64) error {
	return tx.Pgx(func(ptx pgx.Tx) error {
		if _, err := ptx.Exec(ctx, lockForEnqueue, portalID); err != nil {
			return fmt.Errorf("lock portal: %w", err)
		}
		_, err := rc.InsertTx(ctx, ptx, DrainArgs{PortalID: portalID}, nil)
		return err
	})
}

const lockForEnqueue = "SELECT 1 FROM installations WHERE id = $1 FOR KEY SHARE"

// completeIfDrained completes the running drain job if the portal's inbox is
// empty, atomically with that check (see EnqueueDrain). It reports whether
// it did.
func completeIfDrained(ctx context.Context, d *db.DB, job *river.Job[DrainArgs]) (bool, error) {
	done := false
	err := d.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		var err error
		done, err = completeInTx(ctx, tx, &db.Writes{}, job)
		return err
	})
	return done, err
}

// completeInTx is completeIfDrained within tx, after the writes queued in
// out, which go with the check in one round trip; the portal's row stays
// locked until tx ends.
//
// The check is its own statement after the lock's: in READ COMMITTED it
// then sees the inbox rows of an intake that held the row while the lock
// waited.
func completeInTx(ctx context.Context, tx db.Tx, out *db.Writes, job *river.Job[DrainArgs]) (bool, error) {
	var waiting bool
	if _, err := out.Exec(ctx, "SELECT 1 FROM installations WHERE id = $1 FOR UPDATE", job.Args.PortalID); err != nil {
		return false, err
	}
	out.QueryRow("SELECT EXISTS (SELECT 1 FROM inbox WHERE portal_id = $1)", func(r pgx.Row) error { return r.Scan(&waiting) }, job.Args.PortalID)
	if err := out.Send(ctx, tx); err != nil {
		return false, fmt.Errorf("check the inbox: %w", err)
	}
	if waiting {
		return false, nil
	}
	err := tx.Pgx(func(ptx pgx.Tx) error {
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, ptx, job)
		return err
	})
	return err == nil, err
}
