package bench

import (
	"fmt"
	"math"

	"github.com/trailhq/trail/app/b24/b24test"
)

// heavyLimitPerS is how many deals a portal at the standard plan's rate
// limit lets Trail read per second: 2 requests/s of 50 batch commands, and
// each deal takes three (its get, its product rows, its contacts; see
// companions in jobs/companions.go).
const heavyLimitPerS = 2 * 50 / 3.0

// split places the events on portals: with skew s, the first portal (a
// mass import) gets the share s of them, spread evenly over the run, and
// the others go round the rest. Each event touches a record of its own, so
// each accepted event has exactly one history row to find (two changes of
// one record drained together rightly leave one row, which would read as a
// loss).
type split struct {
	portals int
	skew    float64
}

// heavyBefore is how many of the first i events go to the heavy portal.
func (sp split) heavyBefore(i int) int { return int(math.Floor(float64(i) * sp.skew)) }

// heavy reports whether event i goes to the heavy portal.
func (sp split) heavy(i int) bool { return sp.skew > 0 && sp.heavyBefore(i+1) > sp.heavyBefore(i) }

// target is event i's portal (an index) and record id.
func (sp split) target(i int) (portal, record int) {
	if sp.skew <= 0 {
		return i % sp.portals, i/sp.portals + 1
	}
	if sp.heavy(i) {
		return 0, sp.heavyBefore(i) + 1
	}
	j := i - sp.heavyBefore(i+1)
	return 1 + j%(sp.portals-1), j/(sp.portals-1) + 1
}

// records is how many deals the heavy portal and each other portal need
// for n events.
func (sp split) records(n int) (heavy, each int) {
	if sp.skew <= 0 {
		each = (n + sp.portals - 1) / sp.portals
		return each, each
	}
	heavy = sp.heavyBefore(n)
	rest := n - heavy
	return heavy, (rest + sp.portals - 2) / (sp.portals - 1)
}

// addHeavyDeals gives the heavy portal the deals it needs beyond the
// generated ones, before install, so that its baseline holds them.
func addHeavyDeals(p *b24test.Portal, generated, want int) error {
	for n := generated; n < want; n++ {
		if _, err := p.AddRecord("deal", p.AdminID(), map[string]any{"TITLE": fmt.Sprintf("import %d", n+1)}); err != nil {
			return fmt.Errorf("add deal to %s: %w", p.MemberID(), err)
		}
	}
	return nil
}
