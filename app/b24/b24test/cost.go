package b24test

import "time"

// Cost is the simulated server time of a REST request. The emulator
// reports it in the answer's time block (processing, operating), charges
// it to the operating budget and really waits it before answering, so a
// benchmark's wall clock reflects how the real service behaves. The zero
// value costs nothing.
type Cost struct {
	// Base is paid once per HTTP request (network and bootstrap).
	Base time.Duration
	// PerCall is paid by every method call, including each batch command.
	PerCall time.Duration
	// PerRow is paid for every row a method returns.
	PerRow time.Duration
	// PerField is paid for every selected standard field of every
	// returned row, PerUserField for every selected user (UF_) field,
	// which lives in a table of its own.
	PerField, PerUserField time.Duration
	// PerOffsetRow is paid for every row a list skips to reach its start
	// offset: deep offset pages get slower, keyset pages do not.
	PerOffsetRow time.Duration
	// PerCountedRow is paid for every row matching a list's filter when the
	// list counts its total (any start but -1).
	PerCountedRow time.Duration
}

// DefaultCost is a realistic-ish cloud portal: 30 ms per request, 2 ms per
// call, 20 µs per returned row, 2 µs per skipped or counted row. A
// 200,000-deal keyset scan in batches of 50 pages (80 requests) then costs
// about 80×30 ms + 4,000×2 ms + 200,000×20 µs ≈ 14.4 s of server time.
func DefaultCost() Cost {
	return Cost{
		Base:          30 * time.Millisecond,
		PerCall:       2 * time.Millisecond,
		PerRow:        20 * time.Microsecond,
		PerOffsetRow:  2 * time.Microsecond,
		PerCountedRow: 2 * time.Microsecond,
	}
}

// RealisticCost is calibrated on the one processing time the docs give
// (https://apidocs.bitrix24.com/settings/performance/huge-data.html): a
// 50-row keyset page of crm.item.list selecting 3 fields takes 0.0685 s of
// processing and 0.0979 s in all, so Base is the 29 ms between them and
// 40 ms + 50×(0.4 ms + 3×57 µs) ≈ 68.5 ms. The same page counting its
// 2,387,743-row total takes 49.90 s, about 20.9 µs per counted row. What a
// field costs beyond that is not documented: a user field is taken to cost
// twice a standard one. A page of every deal field is then several times
// the documented one, so a full listing of a large portal spends more
// than the operating budget.
func RealisticCost() Cost {
	return Cost{
		Base:          29 * time.Millisecond,
		PerCall:       40 * time.Millisecond,
		PerRow:        400 * time.Microsecond,
		PerField:      57 * time.Microsecond,
		PerUserField:  114 * time.Microsecond,
		PerOffsetRow:  2 * time.Microsecond,
		PerCountedRow: 20_900 * time.Nanosecond,
	}
}

// CostModel names a cost model for the command-line flags.
type CostModel string

// The cost models of `trail emulate` and `trail bench sync`.
const (
	CostOff       CostModel = "off"
	CostCheap     CostModel = "cheap"
	CostRealistic CostModel = "realistic"
)

// Cost returns the model's figures, or false for an unknown name.
func (m CostModel) Cost() (Cost, bool) {
	switch m {
	case CostOff:
		return Cost{}, true
	case CostCheap:
		return DefaultCost(), true
	case CostRealistic:
		return RealisticCost(), true
	}
	return Cost{}, false
}

// fieldsCost is the cost of rendering rows rows of the selected fields.
func (c Cost) fieldsCost(rows int, fields []*field) time.Duration {
	var per time.Duration
	for _, f := range fields {
		if f.uf {
			per += c.PerUserField
		} else {
			per += c.PerField
		}
	}
	return time.Duration(rows) * per
}

// listCost is the cost of one list page beyond PerCall.
func (c Cost) listCost(returned, skipped, counted int) time.Duration {
	return time.Duration(returned)*c.PerRow + time.Duration(skipped)*c.PerOffsetRow + time.Duration(counted)*c.PerCountedRow
}

// LegacyRowCost is what one row of crm.<entity>.list (deal, lead, contact
// or company) selecting sel costs, for benchmarks that predict a listing.
func (c Cost) LegacyRowCost(entity string, sel []string) time.Duration {
	et := entityTypeByName(entity)
	if et == nil {
		return c.PerRow
	}
	return c.PerRow + c.fieldsCost(1, legacySelect(et, sel))
}
