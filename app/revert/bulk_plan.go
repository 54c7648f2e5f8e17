package revert

import (
	"slices"
	"strings"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// FromChanges turns the selected rows of several changes of one record
// (oldest change first, a change's rows by field) into targets against
// the record's current state: every field goes back to what it held before
// the first selected change, the changes undone newest first, each over
// what undoing the newer ones left. A field is in conflict when a step
// does not find what its change left: someone changed the field after the
// selected changes, or between them.
func FromChanges(s *history.Schema, rows []db.HistoryRow, current history.Snapshot) []Target {
	var changes [][]db.HistoryRow
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].ChangeID == rows[i].ChangeID {
			j++
		}
		changes = append(changes, rows[i:j])
		i = j
	}
	state := map[string]history.Value{}
	conflict := map[string]bool{}
	for k := len(changes) - 1; k >= 0; k-- {
		ch := changes[k]
		for i := 0; i < len(ch); {
			j := i + 1
			for j < len(ch) && ch[j].Field == ch[i].Field {
				j++
			}
			name := ch[i].Field
			cur, seen := state[name]
			if !seen {
				cur = history.Normalize(s.Field(name), current[name])
			}
			want, c := undoField(cur, ch[i:j])
			state[name], conflict[name] = want, conflict[name] || c
			i = j
		}
	}
	out := make([]Target, 0, len(state))
	for name, want := range state {
		out = append(out, Target{Field: name, Want: want, Conflict: conflict[name]})
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// undoField undoes one change's rows of one field on its value: a changed
// value goes back to the old one (in conflict when the value is no longer
// the new one), items are undone one by one (undoItems).
func undoField(cur history.Value, rows []db.HistoryRow) (history.Value, bool) {
	if len(rows) == 1 && rows[0].ChangeKind == history.FieldChanged.String() {
		return decode(rows[0].OldValue), !cur.Equal(decode(rows[0].NewValue))
	}
	return undoItems(cur, rows)
}
