package history

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
)

// ChangeKind says what happened to a field.
type ChangeKind uint8

// Change kinds. Single-valued fields only ever have FieldChanged; fields
// holding several values report each value that came or went, and
// multi-fields (phones, e-mails...) also report an item edited in place.
const (
	FieldChanged ChangeKind = iota // the value was set, cleared or replaced
	ItemAdded                      // a value joined a multiple field
	ItemRemoved                    // a value left a multiple field
	ItemChanged                    // a multi-field item or a product row kept its ID but changed its content
)

var changeKindNames = [...]string{"changed", "added", "removed", "item_changed"}

// String returns the kind's name, as used in JSON.
func (k ChangeKind) String() string {
	if int(k) < len(changeKindNames) {
		return changeKindNames[k]
	}
	return fmt.Sprintf("ChangeKind(%d)", k)
}

// MarshalText encodes the kind by name.
func (k ChangeKind) MarshalText() ([]byte, error) {
	if int(k) >= len(changeKindNames) {
		return nil, fmt.Errorf("history: unknown change kind %d", k)
	}
	return []byte(changeKindNames[k]), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (k *ChangeKind) UnmarshalText(b []byte) error {
	i := slices.Index(changeKindNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("history: unknown change kind %q", b)
	}
	*k = ChangeKind(i)
	return nil
}

// Change is one field-level difference between two states of a record. For
// item kinds Old and New are the item (one of them empty for ItemAdded and
// ItemRemoved); otherwise they are the whole field value.
type Change struct {
	Field string     `json:"field"`
	Kind  ChangeKind `json:"kind"`
	Old   Value      `json:"old,omitzero"`
	New   Value      `json:"new,omitzero"`
}

// Diff lists the differences between two states of one record, ordered by
// field name and, within a field, by item. Values are compared after
// Normalize and system fields (IsSystemField) are skipped. A nil snapshot
// stands for "no state", so Diff(s, nil, cur) lists cur's values and
// Diff(s, last, nil) lists last's. A field old lacks but cur holds was not
// known before (a field added to the portal after old was taken): if cur
// has a value, the change is reported with Unknown as its old value, never
// as a change from empty, and never dropped.
func Diff(s *Schema, old, cur Snapshot) []Change {
	var out []Change
	for _, name := range fieldNames(old, cur) {
		out = appendChange(out, s, old, cur, name)
	}
	return out
}

// Unchanged reports whether Diff(s, old, cur) would be empty, stopping at the
// first difference. Use it to skip writing history for saves that changed
// nothing but system fields.
func Unchanged(s *Schema, old, cur Snapshot) bool {
	for _, name := range fieldNames(old, cur) {
		if len(appendChange(nil, s, old, cur, name)) > 0 {
			return false
		}
	}
	return true
}

func appendChange(out []Change, s *Schema, old, cur Snapshot, name string) []Change {
	oldRaw, known := old[name]
	if old != nil && !known {
		return appendUnknownChange(out, s, name, cur[name])
	}
	return appendFieldChanges(out, s, name, oldRaw, cur[name])
}

// appendUnknownChange reports a field whose old value is not known: one
// change to its whole new value, if it has one.
func appendUnknownChange(out []Change, s *Schema, name string, newRaw []byte) []Change {
	if IsSystemField(name) {
		return out
	}
	nv := Normalize(s.Field(name), newRaw)
	if nv.IsEmpty() {
		return out
	}
	return append(out, Change{Field: name, Kind: FieldChanged, Old: Unknown, New: nv})
}

func fieldNames(a, b Snapshot) []string {
	names := make([]string, 0, max(len(a), len(b))+4)
	names = slices.AppendSeq(names, maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

func appendFieldChanges(out []Change, s *Schema, name string, oldRaw, newRaw []byte) []Change {
	if bytes.Equal(oldRaw, newRaw) || IsSystemField(name) {
		return out
	}
	f := s.Field(name)
	ov, nv := Normalize(f, oldRaw), Normalize(f, newRaw)
	if f.Multiple || f.Type == TypeMultifield || ov.Kind == KindList || nv.Kind == KindList {
		return appendListChanges(out, name, ov.elements(), nv.elements())
	}
	if ov.Equal(nv) {
		return out
	}
	return append(out, Change{Field: name, Kind: FieldChanged, Old: ov, New: nv})
}

// appendListChanges pairs old and new elements (multi-field items by ID,
// other values by equality) and reports the unpaired and the altered ones.
func appendListChanges(out []Change, name string, old, cur []Value) []Change {
	start := len(out)
	used := make([]bool, len(cur))
	for _, o := range old {
		j := pair(o, cur, used)
		if j < 0 {
			out = append(out, Change{Field: name, Kind: ItemRemoved, Old: o})
			continue
		}
		used[j] = true
		if !o.Equal(cur[j]) {
			out = append(out, Change{Field: name, Kind: ItemChanged, Old: o, New: cur[j]})
		}
	}
	for j, n := range cur {
		if !used[j] {
			out = append(out, Change{Field: name, Kind: ItemAdded, New: n})
		}
	}
	slices.SortStableFunc(out[start:], func(a, b Change) int {
		return compareKeys(a.itemKey(), b.itemKey())
	})
	return out
}

func pair(o Value, cur []Value, used []bool) int {
	byID := o.keyedByID()
	for j, n := range cur {
		if used[j] {
			continue
		}
		if byID && n.Kind == o.Kind && n.ID == o.ID || !byID && o.Equal(n) {
			return j
		}
	}
	return -1
}

func (c Change) itemKey() string {
	if c.Old.Kind != KindEmpty {
		return c.Old.key()
	}
	return c.New.key()
}
