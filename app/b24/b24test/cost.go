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

// listCost is the cost of one list page beyond PerCall.
func (c Cost) listCost(returned, skipped, counted int) time.Duration {
	return time.Duration(returned)*c.PerRow + time.Duration(skipped)*c.PerOffsetRow + time.Duration(counted)*c.PerCountedRow
}
