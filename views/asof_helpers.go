package views

import (
	"net/url"
	"time"

	"github.com/trailhq/trail/app/timeline"
)

// MomentLayout is how the as-of routes name an exact moment.
const MomentLayout = time.RFC3339Nano

// momentQuery names, for a link, the moment just after an entry's change
// or just before it: the change itself, since changes made within one
// second share their time, and the time to show (for before, a
// microsecond earlier, the precision changes are stored with).
func momentQuery(e timeline.Entry, before bool) string {
	at, side := e.At, "after"
	if before {
		at, side = at.Add(-time.Microsecond), "before"
	}
	return url.Values{"at": {at.UTC().Format(MomentLayout)}, side: {itoa(e.ChangeID)}}.Encode()
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
