package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// ExtrasArgs asks for the extras phase of one type's baseline: the reads
// that take a command per record (baselineExtras), for the records the
// field baseline stored without them (db.MarkExtrasPending). It runs after
// the field baseline, behind every other sync job (lowest priority), and
// leaves half of the portal's rate limit to its drains (yield).
//
// Baseline is when the field baseline it follows began: each baseline's
// phase is a job of its own, so that one asked for while the previous
// phase's job is still finishing is not skipped as its duplicate (and then
// lost); a phase whose baseline is no longer the latest ends.
type ExtrasArgs struct {
	PortalID int64     `json:"portal_id" river:"unique"`
	Entity   crm.Type  `json:"entity" river:"unique"`
	Baseline time.Time `json:"baseline" river:"unique"`
}

func (ExtrasArgs) Kind() string { return "baseline_extras" }

func (ExtrasArgs) InsertOpts() river.InsertOpts {
	o := uniqueWhileWaiting(QueueSync)
	o.Priority = 4 // River's lowest: field baselines and reconciliation go first
	return o
}

// How the extras phase shares the portal and its worker: it sends a
// request only while the portal's bucket is at most extrasShare full, so
// the portal's drains always find the rest; it waits for that at most
// extrasWait in the worker, else snoozes; after extrasBudget it snoozes so
// that other portals take their turns.
const (
	extrasShare  = 0.5
	extrasWait   = 5 * time.Second
	extrasBudget = 2 * time.Minute
)

// ExtrasWorker runs ExtrasArgs. It walks the records still lacking their
// extras in ID order, 50 commands per request, and stores each batch and
// its cursor in one transaction, so a stopped worker reads again at most
// the batch it was reading.
type ExtrasWorker struct {
	river.WorkerDefaults[ExtrasArgs]
	Deps
}

func (w *ExtrasWorker) Timeout(*river.Job[ExtrasArgs]) time.Duration {
	return extrasBudget + time.Minute
}

func (w *ExtrasWorker) Work(ctx context.Context, job *river.Job[ExtrasArgs]) error {
	in, c, err := w.callable(ctx, job.Args.PortalID)
	if err != nil {
		return w.outcome(ctx, in, err)
	}
	t := job.Args.Entity
	sync, err := db.LoadSyncState(ctx, w.DB.Bun, in.ID, t)
	if err != nil {
		return err
	}
	if !sameMoment(sync.StartedAt, job.Args.Baseline) {
		return nil // a newer baseline began: its own phase follows it
	}
	st, err := db.LoadExtrasState(ctx, w.DB.Bun, in.ID, t)
	if err != nil {
		return err
	}
	switch st.State {
	case db.SyncDone:
		return nil
	case db.SyncPending:
		n, err := db.CountPendingExtras(ctx, w.DB.Bun, in.ID, t)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond) // as stored
		st.State, st.Total, st.Done, st.LastID, st.StartedAt, st.FinishedAt = db.SyncRunning, n, 0, 0, &now, nil
		if err := db.SaveExtrasState(ctx, w.DB.Bun, st); err != nil {
			return err
		}
	}
	found, err := db.FoundTypes(ctx, w.DB.Bun, in.ID)
	if err != nil {
		return err
	}
	per := len(baselineExtras(t, db.HasProductRows(found, t)))
	if per == 0 {
		return w.finish(ctx, st)
	}
	start := time.Now()
	for time.Since(start) < extrasBudget {
		// One command of the batch lists the records' modification times.
		ids, err := db.PendingExtras(ctx, w.DB.Bun, in.ID, t, st.LastID, (b24.MaxBatch-1)/per)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return w.finish(ctx, st)
		}
		if err := w.yield(ctx, c); err != nil {
			return w.outcome(ctx, in, err)
		}
		read, err := readExtras(ctx, c, t, found, ids)
		if err != nil {
			return w.outcome(ctx, in, err)
		}
		kept, err := w.merge(ctx, st, read)
		if err != nil {
			return err
		}
		if !kept {
			return river.JobSnooze(0) // a new baseline reset the phase: start over
		}
	}
	return river.JobSnooze(0) // back of the line; other portals go first
}

// yield waits until the portal's bucket is at most extrasShare full, or
// snoozes the job when that is further off than extrasWait. Limiters that
// cannot tell their level (a client's own, in tests) are not waited for.
func (w *ExtrasWorker) yield(ctx context.Context, c *b24.Client) error {
	lv, ok := w.Clients.Limiter.(interface {
		UntilBelow(ctx context.Context, portal string, share float64) (time.Duration, error)
	})
	if !ok {
		return nil
	}
	d, err := lv.UntilBelow(ctx, c.Portal(), extrasShare)
	if err != nil || d == 0 {
		return err
	}
	if d > extrasWait {
		return &b24.WouldWaitError{Delay: d, Reason: "rate"}
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// extrasRead is what the phase read of one record.
type extrasRead struct {
	id       int64
	fields   history.Snapshot // the extras' fields
	modified time.Time        // the record's modification time, read after them
	ok       bool             // every read succeeded and the record was listed
}

// readExtras reads the extras of records ids of t in one batch, and lists
// their modification times after them: the portal answers a batch's
// commands in order, and a change of a record's product rows moves its
// modification time, so rows read before an unchanged time are the
// record's rows at that time. Whether a change of links moves it is not
// documented; merge also leaves a record whose event waits to its drain.
func readExtras(ctx context.Context, c *b24.Client, t crm.Type, found []db.FoundType, ids []int64) ([]extrasRead, error) {
	var b b24.Batch
	extra := &companionReads{found: found, listed: true}
	recs := make([]pending, len(ids))
	for i, id := range ids {
		recs[i] = pending{entity: t, id: id, state: history.Snapshot{}}
		extra.add(&b, &recs[i])
	}
	b.Add("modified", "crm.item.list", b24.Params{"entityTypeId": int(t), "select": []string{"id", "updatedTime"},
		"filter": b24.Params{"@id": ids}, "order": b24.Params{"id": "ASC"}})
	res, err := c.Batch(ctx, &b)
	if err != nil {
		return nil, err
	}
	raw, err := res.Result("modified")
	if err != nil {
		return nil, fmt.Errorf("%s modification times: %w", t, err)
	}
	var ans struct {
		Items []struct {
			ID          int64           `json:"id"`
			UpdatedTime json.RawMessage `json:"updatedTime"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("%s modification times: %w", t, err)
	}
	modified := make(map[int64]time.Time, len(ans.Items))
	for _, it := range ans.Items {
		if at, ok := history.When(history.Snapshot{"DATE_MODIFY": it.UpdatedTime}); ok {
			modified[it.ID] = at
		}
	}
	if err := extra.complete(ctx, c, res); err != nil {
		return nil, err
	}
	out := make([]extrasRead, len(recs))
	for i, p := range recs {
		at, listed := modified[p.id]
		out[i] = extrasRead{id: p.id, fields: p.state, modified: at, ok: listed && p.err == nil}
	}
	return out, nil
}

// merge stores the extras read into the snapshots still lacking them, and
// the phase's progress, in one transaction. A record is left for its next
// drain when its stored state is older than the read or an event of it
// waits in the inbox (it changed since the baseline: the drain that
// handles that change reads its extras with it), or a drain took it
// meanwhile; a field the snapshot has is never replaced. merge reports
// false when a new baseline reset the phase.
func (w *ExtrasWorker) merge(ctx context.Context, st *db.ExtrasState, read []extrasRead) (bool, error) {
	kept := true
	err := w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		ids := make([]int64, len(read))
		for i, r := range read {
			ids[i] = r.id
		}
		snaps, err := db.SnapshotsFor(ctx, tx, st.PortalID, st.Entity, ids)
		if err != nil {
			return err
		}
		waiting, err := db.InboxWaiting(ctx, tx, st.PortalID, st.Entity, ids)
		if err != nil {
			return err
		}
		var same []int64
		for _, r := range read {
			s := snaps[r.id]
			if r.ok && !waiting[r.id] && s != nil && s.DeletedAt == nil && s.ModifiedAt != nil && s.ModifiedAt.Equal(r.modified) {
				same = append(same, r.id)
			}
		}
		taken, err := db.TakeExtrasPending(ctx, tx, st.PortalID, st.Entity, same)
		if err != nil {
			return err
		}
		var put []*db.Snapshot
		for _, r := range read {
			if !taken[r.id] {
				continue
			}
			s := snaps[r.id]
			data, err := history.ParseSnapshot(s.Data)
			if err != nil {
				return fmt.Errorf("%s %d: %w", st.Entity, r.id, err)
			}
			for f, v := range r.fields {
				if _, ok := data[f]; !ok {
					data[f] = v
				}
			}
			if s.Data, err = data.Encode(); err != nil {
				return err
			}
			put = append(put, s)
		}
		if err := db.PutSnapshots(ctx, tx, put); err != nil {
			return err
		}
		kept, err = db.AdvanceExtras(ctx, tx, st, read[len(read)-1].id, int64(len(read)))
		return err
	})
	return kept, err
}

// finish marks the phase done, unless a new baseline reset it meanwhile.
func (w *ExtrasWorker) finish(ctx context.Context, st *db.ExtrasState) error {
	done, err := db.FinishExtras(ctx, w.DB.Bun, st)
	if err != nil {
		return err
	}
	if !done {
		return river.JobSnooze(0)
	}
	return nil
}

// hasExtras reports whether t's records have reads a baseline leaves to
// its extras phase.
func hasExtras(ctx context.Context, q bun.IDB, portalID int64, t crm.Type) (bool, error) {
	found, err := db.FoundTypes(ctx, q, portalID)
	if err != nil {
		return false, err
	}
	return len(baselineExtras(t, db.HasProductRows(found, t))) > 0, nil
}

// sameMoment reports whether a stored moment (microseconds; nil: none) is
// at, which a job's arguments carry to the nanosecond.
func sameMoment(stored *time.Time, at time.Time) bool {
	if stored == nil {
		return at.IsZero()
	}
	return stored.Truncate(time.Microsecond).Equal(at.Truncate(time.Microsecond))
}

// startExtras makes the extras phase of t start over from its first
// record, in tx: the field baseline of t that began at baseline has just
// ended.
func startExtras(ctx context.Context, tx db.Tx, rc *Client, portalID int64, t crm.Type, baseline time.Time) error {
	st, err := db.LoadExtrasState(ctx, tx, portalID, t)
	if err != nil {
		return err
	}
	st.State, st.LastID, st.Done, st.Total, st.StartedAt, st.FinishedAt = db.SyncPending, 0, 0, 0, nil, nil
	if err := db.SaveExtrasState(ctx, tx, st); err != nil {
		return err
	}
	return Enqueue(ctx, tx, rc, ExtrasArgs{PortalID: portalID, Entity: t, Baseline: baseline})
}

// takeUnread marks the records of a drain's round whose stored snapshot
// still lacks its extras (unread), and clears that in tx: the round stores
// the extras its fetch read with them. byEntity are the records it decides.
func takeUnread(ctx context.Context, tx db.Tx, portalID int64, byEntity map[crm.Type][]int64, recs []*pending) error {
	for e, ids := range byEntity {
		taken, err := db.TakeExtrasPending(ctx, tx, portalID, e, ids)
		if err != nil {
			return err
		}
		for _, p := range recs {
			if p.entity == e && taken[p.id] {
				p.unread = true
			}
		}
	}
	return nil
}

// firstRead is the stored state old of a record to diff its fetched state
// against: for a record whose extras the baseline left unread, the extras
// just fetched join it as they are, since they are the first state Trail
// knows of them, not a change from nothing (and the snapshot learns them
// now; see learned).
func firstRead(p *pending, old history.Snapshot) history.Snapshot {
	if !p.unread {
		return old
	}
	out := maps.Clone(old)
	for _, c := range companions(p.entity, true) {
		if _, ok := old[c.field]; ok {
			continue
		}
		if v, ok := p.state[c.field]; ok {
			out[c.field] = v
		}
	}
	return out
}
