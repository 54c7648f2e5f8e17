package revert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// bulkWait is how long one request of a bulk revert waits for the
// portal's rate limit before the job gives its worker back (snoozes).
const bulkWait = 30 * time.Second

// ReasonNoChange: the record's selected changes are no longer in Trail's
// history (retention removed them since the bulk revert started).
const ReasonNoChange = "no_change"

// Run works a bulk revert for up to budget: records in chunks whose
// current state one batch request reads, their writes batched (50
// commands a request), every request paced by the portal's shared rate
// limit. Each record's outcome is stored before the next chunk, so a run
// that stops anywhere resumes where it was and writes no record twice: a
// record whose write was sent is read again, and counts as restored when
// the portal holds its targets already. It reports whether records are
// left. A refused token pauses the bulk revert (PausedToken).
func (b *Bulk) Run(ctx context.Context, portalID, id int64, budget time.Duration) (more bool, err error) {
	bk, err := db.BulkRevertByID(ctx, b.DB.Bun, portalID, id)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil || bk.State != db.BulkRunning {
		return false, err
	}
	in, err := db.InstallationByID(ctx, b.DB.Bun, portalID)
	if err != nil {
		return false, err
	}
	if in.Status != db.StatusActive {
		return false, nil // the page's next poll enqueues it again
	}
	token := b.open(bk)
	if token == "" {
		return false, b.pause(ctx, bk)
	}
	c := b.Clients.AsUser(in, token, bulkWait)
	deadline := time.Now().Add(budget)
	for time.Now().Before(deadline) {
		// An administrator may stop it between two chunks.
		if now, err := db.BulkRevertByID(ctx, b.DB.Bun, portalID, id); err != nil || now.State != db.BulkRunning {
			return false, err
		}
		recs, err := db.NextBulkRecords(ctx, b.DB.Bun, portalID, id, bulkChunk)
		if err != nil {
			return false, err
		}
		if len(recs) == 0 {
			return false, db.SetBulkState(ctx, b.DB.Bun, portalID, id, db.BulkDone, "", nil)
		}
		err = b.chunk(ctx, c, bk, recs, deadline)
		switch {
		case errors.Is(err, ErrToken):
			return false, b.pause(ctx, bk)
		case err != nil:
			return false, err
		}
	}
	return true, nil
}

func (b *Bulk) pause(ctx context.Context, bk *db.BulkRevert) error {
	return db.SetBulkState(ctx, b.DB.Bun, bk.PortalID, bk.ID, db.BulkPaused, PausedToken, nil)
}

// chunk reverts records of one type: as many as one batch request reads
// (the rest wait for the next chunk), their writes 50 commands a request.
// Each request's records are stored as being written, with their audits,
// before it is sent, and with their outcomes after; an administrator's
// stop or the end of the budget ends the chunk between two requests, and
// the records left are read again by the next one.
func (b *Bulk) chunk(ctx context.Context, c *b24.Client, bk *db.BulkRevert, recs []db.BulkRecord, deadline time.Time) error {
	t := recs[0].Entity
	schema, err := (&Service{DB: b.DB}).schema(ctx, bk.PortalID, t)
	if err != nil {
		return err
	}
	if schema == nil {
		return fmt.Errorf("bulk revert %d: no field list of %s", bk.ID, t)
	}
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.EntityID
	}
	sel, err := db.BulkChangeRows(ctx, b.DB.Bun, bk.PortalID, bk.Filter(bulkTypes()), t, ids)
	if err != nil {
		return err
	}
	links, rows := needs(t, sel)
	recs = recs[:min(len(recs), chunkSize(links, rows))]
	cur, refused, err := readMany(ctx, c, t, ids[:len(recs)], listFields(t, sel), links, rows)
	if err != nil {
		return err
	}
	var writes []recordWrite
	var settled []db.BulkRecord
	for i := range recs {
		r := &recs[i]
		wasWriting := r.State == db.BulkRecordWriting
		switch reason, isRefused := refused[r.EntityID]; {
		case len(sel[r.EntityID]) == 0:
			r.Outcome, r.Reason, r.Fields = db.BulkSkipped, ReasonNoChange, nil
		case isRefused:
			r.Outcome, r.Reason = db.BulkRefused, reason
		case wasWriting && landed(schema, cur[r.EntityID], r.Fields):
			r.Outcome, r.Reason = db.BulkRestored, ""
		default:
			next := *r
			if w, ok := plan(schema, &next, sel[r.EntityID], cur[r.EntityID]); ok {
				next.State = db.BulkRecordWriting
				writes = append(writes, recordWrite{rec: &next, calls: w.calls()})
				continue
			}
			*r = next
		}
		r.State = db.BulkRecordDone
		settled = append(settled, *r)
	}
	if err := db.SaveBulkRecords(ctx, b.DB.Bun, settled); err != nil {
		return err
	}
	for len(writes) > 0 {
		n, cmds := 0, 0
		for n < len(writes) && (n == 0 || cmds+len(writes[n].calls) <= b24.MaxBatch) {
			cmds += len(writes[n].calls)
			n++
		}
		if err := b.send(ctx, c, bk, t, writes[:n]); err != nil {
			return err
		}
		writes = writes[n:]
		if len(writes) == 0 || time.Now().After(deadline) {
			return nil
		}
		// An administrator may stop it between two requests.
		if now, err := db.BulkRevertByID(ctx, b.DB.Bun, bk.PortalID, bk.ID); err != nil || now.State != db.BulkRunning {
			return err
		}
	}
	return nil
}

// send writes records in one request: their audits and their state
// "writing" are stored first (the drain may see a write's change before the
// batch answers, and finds its revert then), their outcomes after.
func (b *Bulk) send(ctx context.Context, c *b24.Client, bk *db.BulkRevert, t crm.Type, writes []recordWrite) error {
	audits := make([]*db.Revert, len(writes))
	err := b.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		recs := make([]db.BulkRecord, len(writes))
		for i, w := range writes {
			audits[i] = &db.Revert{PortalID: bk.PortalID, Key: newKey(), UserID: bk.UserID, Entity: t, EntityID: w.rec.EntityID,
				ChangeID: w.rec.ChangeID, Field: bk.Field, Fields: w.rec.Fields}
			if err := db.ReplaceBulkAudit(ctx, tx, audits[i], bk.ID); err != nil {
				return err
			}
			recs[i] = *w.rec
		}
		return db.SaveBulkRecords(ctx, tx, recs)
	})
	if err != nil {
		return err
	}
	if err := sendBatch(ctx, c, writes); err != nil {
		return err
	}
	return b.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		done := make([]db.BulkRecord, len(writes))
		for i, w := range writes {
			w.rec.State = db.BulkRecordDone
			w.rec.Outcome, w.rec.Reason = outcomeOf(w.rec.Fields)
			done[i] = *w.rec
			if w.rec.Outcome != db.BulkRestored || slices.ContainsFunc(w.rec.Fields, func(f db.RevertField) bool { return f.Outcome == db.OutcomeRefused }) {
				if err := db.FinishRevert(ctx, tx, bk.PortalID, audits[i].ID, w.rec.Fields); err != nil {
					return err
				}
			}
		}
		return db.SaveBulkRecords(ctx, tx, done)
	})
}

// recordWrite is one record's write: its calls, in order.
type recordWrite struct {
	rec   *db.BulkRecord
	calls []call
}

// needs says whether the selected changes touch the linked records or the
// product rows, which are read apart from the record.
func needs(t crm.Type, sel map[int64][]db.HistoryRow) (links, rows bool) {
	field, _, _ := linkField(t)
	for _, rs := range sel {
		for _, r := range rs {
			links = links || field != "" && r.Field == field
			rows = rows || (t == crm.Deal || t == crm.Lead) && r.Field == history.ProductRows
		}
	}
	return links, rows
}

// plan decides what becomes of a record's fields and, when any is to be
// written, returns its write. The record's outcome is what the write
// would make it; the write's answer may still refuse fields.
func plan(schema *history.Schema, r *db.BulkRecord, sel []db.HistoryRow, cur history.Snapshot) (write, bool) {
	w := write{t: r.Entity, id: r.EntityID}
	r.Fields = Plan(schema, cur, FromChanges(schema, sel, cur))
	some := false
	for i := range r.Fields {
		f := &r.Fields[i]
		switch {
		case !f.Writable:
			f.Outcome = db.OutcomeSkipped
		case f.Conflict:
			f.Outcome, f.Reason = db.OutcomeConflict, ReasonChanged
		case f.Reason == ReasonSame:
			f.Outcome = db.OutcomeSkipped
		default:
			f.Outcome, some = db.OutcomeWritten, true
			field := schema.Field(f.Field)
			w.add(field, history.Normalize(field, cur[f.Field]), decode(f.Target))
		}
	}
	r.Outcome, r.Reason = outcomeOf(r.Fields)
	return w, some
}

// outcomeOf is a record's outcome from its fields': restored when a field
// was written, else the first conflict, refusal or skip, with its reason.
func outcomeOf(fields []db.RevertField) (string, string) {
	for _, o := range []struct{ field, record string }{
		{db.OutcomeWritten, db.BulkRestored}, {db.OutcomeConflict, db.BulkConflict}, {db.OutcomeRefused, db.BulkRefused},
	} {
		if i := slices.IndexFunc(fields, func(f db.RevertField) bool { return f.Outcome == o.field }); i >= 0 {
			return o.record, fields[i].Reason
		}
	}
	if len(fields) > 0 {
		return db.BulkSkipped, fields[0].Reason
	}
	return db.BulkSkipped, ReasonSame
}

// landed reports whether the portal holds every target a record's earlier
// run sent: its write went through before that run stopped.
func landed(schema *history.Schema, cur history.Snapshot, fields []db.RevertField) bool {
	sent := false
	for _, f := range fields {
		if f.Outcome != db.OutcomeWritten {
			continue
		}
		sent = true
		if !history.SameValue(history.Normalize(schema.Field(f.Field), cur[f.Field]), decode(f.Target)) {
			return false
		}
	}
	return sent
}

// sendBatch sends the records' calls in one request (a record's calls in
// order) and files each command's refusal on the fields it wrote.
func sendBatch(ctx context.Context, c *b24.Client, writes []recordWrite) error {
	var bt b24.Batch
	for i, w := range writes {
		for j, cl := range w.calls {
			bt.Add(fmt.Sprintf("w%d_%d", i, j), cl.method, cl.params)
		}
	}
	res, err := c.Batch(ctx, &bt)
	if err != nil {
		return requestError(err)
	}
	for i, w := range writes {
		for j, cl := range w.calls {
			if _, err := res.Result(fmt.Sprintf("w%d_%d", i, j)); err != nil {
				reason := err.Error()
				var refused *refusal
				if errors.As(portalError(err), &refused) {
					reason = refused.reason
				}
				for k := range w.rec.Fields {
					if slices.Contains(cl.fields, w.rec.Fields[k].Field) {
						w.rec.Fields[k].Outcome, w.rec.Fields[k].Reason = db.OutcomeRefused, reason
					}
				}
			}
		}
	}
	return nil
}

// requestError sorts a failed request of a bulk revert: a token the portal
// no longer takes (expired, and with no refresh token to renew it: the
// token is the administrator's) pauses the job; anything else is what
// portalError says.
func requestError(err error) error {
	if errors.Is(err, b24.ErrReauthRequired) {
		return ErrToken
	}
	return portalError(err)
}
