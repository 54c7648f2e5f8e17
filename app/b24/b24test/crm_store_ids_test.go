package b24test

import "testing"

// TestIDBoundsOfSeveralIDs: a filter on several IDs walks only the range
// between the least and the greatest of them (a page of 50 IDs costs 50
// records, not the portal's million); a value that is no integer narrows
// nothing.
func TestIDBoundsOfSeveralIDs(t *testing.T) {
	id := &field{name: "ID"}
	for _, tt := range []struct {
		cond   cond
		lo, hi int
	}{
		{cond{f: id, op: "@", vals: []string{"40", "3", "17"}}, 3, 40},
		{cond{f: id, op: "=", vals: []string{"5", "9"}}, 5, 9},
		{cond{f: id, op: "@", vals: []string{"5", "x"}}, 1, int(^uint(0) >> 1)},
		{cond{f: id, op: "!@", vals: []string{"5", "9"}}, 1, int(^uint(0) >> 1)},
	} {
		if lo, hi := idBounds([]cond{tt.cond}); lo != tt.lo || hi != tt.hi {
			t.Errorf("%s%v: [%d, %d], want [%d, %d]", tt.cond.op, tt.cond.vals, lo, hi, tt.lo, tt.hi)
		}
	}
}
