package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// fieldBaseline copies the deals as a sync job does, without the extras
// phase its end enqueues, and returns the requests the copy made.
func (b *bench) fieldBaseline(t *testing.T) int64 {
	t.Helper()
	in, c, err := b.deps.callable(b.ctx, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	before := b.p.Stats().Requests
	w := &SyncWorker{Deps: b.deps}
	if more, _, err := w.copy(b.ctx, in, c, st); err != nil || more {
		t.Fatalf("copy: more %v, %v", more, err)
	}
	return b.p.Stats().Requests - before
}

// startExtras sets the deals' extras phase to start, as the end of a sync
// does, without enqueueing it.
func (b *bench) startExtras(t *testing.T) {
	t.Helper()
	st, err := db.LoadExtrasState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	st.State, st.LastID, st.Done = db.SyncPending, 0, 0
	if err := db.SaveExtrasState(b.ctx, b.d.Bun, st); err != nil {
		t.Fatal(err)
	}
}

// storedRows is the PRODUCT_ROWS of deal id's snapshot, nil when it has
// none.
func (b *bench) storedRows(t *testing.T, id int64) json.RawMessage {
	t.Helper()
	s, err := db.SnapshotOf(b.ctx, b.d.Bun, b.portal, crm.Deal, id)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := history.ParseSnapshot(s.Data)
	if err != nil {
		t.Fatal(err)
	}
	return snap[history.ProductRows]
}

// portalRows are the product rows of records ids of ty as the drain's
// companion reads them now, in their stored form; one request.
func (b *bench) portalRows(t *testing.T, ty crm.Type, ids ...int64) map[int64]string {
	t.Helper()
	c := companions(ty, true)[0]
	var batch b24.Batch
	for _, id := range ids {
		batch.Add(fmt.Sprint(id), c.method, c.params(ty, id))
	}
	res, err := b.client(t).Batch(b.ctx, &batch)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, id := range ids {
		raw, err := res.Result(fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.value([]json.RawMessage{raw})
		if err != nil {
			t.Fatal(err)
		}
		out[id] = stored(t, v)
	}
	return out
}

// stored is a snapshot field's value in the form snapshots store it.
func stored(t *testing.T, v json.RawMessage) string {
	t.Helper()
	enc, err := history.Snapshot{"F": v}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(enc, &out); err != nil {
		t.Fatal(err)
	}
	return string(out["F"])
}

func (b *bench) pendingExtras(t *testing.T) int {
	t.Helper()
	return b.count(t, `SELECT count(*) FROM pending_extras WHERE portal_id = $1 AND entity = 2`, b.portal)
}

// TestBaselineLeavesRowsToTheExtrasPhase: the field baseline of N deals
// takes N/2,500 requests for the listing and as many for the contacts,
// none for the product rows; the extras phase then reads the rows 49
// deals a request and stores them as the portal has them, with no history.
func TestBaselineLeavesRowsToTheExtrasPhase(t *testing.T) {
	t.Parallel()
	const n = 1000
	b := newBench(t, b24test.Options{Deals: n, Contacts: 40, Seed: 5})
	if got, want := b.fieldBaseline(t), int64(2*((n+2499)/2500)); got > want {
		t.Errorf("field baseline of %d deals: %d requests, want at most %d", n, got, want)
	}
	if got := b.pendingExtras(t); got != n {
		t.Errorf("%d deals wait for their extras, want %d", got, n)
	}
	if rows := b.storedRows(t, 7); rows != nil {
		t.Errorf("the field baseline stored rows %s", rows)
	}
	b.startExtras(t)
	before := b.p.Stats().Requests
	b.done(t, ExtrasArgs{PortalID: b.portal, Entity: crm.Deal})
	if got, want := b.p.Stats().Requests-before, int64((n+48)/49); got > want {
		t.Errorf("extras phase of %d deals: %d requests, want at most %d", n, got, want)
	}
	if got := b.pendingExtras(t); got != 0 {
		t.Errorf("%d deals still wait for their extras", got)
	}
	withRows := 0
	ids := make([]int64, 30)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	for id, want := range b.portalRows(t, crm.Deal, ids...) {
		if got := b.storedRows(t, id); string(got) != want {
			t.Errorf("deal %d: rows stored %s, the portal has %s", id, got, want)
		}
		if want != "[]" {
			withRows++
		}
	}
	if withRows == 0 {
		t.Error("no deal has product rows: nothing was compared")
	}
	st, err := db.LoadExtrasState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != db.SyncDone || st.Done != n || st.Total != n || st.FinishedAt == nil {
		t.Errorf("extras state %s, %d of %d", st.State, st.Done, st.Total)
	}
	if c := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1`, b.portal); c != 0 {
		t.Errorf("%d history rows from a baseline", c)
	}
}

// TestExtrasPhaseResumes: a phase stopped while reading goes on after the
// last batch it stored: it reads again at most the batch in flight, and
// skips none.
func TestExtrasPhaseResumes(t *testing.T) {
	t.Parallel()
	const n = 400
	b := newBench(t, b24test.Options{Deals: n, Seed: 6})
	b.fieldBaseline(t)
	b.startExtras(t)
	ctx, stop := context.WithCancel(b.ctx)
	before := b.p.Stats().Requests
	go func() {
		defer stop()
		for b.p.Stats().Requests < before+3 {
			time.Sleep(time.Millisecond)
		}
	}()
	w := &ExtrasWorker{Deps: b.deps}
	if err := w.Work(ctx, &river.Job[ExtrasArgs]{Args: ExtrasArgs{PortalID: b.portal, Entity: crm.Deal}}); err == nil {
		t.Fatal("the stopped phase reported no error")
	}
	st, err := db.LoadExtrasState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != db.SyncRunning || st.Done == 0 || st.Done == n {
		t.Fatalf("stopped phase: %s, %d of %d done", st.State, st.Done, n)
	}
	if got := b.pendingExtras(t); int64(got) != n-st.Done {
		t.Errorf("%d deals wait, want %d", got, n-st.Done)
	}
	b.done(t, ExtrasArgs{PortalID: b.portal, Entity: crm.Deal})
	if got, want := b.p.Stats().Requests-before, int64((n+48)/49)+1; got > want {
		t.Errorf("stopped and resumed phase: %d requests, want at most %d (one batch read again)", got, want)
	}
	st, err = db.LoadExtrasState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != db.SyncDone || st.Done != n {
		t.Errorf("resumed phase: %s, %d of %d done", st.State, st.Done, n)
	}
	if got := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = 2 AND data ? 'PRODUCT_ROWS'`, b.portal); got != n {
		t.Errorf("%d deals have their rows, want %d", got, n)
	}
}

// TestDrainStoresUnreadRowsAsTheFirstState: a deal edited before the
// extras phase reached it gets its title change recorded once and its
// rows stored as they are, not as added; the phase leaves it alone (its
// rows are newer than the baseline), and a later change of its rows is
// recorded.
func TestDrainStoresUnreadRowsAsTheFirstState(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 5, Seed: 7})
	b.fieldBaseline(t)
	admin := b.p.AdminID()
	if err := b.p.UpdateRecord("deal", 1, admin, map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	// Deal 2's rows change after the baseline; its event is not handled
	// before the phase reads it.
	if err := b.p.SetProductRows("deal", 2, admin, []map[string]any{{"PRODUCT_NAME": "Desk", "PRICE": 5, "QUANTITY": 2}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{
		{Entity: crm.Deal, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline, UserAuth: true},
	}); err != nil {
		t.Fatal(err)
	}
	b.done(t, DrainArgs{PortalID: b.portal})
	// An event of deal 3 waits for its drain: the drain reads its rows.
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{
		{Entity: crm.Deal, EntityID: 3, Kind: db.InboxUpdate, Origin: db.OriginOnline, UserAuth: true},
	}); err != nil {
		t.Fatal(err)
	}
	b.startExtras(t)
	b.done(t, ExtrasArgs{PortalID: b.portal, Entity: crm.Deal})
	if rows := b.storedRows(t, 2); rows != nil {
		t.Errorf("the phase stored rows %s newer than deal 2's baseline", rows)
	}
	if rows := b.storedRows(t, 3); rows != nil {
		t.Errorf("the phase stored rows %s of deal 3, whose event waits for its drain", rows)
	}
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{
		{Entity: crm.Deal, EntityID: 2, Kind: db.InboxUpdate, Origin: db.OriginOnline, UserAuth: true},
	}); err != nil {
		t.Fatal(err)
	}
	b.done(t, DrainArgs{PortalID: b.portal})

	for id, want := range b.portalRows(t, crm.Deal, 1, 2, 3, 4, 5) {
		if got := b.storedRows(t, id); string(got) != want {
			t.Errorf("deal %d: rows stored %s, the portal has %s", id, got, want)
		}
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND field = 'PRODUCT_ROWS'`, b.portal); n != 0 {
		t.Errorf("%d product-row changes for rows Trail had not read before", n)
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 1 AND field = 'TITLE'`, b.portal); n != 1 {
		t.Errorf("%d title changes of deal 1, want 1", n)
	}
	if got := b.pendingExtras(t); got != 0 {
		t.Errorf("%d deals still wait for their extras", got)
	}
	s, err := db.SnapshotOf(b.ctx, b.d.Bun, b.portal, crm.Deal, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Learned[history.ProductRows]; !ok {
		t.Errorf("deal 1's rows are not marked as learned at its change: %v", s.Learned)
	}

	// Now the rows are known: changing them is history.
	if err := b.p.SetProductRows("deal", 1, admin, []map[string]any{{"PRODUCT_NAME": "Sofa", "PRICE": 100, "QUANTITY": 3}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{
		{Entity: crm.Deal, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline, UserAuth: true},
	}); err != nil {
		t.Fatal(err)
	}
	b.done(t, DrainArgs{PortalID: b.portal})
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 1 AND field = 'PRODUCT_ROWS' AND change_kind = $2`, b.portal, db.CodeAdded); n != 1 {
		t.Errorf("%d added rows of deal 1 after its rows were known, want 1", n)
	}
}

// TestExtrasPhaseOfEveryTypeWithRows: after setup, the baseline of each
// type with product rows (leads, estimates, smart invoices, a smart
// process with products) ends with its extras phase, which stores every
// record's rows as the portal has them.
func TestExtrasPhaseOfEveryTypeWithRows(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Leads: 30, Quotes: 30, SmartInvoices: 30, SmartProcesses: 1, SmartProcessItems: 30, Seed: 8})
	b.done(t, SetupArgs{PortalID: b.portal})
	found, err := db.FoundTypes(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	types := []crm.Type{crm.Lead, crm.Quote, crm.SmartInvoice}
	for _, f := range found {
		if f.Type.Dynamic() && f.Products {
			types = append(types, f.Type)
		}
	}
	if len(types) != 4 {
		t.Fatalf("found %+v: want a smart process with products", found)
	}
	for _, ty := range types {
		b.next(t, ty.String()+"'s extras phase", func(ev *river.Event) bool {
			var args ExtrasArgs
			return ev.Kind == river.EventKindJobCompleted && ev.Job.Kind == "baseline_extras" &&
				json.Unmarshal(ev.Job.EncodedArgs, &args) == nil && args.Entity == ty
		})
		st, err := db.LoadExtrasState(b.ctx, b.d.Bun, b.portal, ty)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != db.SyncDone || st.Done != 30 {
			t.Errorf("%s: extras %s, %d of 30", ty, st.State, st.Done)
		}
		ids := make([]int64, 30)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		withRows := 0
		for id, want := range b.portalRows(t, ty, ids...) {
			s, err := db.SnapshotOf(b.ctx, b.d.Bun, b.portal, ty, id)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := history.ParseSnapshot(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			if got := snap[history.ProductRows]; got == nil || stored(t, got) != want {
				t.Errorf("%s %d: rows stored %s, the portal has %s", ty, id, got, want)
			}
			if want != "[]" {
				withRows++
			}
		}
		if withRows == 0 {
			t.Errorf("no %s has product rows: nothing was compared", ty)
		}
	}
}

// TestExtrasPhaseOfAnOlderBaselineEnds: each baseline's extras phase is a
// job of its own (a resync's is never skipped as the duplicate of one
// still finishing); a job whose baseline is no longer the latest ends
// without reading or moving anything, and the latest one does the work.
func TestExtrasPhaseOfAnOlderBaselineEnds(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 60, Seed: 9})
	b.fieldBaseline(t)
	older := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	latest := older.Add(time.Hour)
	st, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	st.StartedAt = &latest
	if err := db.SaveSyncState(b.ctx, b.d.Bun, st); err != nil {
		t.Fatal(err)
	}
	b.startExtras(t)
	if ExtrasArgs.InsertOpts(ExtrasArgs{}).Priority != 4 {
		t.Error("the extras phase is not of the lowest priority")
	}
	w := &ExtrasWorker{Deps: b.deps}
	before := b.p.Stats().Requests
	if err := w.Work(b.ctx, &river.Job[ExtrasArgs]{Args: ExtrasArgs{PortalID: b.portal, Entity: crm.Deal, Baseline: older}}); err != nil {
		t.Fatal(err)
	}
	x, err := db.LoadExtrasState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	if n := b.p.Stats().Requests - before; n != 0 || x.State != db.SyncPending || b.pendingExtras(t) != 60 {
		t.Errorf("the older baseline's phase made %d requests and left it %s with %d waiting", n, x.State, b.pendingExtras(t))
	}
	b.done(t, ExtrasArgs{PortalID: b.portal, Entity: crm.Deal, Baseline: latest})
	if got := b.pendingExtras(t); got != 0 {
		t.Errorf("%d deals still wait after the latest baseline's phase", got)
	}
}
