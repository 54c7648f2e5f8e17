package jobs

import (
	"slices"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestCutRanges: the IDs left are cut into ranges of equal width that
// meet end to end, none narrower than one request of pages, the last
// open-ended.
func TestCutRanges(t *testing.T) {
	min := int64(rangePages * b24.PageSize)
	for _, tt := range []struct {
		after, top int64
		n          int
		want       []idRange
	}{
		{0, 8 * min, 8, []idRange{{0, min}, {min, 2 * min}, {2 * min, 3 * min}, {3 * min, 4 * min},
			{4 * min, 5 * min}, {5 * min, 6 * min}, {6 * min, 7 * min}, {7 * min, 0}}},
		{500, 6000, 8, []idRange{{500, 1188}, {1188, 1876}, {1876, 2564}, {2564, 3252},
			{3252, 3940}, {3940, 4628}, {4628, 5316}, {5316, 0}}},
		{100, 100 + 2*min, 8, []idRange{{100, 100 + min}, {100 + min, 0}}},
		{100, 100 + min/2, 8, []idRange{{100, 0}}},
		{100, 100, 8, []idRange{{100, 0}}},
		{100, 50, 8, []idRange{{100, 0}}},
	} {
		got := cutRanges(tt.after, tt.top, tt.n)
		if !slices.Equal(got, tt.want) {
			t.Errorf("cutRanges(%d, %d, %d) = %v, want %v", tt.after, tt.top, tt.n, got, tt.want)
		}
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
	b := newBench(t, b24test.Options{Deals: n, Cost: b24test.DefaultCost()})
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
		if more, err = w.copy(b.ctx, in, c, st); err != nil {
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
