package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// Drain limits: records per round (one round = one batch fetch of the
// records and their companions, 50 commands per HTTP request, then one
// transaction), and how long one job may keep
// its worker before it snoozes to let other portals run.
const (
	drainRecords = 100
	drainRows    = 1000
	drainBudget  = 20 * time.Second
	fetchWait    = 30 * time.Second
)

// DrainArgs processes a portal's inbox: fetch, diff, write history.
type DrainArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

func (DrainArgs) Kind() string { return "drain_inbox" }

func (DrainArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueEvents) }

// DrainWorker turns a portal's inbox into history: it coalesces the events
// of each record, fetches the records' current state in batches, diffs
// against the stored snapshots, and in one transaction writes the history
// rows, the new snapshots and the removal of the inbox rows it handled. A
// crash anywhere before the commit leaves the inbox as it was; after it,
// nothing is left to repeat.
type DrainWorker struct {
	river.WorkerDefaults[DrainArgs]
	Deps
	// slots bounds how many drains of this process work the database at
	// once (see drainSlots); nil: no bound.
	slots chan struct{}
}

// drainSlots is how many drains of a process may read and write the
// database at once: one per core, or half the cores when the process also
// answers events. More do not finish sooner; they take the cores and
// connections the events handler needs to answer within its budget, and
// drains held back find more changes waiting when their turn comes, which
// they then handle in one round instead of many (`trail bench events`
// shows the difference; app/bench/README.md has the figures). The bound covers
// the database phases only: a drain waiting on a slow portal holds no
// slot, so such portals still cannot hold up the others.
func drainSlots(servesHTTP bool) chan struct{} {
	n := runtime.GOMAXPROCS(0)
	if servesHTTP {
		n = max(1, n/2)
	}
	return make(chan struct{}, n)
}

// hold takes a database slot, or fails when ctx ends first; release gives
// it back.
func (w *DrainWorker) hold(ctx context.Context) (release func(), err error) {
	if w.slots == nil {
		return func() {}, nil
	}
	select {
	case w.slots <- struct{}{}:
		return func() { <-w.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *DrainWorker) Timeout(*river.Job[DrainArgs]) time.Duration { return 2 * time.Minute }

func (w *DrainWorker) Work(ctx context.Context, job *river.Job[DrainArgs]) error {
	in, c, err := w.callable(ctx, job.Args.PortalID)
	if err != nil {
		return w.outcome(ctx, in, err) // the inbox waits for the portal to be callable again
	}
	d := &drain{DrainWorker: w, in: in, c: c, job: job, schemas: map[crm.Type]*history.Schema{}}
	start := time.Now()
	for {
		done, err := d.round(ctx)
		if err != nil {
			return w.outcome(ctx, in, err)
		}
		if done {
			return nil
		}
		if time.Since(start) > drainBudget {
			return river.JobSnooze(0) // back of the line; other portals go first
		}
	}
}

// drain is one job's state.
type drain struct {
	*DrainWorker
	in      *db.Installation
	c       *b24.Client
	job     *river.Job[DrainArgs]
	set     *db.Settings
	schemas map[crm.Type]*history.Schema
}

// pending is a record with everything the inbox said about it.
type pending struct {
	entity crm.Type
	id     int64
	kind   db.InboxKind // the latest event's kind; a hint only: the fetch decides
	rowIDs []int64
	origin history.Origin
	heard  time.Time // when Trail received the latest row (its own clock)
	// deletion is what the inbox can vouch for about a deletion, should
	// the portal confirm one.
	deletion deletion
	state    history.Snapshot // fetched; nil when gone
	gone     bool
	err      error // fetch failed: leave its rows for a later try
	fetched  bool  // its type was tracked when the round began
	unread   bool  // its stored snapshot lacks the extras a baseline leaves out
}

// deletion is who deleted a record and when, as far as Trail can vouch.
type deletion struct {
	heard time.Time // when Trail first received a delete event of it; zero: none came
	by    *int64    // the deleter, from the offline queue only
}

// round handles up to drainRecords records. It reports done when it
// found the inbox empty and completed the job (atomically; see
// EnqueueDrain). A round that took every row there was tries that in the
// transaction that writes them, which is the common end of a drain.
func (d *drain) round(ctx context.Context) (done bool, err error) {
	release, err := d.hold(ctx)
	if err != nil {
		return false, err
	}
	rows, recs, err := d.take(ctx)
	release()
	if err != nil {
		return false, err
	}
	if len(rows) == 0 {
		if release, err = d.hold(ctx); err != nil {
			return false, err
		}
		defer release()
		return completeIfDrained(ctx, d.DB, d.job)
	}
	if err := d.fetch(ctx, recs); err != nil {
		return false, err
	}
	if release, err = d.hold(ctx); err != nil {
		return false, err
	}
	defer release()
	var w written
	err = d.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		var (
			out db.Writes
			err error
		)
		if w, err = d.write(ctx, tx, &out, recs); err != nil {
			return err
		}
		if w.consumed == len(rows) && len(rows) < drainRows {
			done, err = completeInTx(ctx, tx, &out, d.job)
			return err
		}
		return out.Send(ctx, tx)
	})
	if err != nil {
		return false, err
	}
	if w.failed != nil && w.consumed == 0 {
		return false, w.failed // nothing moved: let River retry with backoff
	}
	return done, nil
}

// take reads the portal's oldest inbox rows and the settings that apply
// to them, and groups the rows by record.
func (d *drain) take(ctx context.Context) ([]db.InboxRow, []*pending, error) {
	rows, err := db.TakeInbox(ctx, d.DB.Bun, d.in.ID, drainRows)
	if err != nil || len(rows) == 0 {
		return nil, nil, err
	}
	// Settings are read every round and after the rows, to choose what to
	// fetch; write reads them again, so that an admin's change committed
	// before the history is written applies to it.
	if d.set, err = db.LoadSettings(ctx, d.DB.Bun, d.in.ID); err != nil {
		return nil, nil, err
	}
	return rows, coalesce(rows, drainRecords), nil
}

// coalesce groups inbox rows by record, keeping the first max records in
// inbox order. The latest row decides the kind (an update does not undo
// an addition); the latest online row
// decides how the change was made (offline and reconciliation rows know
// less). Nothing a delivery merely claims becomes a time or an author:
// times are when Trail received the rows, and a deleter is taken only from
// offline rows, which Trail read from the portal with its own grant.
func coalesce(rows []db.InboxRow, max int) []*pending {
	type record struct {
		t  crm.Type
		id int64
	}
	var out []*pending
	idx := map[record]*pending{}
	for _, r := range rows {
		key := record{r.Entity, r.EntityID}
		p := idx[key]
		if p == nil {
			if len(out) == max {
				continue
			}
			p = &pending{entity: r.Entity, id: r.EntityID}
			idx[key] = p
			out = append(out, p)
		}
		// An addition stays one when edits follow it: the offline queue
		// keeps a record's ADD and UPDATE apart, and either way the record
		// is new to Trail, so its state is its creation.
		if r.Kind != db.InboxUpdate || p.kind != db.InboxAdd {
			p.kind = r.Kind
		}
		p.heard = r.ReceivedAt
		p.rowIDs = append(p.rowIDs, r.ID)
		o := history.Origin{Delivery: r.Origin.Delivery(), UserAuth: r.UserAuth, AuthConnector: r.AuthConnector}
		if p.origin.Delivery != history.DeliveryEvent || o.Delivery == history.DeliveryEvent {
			p.origin = o
		}
		if r.Kind == db.InboxDelete {
			if p.deletion.heard.IsZero() {
				p.deletion.heard = r.ReceivedAt
			}
			if r.Origin == db.OriginOffline && r.ActorID != nil {
				p.deletion.by = r.ActorID
			}
		}
	}
	return out
}

// fetch reads the current state of every record, with its companions
// (product rows, link lists), through Trail's own grant, one HTTP request
// of whole records at a time. Only the portal's not-found makes a record
// deleted: a delete event is a hint to look, since anyone holding the
// application token (which every app frame of the portal can see) can
// send one.
//
// A request refused after others went through (the portal's rate limit,
// mostly) ends the fetch there: the records already read are handled and
// the rest wait in the inbox for the next round. Failing the whole round
// instead would throw away the requests it had spent, and a portal with
// more waiting than its limit lets through between two tries (a mass
// import) would spend its limit on the same records forever.
func (d *drain) fetch(ctx context.Context, recs []*pending) error {
	found, err := d.meta(ctx, recs)
	if err != nil {
		return err
	}
	var groups [][]*pending
	commands := 0
	for _, p := range recs {
		if !d.set.Tracks(p.entity) {
			continue
		}
		p.fetched = true
		n := 1 + len(companions(p.entity, db.HasProductRows(found, p.entity)))
		if len(groups) == 0 || commands+n > b24.MaxBatch {
			groups = append(groups, nil)
			commands = 0
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], p)
		commands += n
	}
	fctx, cancel := context.WithTimeout(ctx, fetchWait) // longer waits snooze the job
	defer cancel()
	for i, g := range groups {
		err := d.fetchGroup(fctx, g, found)
		if err == nil {
			continue
		}
		if i == 0 {
			return err
		}
		for _, rest := range groups[i:] {
			for _, p := range rest {
				p.state, p.gone, p.err = nil, false, err
			}
		}
		return nil
	}
	return nil
}

// fetchGroup reads the records of one request and their companions;
// found are the portal's types (which smart processes have rows).
func (d *drain) fetchGroup(ctx context.Context, recs []*pending, found []db.FoundType) error {
	var b b24.Batch
	extra := &companionReads{found: found}
	names := map[string]*pending{}
	for _, p := range recs {
		name := fmt.Sprintf("%s_%d", p.entity, p.id)
		addGet(&b, name, p.entity, p.id)
		names[name] = p
		extra.add(&b, p)
	}
	// NoWait: a rate limit or a failed attempt ends the round at once and
	// the job snoozes or retries, instead of the worker sleeping through
	// the client's backoff while other portals' drains queue behind it.
	res, err := d.c.Batch(ctx, &b, b24.NoWait())
	if err != nil {
		return err
	}
	for name, p := range names {
		raw, err := res.Result(name)
		switch {
		case errors.Is(err, b24.ErrNotFound):
			p.gone = true
		case err != nil:
			p.err = err
		default:
			schema, err := d.schema(ctx, d.DB.Bun, p.entity)
			if err != nil {
				return err
			}
			if p.state, err = parseGot(p.entity, schema, raw); err != nil {
				p.err = fmt.Errorf("%s %d: %w", p.entity, p.id, err)
			}
		}
	}
	return extra.complete(ctx, d.c, res, b24.NoWait())
}

// written is what a round's write did: the inbox rows it consumed, and
// the first fetch failure, whose rows stay for a later round.
type written struct {
	consumed int
	failed   error
}

// write records the changes of recs and consumes their inbox rows: it
// reads in tx and queues its writes in out, for the caller to send.
func (d *drain) write(ctx context.Context, tx db.Tx, out *db.Writes, recs []*pending) (written, error) {
	set, err := db.LoadSettings(ctx, tx, d.in.ID)
	if err != nil {
		return written{}, err
	}
	byEntity := map[crm.Type][]int64{}
	for _, p := range recs {
		if p.err == nil && p.counts(set) {
			byEntity[p.entity] = append(byEntity[p.entity], p.id)
		}
	}
	snaps := map[crm.Type]map[int64]*db.Snapshot{}
	for e, ids := range byEntity {
		m, err := db.SnapshotsFor(ctx, tx, d.in.ID, e, ids)
		if err != nil {
			return written{}, err
		}
		snaps[e] = m
	}
	if err := takeUnread(ctx, tx, d.in.ID, byEntity, recs); err != nil {
		return written{}, err
	}
	var (
		w        written
		hist     []*db.HistoryRow
		put      []*db.Snapshot
		consumed []int64
		changes  [][]*db.HistoryRow
		deleters []*pending
	)
	since, err := watchedSince(ctx, tx, d.in.ID)
	if err != nil {
		return written{}, err
	}
	now := time.Now().UTC()
	for _, p := range recs {
		if p.err != nil {
			if w.failed == nil {
				w.failed = p.err
			}
			continue
		}
		consumed = append(consumed, p.rowIDs...)
		if !p.counts(set) {
			continue
		}
		schema, err := d.schema(ctx, tx, p.entity)
		if err != nil {
			return written{}, err
		}
		v := decide(facts{portalID: d.in.ID, auth: d.in.AuthMode, set: set, schema: schema, now: now, since: since}, p, snaps[p.entity][p.id])
		if v.nameDeleter {
			deleters = append(deleters, p)
		}
		if v.snapshot != nil {
			put = append(put, v.snapshot)
		}
		if v.rows != nil {
			changes = append(changes, v.rows)
			hist = append(hist, v.rows...)
		}
	}
	var (
		ids     []int64
		reverts bool
	)
	if len(changes) > 0 {
		if ids, reverts, err = db.ChangeIDsAndReverts(ctx, tx, d.in.ID, len(changes)); err != nil {
			return written{}, err
		}
	}
	for i, rows := range changes {
		for _, r := range rows {
			r.ChangeID = ids[i]
		}
		if !reverts {
			continue
		}
		if err := attributeRevert(ctx, tx, rows); err != nil {
			return written{}, err
		}
	}
	if err := db.RecreatedCreations(ctx, tx, d.in.ID, changes); err != nil {
		return written{}, err
	}
	if err := db.AddHistory(ctx, out, hist); err != nil {
		return written{}, err
	}
	if err := db.PutSnapshots(ctx, out, put); err != nil {
		return written{}, err
	}
	for _, p := range deleters {
		if err := db.NameDeleter(ctx, out, d.in.ID, p.entity, p.id, *p.deletion.by); err != nil {
			return written{}, err
		}
	}
	if err := db.DeleteInbox(ctx, out, d.in.ID, consumed); err != nil {
		return written{}, err
	}
	w.consumed = len(consumed)
	return w, nil
}

// meta returns the portal's found types and, in the same read, loads the
// field metadata of recs' types that this job has not read yet.
func (d *drain) meta(ctx context.Context, recs []*pending) ([]db.FoundType, error) {
	kinds := []string{db.MetaTypes}
	entities := map[string]crm.Type{}
	for _, p := range recs {
		k := db.MetaFields(p.entity)
		_, known := d.schemas[p.entity]
		if _, asked := entities[k]; !known && !asked {
			entities[k] = p.entity
			kinds = append(kinds, k)
		}
	}
	raw, err := db.LoadMetas(ctx, d.DB.Bun, d.in.ID, kinds...)
	if err != nil {
		return nil, err
	}
	for k, e := range entities {
		d.schemas[e] = d.parseSchema(ctx, e, raw[k])
	}
	return db.ParseFoundTypes(raw[db.MetaTypes])
}

// schema returns the entity's field metadata (read at setup); without it
// values are compared by shape.
func (d *drain) schema(ctx context.Context, q bun.IDB, entity crm.Type) (*history.Schema, error) {
	if s, ok := d.schemas[entity]; ok {
		return s, nil
	}
	raw, err := db.LoadMeta(ctx, q, d.in.ID, db.MetaFields(entity))
	if err != nil {
		return nil, err
	}
	d.schemas[entity] = d.parseSchema(ctx, entity, raw)
	return d.schemas[entity], nil
}

// parseSchema reads stored field metadata; nil when there is none or it
// cannot be read (logged).
func (d *drain) parseSchema(ctx context.Context, entity crm.Type, raw json.RawMessage) *history.Schema {
	if raw == nil {
		return nil
	}
	s, err := history.ParseFields(raw)
	if err != nil {
		d.Log.WarnContext(ctx, "unreadable field metadata", "member_id", d.in.MemberID, "entity", entity.String(), "err", err)
		return nil
	}
	return s
}
