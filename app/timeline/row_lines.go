package timeline

import (
	"encoding/json"

	"github.com/trailhq/trail/app/history"
)

// RowLines are the product rows of a stored value (history.Value JSON),
// one line each, as the as-of view shows them.
func RowLines(raw json.RawMessage, p Printer) []string {
	var out []string
	for _, e := range flatten(decode(raw)) {
		if r, ok := history.ParseRow(e); ok {
			out = append(out, rowLine(r, p))
		}
	}
	return out
}
