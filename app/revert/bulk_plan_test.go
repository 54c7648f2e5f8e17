package revert

import (
	"encoding/json"
	"testing"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

func stored(s string) json.RawMessage {
	return history.Value{Kind: history.KindText, Text: s}.Stored()
}

func changed(change int64, field, old, new string) db.HistoryRow {
	return db.HistoryRow{ChangeID: change, Field: field, ChangeKind: history.FieldChanged.String(), OldValue: stored(old), NewValue: stored(new)}
}

// Several selected changes of one record put each field back to its value
// before the first of them; a field someone changed after them, or
// between them, is in conflict.
func TestFromChanges(t *testing.T) {
	s := &history.Schema{Fields: map[string]history.Field{}}
	cases := []struct {
		name    string
		rows    []db.HistoryRow
		current string
		want    string
		clash   bool
	}{
		{"one change", []db.HistoryRow{changed(1, "TITLE", "A", "B")}, "B", "A", false},
		{"two changes", []db.HistoryRow{changed(1, "TITLE", "A", "B"), changed(2, "TITLE", "B", "C")}, "C", "A", false},
		{"changed after", []db.HistoryRow{changed(1, "TITLE", "A", "B")}, "X", "A", true},
		{"changed between", []db.HistoryRow{changed(1, "TITLE", "A", "B"), changed(3, "TITLE", "X", "C")}, "C", "A", true},
	}
	for _, c := range cases {
		got := FromChanges(s, c.rows, history.Snapshot{"TITLE": json.RawMessage(`"` + c.current + `"`)})
		if len(got) != 1 || got[0].Field != "TITLE" || got[0].Want.Text != c.want || got[0].Conflict != c.clash {
			t.Errorf("%s: %+v, want TITLE back to %s, conflict %v", c.name, got, c.want, c.clash)
		}
	}
}
