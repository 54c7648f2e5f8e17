package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestRangesFromBounds: the ranges a split gives meet end to end from the
// last listed ID, each bounded one holding whole requests, the last open.
func TestRangesFromBounds(t *testing.T) {
	per := int64(rangePages * b24.PageSize)
	// 500 records listed from 0 to 500, 20,000 dense IDs left.
	got := rangesFrom(500, b24.SplitRanges(0, 500, 20_500, 500, int(per), 4))
	if len(got) != 4 || got[0].after != 500 || got[3].until != 0 {
		t.Fatalf("ranges %v, want 4 from 500, the last open", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].after != got[i-1].until {
			t.Errorf("range %d starts at %d, the one before ends at %d", i, got[i].after, got[i-1].until)
		}
	}
	for _, r := range got[:3] {
		if w := r.until - r.after; w < per-per/100 || w > 20_000/3 {
			t.Errorf("range %v is %d IDs wide", r, w)
		}
	}
	if rs := rangesFrom(77, nil); !slices.Equal(rs, []idRange{{after: 77}}) {
		t.Errorf("no bounds give %v, want one open range", rs)
	}
}

// TestRangesRoundTrip: progress in ranges is stored as pairs and read back
// the same; one open-ended range is stored as LastID alone, as a listing
// in order always was.
func TestRangesRoundTrip(t *testing.T) {
	for _, rs := range [][]idRange{
		{{after: 10, until: 20}, {after: 25, until: 40}, {after: 41}},
		{{after: 10, until: 20}},
		{{after: 77}},
	} {
		st := &db.SyncState{LastID: 5}
		setRanges(st, rs)
		if got := idRanges(st); !slices.Equal(got, rs) {
			t.Errorf("ranges %v read back as %v (stored %v, last %d)", rs, got, st.Ranges, st.LastID)
		}
		if len(rs) == 1 && rs[0].until == 0 && (st.Ranges != nil || st.LastID != rs[0].after) {
			t.Errorf("one open range %v stored as ranges %v, last %d", rs, st.Ranges, st.LastID)
		}
	}
	if got := idRanges(&db.SyncState{LastID: 9}); !slices.Equal(got, []idRange{{after: 9}}) {
		t.Errorf("a state without ranges reads as %v", got)
	}
}

// TestBaselineSplitsASlowListingAndResumes: when the portal answers a
// listing slowly, the baseline goes on in ID ranges listed at once; each
// turn stores its progress in every range, and the turns that follow
// resume there, so every deal is stored and counted exactly once.
func TestBaselineSplitsASlowListingAndResumes(t *testing.T) {
	t.Parallel()
	const n = 15000
	// Requests slow enough for the first chunk to be stored while every
	// range has requests left.
	b := newBench(t, b24test.Options{Deals: n, Cost: b24test.Cost{Base: 300 * time.Millisecond, PerCall: time.Millisecond}})
	in, c, err := b.deps.callable(b.ctx, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	// Any cost counts as slow, and every turn ends after one chunk.
	w := &SyncWorker{Deps: b.deps, slowRequest: time.Nanosecond, budget: time.Nanosecond}
	turns, split := 0, 0
	for more := true; more; turns++ {
		st, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
		if err != nil {
			t.Fatal(err)
		}
		st.Total = n
		if more, _, err = w.copy(b.ctx, in, c, st); err != nil {
			t.Fatalf("turn %d: %v", turns+1, err)
		}
		if more {
			saved, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
			if err != nil {
				t.Fatal(err)
			}
			split = max(split, len(saved.Ranges)/2)
		}
	}
	st, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d turns, up to %d ranges", turns, split)
	if split < 2 {
		t.Errorf("progress was saved in %d ranges, want the listing split", split)
	}
	if turns < 3 {
		t.Errorf("%d turns: the baseline did not resume", turns)
	}
	if st.Done != n || st.LastID != n || len(st.Ranges) != 0 {
		t.Errorf("after the last turn: done %d, last %d, ranges %v; want %d, %d, none", st.Done, st.LastID, st.Ranges, n, n)
	}
	if got := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = 2`, b.portal); got != n {
		t.Errorf("%d snapshots, want %d", got, n)
	}
}

// TestBaselineTurnEndsAtTheOperatingLimit: when the method's execution-time
// budget is spent and its reset lies past the job's deadline, the turn
// ends without an error: the requests already answered are stored, each
// range keeps its position, and the job is to wait for the reset rather
// than fail an attempt.
func TestBaselineTurnEndsAtTheOperatingLimit(t *testing.T) {
	t.Parallel()
	const n = 15000
	b := newBench(t, b24test.Options{Deals: n, Cost: b24test.Cost{PerCall: 20 * time.Millisecond},
		Limits: b24test.Limits{OperatingBudget: time.Second, OperatingWindow: 10 * time.Minute}})
	clients := *b.deps.Clients
	clients.Pacer = &b24.Pacer{Budget: time.Second}
	deps := b.deps
	deps.Clients = &clients
	in, c, err := deps.callable(b.ctx, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	st.Total = n
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	w := &SyncWorker{Deps: deps, slowRequest: time.Nanosecond}
	more, wait, err := w.copy(ctx, in, c, st)
	if err != nil {
		t.Fatalf("the turn failed: %v", err)
	}
	if !more || wait < 5*time.Minute {
		t.Errorf("the turn ended with more %v, wait %v; want more, and the wait for the window's reset", more, wait)
	}
	saved, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stored %d, ranges %v, wait %v", saved.Done, saved.Ranges, wait)
	if saved.Done == 0 || saved.Done >= n || len(saved.Ranges) < 4 {
		t.Errorf("after the turn: %d stored, ranges %v; want some stored and the ranges kept", saved.Done, saved.Ranges)
	}
	if got := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = 2`, b.portal); int64(got) != saved.Done {
		t.Errorf("%d snapshots, %d counted done", got, saved.Done)
	}
}

// TestEndsTurn: the limits asking to wait end a turn, for as long as they
// asked; a failure, even one met while waiting to retry, does not.
func TestEndsTurn(t *testing.T) {
	wait := &b24.WouldWaitError{Delay: 7 * time.Minute, Reason: "operating"}
	for _, tt := range []struct {
		err  error
		wait time.Duration
		ends bool
	}{
		{nil, 0, false},
		{b24.ErrAbandoned, 0, true},
		{wait, 7 * time.Minute, true},
		{fmt.Errorf("sync deal: %w", wait), 7 * time.Minute, true},
		{errors.Join(fmt.Errorf("%w: 502", b24.ErrServer), wait), 0, false},
		{fmt.Errorf("%w: Post request: %w", b24.ErrTransport, wait), 0, false},
		{b24.ErrNotFound, 0, false},
	} {
		if got, ends := endsTurn(tt.err); got != tt.wait || ends != tt.ends {
			t.Errorf("endsTurn(%v) = %v, %v; want %v, %v", tt.err, got, ends, tt.wait, tt.ends)
		}
	}
}

// TestInIDOrderKeepsPairs: sorting a chunk by ID keeps each record's state
// with its snapshot.
func TestInIDOrderKeepsPairs(t *testing.T) {
	ids := []int64{30, 10, 50, 20, 40}
	snaps := make([]*db.Snapshot, len(ids))
	states := make([]history.Snapshot, len(ids))
	for i, id := range ids {
		snaps[i] = &db.Snapshot{EntityID: id}
		states[i] = history.Snapshot{"ID": []byte(fmt.Sprint(id))}
	}
	inIDOrder(snaps, states)
	for i, s := range snaps {
		if want := int64(10 * (i + 1)); s.EntityID != want || string(states[i]["ID"]) != fmt.Sprint(want) {
			t.Errorf("position %d: snapshot %d with state %s, want %d", i, s.EntityID, states[i]["ID"], want)
		}
	}
}
