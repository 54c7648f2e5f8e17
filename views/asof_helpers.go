package views

import (
	"net/url"
	"time"

	"github.com/trailhq/trail/app/timeline"
)

// MomentLayout is how the as-of routes name an exact moment.
const MomentLayout = time.RFC3339Nano

// momentParam names, for a link, the moment just after a change (all of
// its fields applied) or just before it: a microsecond earlier, the
// precision changes are stored with.
func momentParam(at time.Time, before bool) string {
	if before {
		at = at.Add(-time.Microsecond)
	}
	return url.QueryEscape(at.UTC().Format(MomentLayout))
}

func emptyCount(fs []timeline.ShownField) int {
	n := 0
	for _, f := range fs {
		if f.Empty {
			n++
		}
	}
	return n
}
