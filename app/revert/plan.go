// Package revert puts fields of a CRM record back as Trail recorded them
// before a change, through the portal, with the acting person's own token:
// Bitrix24's edit rights decide, and the portal reports the write like any
// edit of that person (the drain records it as a revert).
//
// Its input is a list of targets, a value per field; the values come only
// from Trail's stored history, never from the request, so a revert writes
// only values Trail observed in the portal.
package revert

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// Target is a field to put back: the whole value to write, and whether the
// field changed again after the change that is reverted.
type Target struct {
	Field    string
	Want     history.Value
	Conflict bool
}

// FromChange turns the rows of one change into targets against the
// record's current state: a field's old value, or, for fields holding
// several values, the current values with the change's additions taken
// out and its removals put back. A field is in conflict when the portal's
// value is no longer what the change left.
func FromChange(s *history.Schema, rows []db.HistoryRow, current history.Snapshot) []Target {
	var out []Target
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].Field == rows[i].Field {
			j++
		}
		name := rows[i].Field
		want, conflict := undoField(history.Normalize(s.Field(name), current[name]), rows[i:j])
		out = append(out, Target{Field: name, Want: want, Conflict: conflict})
		i = j
	}
	return out
}

// FromState turns a record's state at a moment into targets: every field
// the state holds (Unknown ones too, which Plan skips with the reason),
// sorted, a field in conflict when someone else changed it since.
func FromState(st map[string]history.Value, tracked func(string) bool, changedByOthers map[string]bool) []Target {
	out := make([]Target, 0, len(st))
	for name, v := range st {
		if tracked(name) {
			out = append(out, Target{Field: name, Want: v, Conflict: changedByOthers[name]})
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// undoItems undoes item changes of one field on its current value.
func undoItems(cur history.Value, rows []db.HistoryRow) (history.Value, bool) {
	items := elements(cur)
	conflict := false
	for _, r := range rows {
		o, n := decode(r.OldValue), decode(r.NewValue)
		switch r.ChangeKind {
		case history.ItemAdded.String():
			if k := find(items, n); k >= 0 && items[k].Equal(n) {
				items = slices.Delete(items, k, k+1)
			} else {
				conflict = true
			}
		case history.ItemRemoved.String():
			if find(items, o) >= 0 {
				conflict = true
			} else {
				items = append(items, o)
			}
		case history.ItemChanged.String():
			if k := find(items, n); k >= 0 && items[k].Equal(n) {
				items[k] = o
			} else {
				conflict = true
			}
		default:
			conflict = true
		}
	}
	if len(items) == 0 {
		return history.Value{}, conflict
	}
	slices.SortStableFunc(items, func(a, b history.Value) int { return compareKeys(key(a), key(b)) })
	return history.Value{Kind: history.KindList, List: items}, conflict
}

func elements(v history.Value) []history.Value {
	switch {
	case v.Kind == history.KindList:
		return slices.Clone(v.List)
	case v.IsEmpty():
		return nil
	default:
		return []history.Value{v}
	}
}

// find is the index of v's element in items: a multi-field item or a
// product row by its ID, anything else by content; -1 when absent.
func find(items []history.Value, v history.Value) int {
	return slices.IndexFunc(items, func(x history.Value) bool {
		if byID(v) {
			return x.Kind == v.Kind && x.ID == v.ID
		}
		return x.Equal(v)
	})
}

func byID(v history.Value) bool {
	return (v.Kind == history.KindItem || v.Kind == history.KindRow) && v.ID != ""
}

func key(v history.Value) string {
	if byID(v) {
		return v.ID
	}
	return v.Text
}

func compareKeys(a, b string) int {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA == nil && errB == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decode reads a stored value; a missing one is empty.
func decode(raw json.RawMessage) history.Value {
	var v history.Value
	if len(raw) == 0 || string(raw) == "null" {
		return v
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return history.Unknown
	}
	return v
}
