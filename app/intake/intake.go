// Package intake commits the events handler's deliveries: each one's inbox
// row and its portal's drain, many deliveries to a transaction.
package intake

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Committer commits the events handler's changes: each delivery's inbox row
// and its portal's drain in one transaction, committed before the handler
// answers. Deliveries that arrive while a commit is under way wait for the
// next one and share it (group commit): one transaction, one WAL flush and
// a handful of statements for a whole group instead of for each event. A
// lone delivery is committed at once; under load groups grow by themselves.
//
// The zero value is not usable; see New.
type Committer struct {
	db *db.DB
	rc *jobs.Client

	mu      sync.Mutex
	pending []*accept
	active  int                 // commits under way
	stamped map[int64]time.Time // when this process last stamped a portal
}

// accept is one delivery waiting for its group's commit.
type accept struct {
	portalID int64
	row      db.InboxRow
	done     chan error
}

// Group limits. Two commits overlap so that the database has the next
// group's statements while the previous one flushes; more would only
// split groups. A group is capped so a burst cannot build one
// transaction that holds many portals' rows for long.
const (
	intakeCommits  = 2
	intakeMaxGroup = 256
	intakeTimeout  = 10 * time.Second
)

// New returns a committer writing through d and rc.
func New(d *db.DB, rc *jobs.Client) *Committer { return &Committer{db: d, rc: rc} }

// Accept adds row to the portal's inbox and makes sure a drain will see it.
// It returns once that is committed, or with the error that prevented it.
// A caller that gives up (ctx done) may still find the row committed:
// duplicates are harmless, losses are not.
func (q *Committer) Accept(ctx context.Context, portalID int64, row db.InboxRow) error {
	a := &accept{portalID: portalID, row: row, done: make(chan error, 1)}
	q.mu.Lock()
	q.pending = append(q.pending, a)
	if q.active < intakeCommits {
		q.active++
		go q.commitLoop()
	}
	q.mu.Unlock()
	select {
	case err := <-a.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitLoop commits pending groups until none is left. It runs on its own
// goroutine, not a handler's, so no delivery's answer waits for others'
// groups.
func (q *Committer) commitLoop() {
	for {
		q.mu.Lock()
		n := min(len(q.pending), intakeMaxGroup)
		if n == 0 {
			q.active--
			q.mu.Unlock()
			return
		}
		group := slices.Clone(q.pending[:n])
		q.pending = slices.Delete(q.pending, 0, n)
		q.mu.Unlock()
		q.commitGroup(group)
	}
}

// commitGroup commits a group and tells each member the outcome. When the
// group fails as a whole, each delivery is retried in a transaction of its
// own, so that one bad row (a portal purged a moment ago, say) fails alone.
func (q *Committer) commitGroup(group []*accept) {
	ctx, cancel := context.WithTimeout(context.Background(), intakeTimeout)
	defer cancel()
	err := q.commit(ctx, group)
	if err == nil || len(group) == 1 {
		for _, a := range group {
			a.done <- err
		}
	} else {
		for _, a := range group {
			a.done <- q.commit(ctx, []*accept{a})
		}
	}
	q.stamp(ctx, group)
}

// stampEvery is how often a portal's last event time is written; a busy
// portal's every event would otherwise update the same row.
const stampEvery = 10 * time.Second

// stamp records the last event time of the group's portals that this
// process has not stamped within stampEvery. It runs after the answers:
// a failure costs only the freshness of what admins see.
func (q *Committer) stamp(ctx context.Context, group []*accept) {
	now := time.Now()
	var due []int64
	q.mu.Lock()
	if q.stamped == nil || len(q.stamped) > 100_000 {
		q.stamped = map[int64]time.Time{}
	}
	for _, a := range group {
		if now.Sub(q.stamped[a.portalID]) >= stampEvery {
			q.stamped[a.portalID] = now
			due = append(due, a.portalID)
		}
	}
	q.mu.Unlock()
	if len(due) > 0 {
		_ = db.StampLastEvent(ctx, q.db.Pool, due)
	}
}

// commit writes a group in one transaction: begin, one pipelined batch,
// commit, plus two statements when some portal in the group has no drain
// pending (the insert and the note of its id).
//
// The batch locks the group's portals FOR KEY SHARE, in id order, then
// asks which of them already have a drain that has not completed, by the
// id noted on the portal's row. With the lock held that answer stays true
// until this commit (a drain completes only under its portal's row FOR
// UPDATE, after finding the inbox empty; see jobs.EnqueueDrain), so that drain
// will see the rows, and River's unique insert is needed only for the
// others. A busy portal, whose events come faster than its drains finish,
// nearly always has one. The check is its own statement, after the lock:
// in READ COMMITTED it then sees a drain that completed while it waited.
func (q *Committer) commit(ctx context.Context, group []*accept) error {
	rows := make([]db.InboxRow, len(group))
	var ids []int64
	for i, a := range group {
		rows[i] = a.row
		rows[i].PortalID = a.portalID
		ids = append(ids, a.portalID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return pgx.BeginFunc(ctx, q.db.Pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		db.QueueInbox(b, rows)
		b.Queue(lockForIntake, ids)
		pending := map[int64]bool{}
		jobs.QueueDrainsPending(b, ids, pending)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("add to inbox: %w", err)
		}
		var drains []river.InsertManyParams
		now := time.Now()
		for _, id := range ids {
			if !pending[id] {
				drains = append(drains, jobs.GatheredDrain(id, now))
			}
		}
		if len(drains) == 0 {
			return nil
		}
		res, err := q.rc.InsertManyTx(ctx, tx, drains)
		if err != nil {
			return fmt.Errorf("enqueue drains: %w", err)
		}
		portals, drainIDs := make([]int64, len(res)), make([]int64, len(res))
		for i, r := range res {
			portals[i], drainIDs[i] = drains[i].Args.(jobs.DrainArgs).PortalID, r.Job.ID
		}
		if _, err := tx.Exec(ctx, noteDrains, portals, drainIDs); err != nil {
			return fmt.Errorf("note drains: %w", err)
		}
		return nil
	})
}

// lockForIntake is what jobs.EnqueueDrain locks, for a group. Id order keeps two groups
// that share portals from waiting on each other.
const lockForIntake = "SELECT 1 FROM installations WHERE id = ANY($1) ORDER BY id FOR KEY SHARE"

// noteDrains records each portal's drain; the insert returned the existing
// job where one was pending after all (enqueued by another path). A row
// another transaction has updated is skipped rather than waited for: that
// transaction may itself be waiting on this one's insert (the unique key),
// and an unnoted drain costs only the next group a needless insert.
const noteDrains = `UPDATE installations i SET drain_job = n.job
	FROM unnest($1::bigint[], $2::bigint[]) AS n(portal, job)
	WHERE i.id = n.portal AND i.id IN (
		SELECT id FROM installations WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED)`
