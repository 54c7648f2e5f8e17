package history

import (
	"maps"
	"slices"
	"time"
)

// Step is one recorded change of a record: its action, its moment and its
// field changes, as the history rows of one change_id hold them.
type Step struct {
	ID      int64 // the change id: steps are recorded in its order
	Action  Action
	At      time.Time
	Author  int64 // 0 when the change names nobody
	Changes []Change
}

// State is a record's tracked fields at one moment, as Trail knew them.
type State struct {
	// Fields maps each field to its value then: Unknown for a field Trail
	// did not know at that moment, never a guess.
	Fields map[string]Value
	// Gone: the record had been deleted by then.
	Gone bool
	// NotYet: the record was created after that moment.
	NotYet bool
}

// Unknown lists the fields not known at the state's moment, sorted.
func (s State) Unknown() []string {
	var out []string
	for name, v := range s.Fields {
		if v.Kind == KindUnknown {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Values returns a snapshot's fields in canonical form, system fields left
// out (they move without history, so no past state of them is known).
func Values(s *Schema, snap Snapshot) map[string]Value {
	out := make(map[string]Value, len(snap))
	for name, raw := range snap {
		if !IsSystemField(name) {
			out[name] = canonicalList(Normalize(s.Field(name), raw))
		}
	}
	return out
}

// Moment is a point of a record's history: a time and, to cut exactly
// between changes that share their time (Bitrix24 stamps changes to the
// second), the change from which on steps are undone, if Until is not 0.
// Just before change X is {At: X's time - 1µs, Until: X}, just after it
// {At: X's time, Until: X+1}.
type Moment struct {
	At    time.Time
	Until int64
}

// undoes reports whether the step is later than the moment.
func (m Moment) undoes(s Step) bool {
	if m.Until != 0 {
		return s.ID >= m.Until
	}
	return s.At.After(m.At)
}

// ChangedSince lists the fields that changes later than m changed, other
// than those by author (a change that names nobody counts as another's).
func ChangedSince(steps []Step, m Moment, author int64) map[string]bool {
	out := map[string]bool{}
	for _, step := range steps {
		if !m.undoes(step) {
			break
		}
		if step.Author != 0 && step.Author == author {
			continue
		}
		for _, c := range step.Changes {
			out[c.Field] = true
		}
	}
	return out
}

// StateAt reconstructs a record at moment m from its current state and
// its steps, newest first in the order they were recorded. Only the latest
// state is stored, and every change row keeps both its old and its new
// value, so undoing the steps later than at, newest first, gives back
// exactly the state that was current then (Diff's changes are invertible
// in canonical form: see SameValue). A deletion's rows only mark the
// moment: the stored state is still the last one the record had.
//
// learned holds, for fields that joined the record's stored state after
// tracking began, when they did; before that moment such a field is
// Unknown, whatever its first value (a field added to the portal and left
// empty leaves no row, so the rows alone cannot tell).
//
// Fields whose changes are not recorded (ignored by the admin) are exact
// only while no change of them was dropped; callers show tracked fields.
func StateAt(current map[string]Value, steps []Step, learned map[string]time.Time, m Moment) State {
	st := State{Fields: maps.Clone(current)}
	if st.Fields == nil {
		st.Fields = map[string]Value{}
	}
	for _, step := range steps {
		if !m.undoes(step) {
			st.Gone = step.Action == Deleted
			break
		}
		switch step.Action {
		case Deleted:
			continue
		case Created:
			st.NotYet = true
		}
		for _, c := range slices.Backward(step.Changes) {
			st.Fields[c.Field] = undo(st.Fields[c.Field], c)
		}
	}
	for name, since := range learned {
		if since.After(m.At) {
			st.Fields[name] = Unknown
		}
	}
	return st
}

// undo returns a field's value before change c, given its value after.
func undo(after Value, c Change) Value {
	if c.Kind == FieldChanged {
		return canonicalList(c.Old)
	}
	elems := slices.Clone(after.elements())
	switch c.Kind {
	case ItemAdded:
		elems = removeEqual(elems, c.New)
	case ItemRemoved:
		elems = append(elems, c.Old)
	case ItemChanged:
		elems = append(removeEqual(elems, c.New), c.Old)
	}
	return listOf(elems)
}

func removeEqual(elems []Value, v Value) []Value {
	if i := slices.IndexFunc(elems, v.Equal); i >= 0 {
		return slices.Delete(elems, i, i+1)
	}
	return elems
}

// canonicalList sorts a list value's elements as Normalize does.
func canonicalList(v Value) Value {
	if v.Kind != KindList {
		return v
	}
	return listOf(slices.Clone(v.List))
}

func listOf(elems []Value) Value {
	if len(elems) == 0 {
		return Value{}
	}
	slices.SortStableFunc(elems, compareValues)
	return Value{Kind: KindList, List: elems}
}

// SameValue reports whether two field values hold the same content: Equal,
// with a single value and a list of just that value alike (a multiple
// field may come back either way, and Diff compares them element-wise).
func SameValue(a, b Value) bool {
	if a.Kind == KindUnknown || b.Kind == KindUnknown {
		return a.Kind == b.Kind
	}
	ea, eb := canonicalList(a).elements(), canonicalList(b).elements()
	return slices.EqualFunc(ea, eb, Value.Equal)
}

// Differing lists the fields whose values differ between two states,
// sorted.
func Differing(a, b map[string]Value) []string {
	var out []string
	for name := range a {
		if !SameValue(a[name], b[name]) {
			out = append(out, name)
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok && !SameValue(Value{}, b[name]) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
