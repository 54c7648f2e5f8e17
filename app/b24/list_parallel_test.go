package b24

import (
	"slices"
	"testing"
)

func TestSplitRanges(t *testing.T) {
	// Dense IDs: the first request listed 2,450 rows up to ID 2450; 197,550
	// remain, 79.02 requests' worth, cut into 27 + 27 + the rest.
	got := SplitRanges(0, 2450, 200_000, 2450, 2500, 3)
	if len(got) != 2 {
		t.Fatalf("bounds %v", got)
	}
	for i, want := range []int64{2450 + 27*2500, 2450 + 54*2500} {
		// A whole number of requests' worth, a hair less for safety.
		if got[i] > want || got[i] < want-200 {
			t.Errorf("bound %d = %d, want just under %d", i, got[i], want)
		}
	}
	// Half the IDs are gaps: ranges twice as wide in IDs.
	sparse := SplitRanges(0, 4900, 400_000, 2450, 2500, 3)
	if sparse[0] < 4900+2*27*2500-400 || sparse[0] > 4900+2*27*2500 {
		t.Errorf("sparse bounds %v", sparse)
	}
	if !slices.IsSorted(sparse) {
		t.Errorf("bounds out of order: %v", sparse)
	}
	// Too little left to split.
	if b := SplitRanges(0, 2450, 4000, 2450, 2500, 3); b != nil {
		t.Errorf("split %v", b)
	}
	if b := SplitRanges(0, 2450, 2000, 2450, 2500, 3); b != nil {
		t.Errorf("split below the position: %v", b)
	}
}
