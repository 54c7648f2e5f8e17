package history

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Kind says how a normalised Value is to be read.
type Kind uint8

// Value kinds.
const (
	KindEmpty    Kind = iota // null, "", [], missing: nothing set
	KindText                 // free text, trimmed, line ends as \n
	KindNumber               // canonical decimal: "1200.5", "-3", "0"
	KindMoney                // "<canonical decimal>|<CURRENCY>", e.g. "100.5|USD"
	KindBool                 // "Y" or "N"
	KindDate                 // "2024-08-30"
	KindDateTime             // UTC RFC 3339 "2024-08-30T12:29:00Z", or wall time without zone when the source had none
	KindID                   // an identifier to resolve for display: enumeration item, status, user, CRM record
	KindFile                 // a file, by its ID
	KindItem                 // one multi-field item (phone, e-mail...): ID, Text = VALUE, ValueType = VALUE_TYPE
	KindList                 // several values, in List
	KindJSON                 // any other structure, as canonical JSON
	KindUnknown              // not known: the old value of a field the stored state did not hold
	KindRow                  // one product row: ID = the row's id, Text = its ProductRow as JSON
)

var kindNames = [...]string{"empty", "text", "number", "money", "bool", "date", "datetime", "id", "file", "item", "list", "json", "unknown", "row"}

// Unknown is the old value of a change whose earlier value Trail never saw.
// It is stored as such, so that it reads "earlier value unknown" and never
// as "empty".
var Unknown = Value{Kind: KindUnknown}

// String returns the kind's name, as used in JSON.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// MarshalText encodes the kind by name, so stored changes stay readable and
// survive reordering of the constants.
func (k Kind) MarshalText() ([]byte, error) {
	if int(k) >= len(kindNames) {
		return nil, fmt.Errorf("history: unknown value kind %d", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText decodes a kind name written by MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	i := slices.Index(kindNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("history: unknown value kind %q", b)
	}
	*k = Kind(i)
	return nil
}

// Value is a field value in canonical form: two Values are Equal exactly when
// Bitrix24 spelled the same content. It is display-ready in the sense that
// Text holds the value a person would recognise (an amount, a date, an ID);
// turning IDs into names is left to the caller, which has the portal's
// dictionaries.
type Value struct {
	Kind      Kind    `json:"kind"`
	Text      string  `json:"text,omitempty"`
	ID        string  `json:"id,omitempty"`         // KindItem: the multi-field item's ID
	ValueType string  `json:"value_type,omitempty"` // KindItem: WORK, MOBILE, HOME...
	List      []Value `json:"list,omitempty"`       // KindList, sorted by key
}

// IsEmpty reports whether v holds nothing. A "No" flag counts as empty:
// Bitrix24 stores an untouched yes/no field as null or as "No" depending on
// the path that saved the record, and neither is a choice someone made.
func (v Value) IsEmpty() bool {
	return v.Kind == KindEmpty || v.Kind == KindBool && v.Text == "N"
}

// Equal reports whether v and w are the same value.
func (v Value) Equal(w Value) bool {
	if v.IsEmpty() || w.IsEmpty() {
		return v.IsEmpty() && w.IsEmpty()
	}
	if v.Kind != w.Kind || v.Text != w.Text || v.ID != w.ID || v.ValueType != w.ValueType || len(v.List) != len(w.List) {
		return false
	}
	for i := range v.List {
		if !v.List[i].Equal(w.List[i]) {
			return false
		}
	}
	return true
}

// String renders v compactly for logs and test failures.
func (v Value) String() string {
	switch v.Kind {
	case KindEmpty:
		return "∅"
	case KindUnknown:
		return "?"
	case KindItem:
		return fmt.Sprintf("#%s %s %q", v.ID, v.ValueType, v.Text)
	case KindList:
		parts := make([]string, len(v.List))
		for i, e := range v.List {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		return v.Kind.String() + ":" + v.Text
	}
}

// key orders and matches list elements: multi-field items by ID, anything
// else by content.
func (v Value) key() string {
	if v.keyedByID() {
		return v.ID
	}
	return v.Text
}

// keyedByID reports whether v is an element a list knows by its ID, so
// that editing it in place is a change of it, not a removal and an
// addition.
func (v Value) keyedByID() bool { return (v.Kind == KindItem || v.Kind == KindRow) && v.ID != "" }

// elements returns v as a list of values, so a field that changed from one
// value to several (or back) is compared element by element.
func (v Value) elements() []Value {
	switch {
	case v.Kind == KindList:
		return v.List
	case v.IsEmpty():
		return nil
	default:
		return []Value{v}
	}
}

// Stored is v as a history row or an audit row keeps it: its JSON, or nil
// (SQL NULL) for an empty value.
func (v Value) Stored() json.RawMessage {
	if v.IsEmpty() {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
