package db

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/trailhq/trail/app/history"
)

// HistoryCode is a word of a history row (its action, change kind or
// source) as the history table stores it: a small integer, two bytes
// instead of the word. The numbers are on disk: add, never renumber.
type HistoryCode int16

// The stored codes of history's words (history.Action, history.ChangeKind,
// history.Source), as migration 0021 wrote them.
const (
	CodeCreated HistoryCode = 1
	CodeUpdated HistoryCode = 2
	CodeDeleted HistoryCode = 3

	CodeChanged     HistoryCode = 1
	CodeAdded       HistoryCode = 2
	CodeRemoved     HistoryCode = 3
	CodeItemChanged HistoryCode = 4

	CodeUnknown     HistoryCode = 1
	CodePerson      HistoryCode = 2
	CodeAutomation  HistoryCode = 3
	CodeIntegration HistoryCode = 4
	CodeRevert      HistoryCode = 5
)

// historyWords maps a HistoryCode (the index) to its word; "" marks a
// number no word has.
type historyWords []string

var (
	actionCodes = historyWords{
		CodeCreated: history.Created.String(), CodeUpdated: history.Updated.String(), CodeDeleted: history.Deleted.String(),
	}
	changeKindCodes = historyWords{
		CodeChanged: history.FieldChanged.String(), CodeAdded: history.ItemAdded.String(),
		CodeRemoved: history.ItemRemoved.String(), CodeItemChanged: history.ItemChanged.String(),
	}
	sourceCodes = historyWords{
		CodeUnknown: history.SourceUnknown.String(), CodePerson: history.SourcePerson.String(),
		CodeAutomation: history.SourceAutomation.String(), CodeIntegration: history.SourceIntegration.String(),
		CodeRevert: history.SourceRevert.String(),
	}
)

func (w historyWords) code(what, word string) (HistoryCode, error) {
	i := slices.Index(w, word)
	if i <= 0 {
		return 0, fmt.Errorf("history: no stored code for %s %q", what, word)
	}
	return HistoryCode(i), nil
}

func (w historyWords) word(what string, c HistoryCode) (string, error) {
	if c <= 0 || int(c) >= len(w) || w[c] == "" {
		return "", fmt.Errorf("history: stored %s code %d names no word", what, c)
	}
	return w[c], nil
}

// A stored value is a history.Value's JSON made compact, since values are
// most of a history row. A value of one kind and a text (texts, numbers,
// amounts, dates, IDs: nearly all) is stored as its kind's tag letter and
// the text: "TOrder 12" for {"kind":"text","text":"Order 12"}. A product
// row is "R", its id, a unit separator (U+001F) and its text; a
// multi-field item is "P", its id, a separator, its value type, a
// separator and its text. Anything else (a list, an unexpected shape) is
// stored as its JSON. The tags are capital letters, which no JSON text
// starts with, so the forms never mix up.
var valueTags = map[history.Kind]byte{
	history.KindEmpty: 'E', history.KindText: 'T', history.KindNumber: 'N', history.KindMoney: 'M',
	history.KindBool: 'B', history.KindDate: 'D', history.KindDateTime: 'S', history.KindID: 'I',
	history.KindFile: 'F', history.KindJSON: 'J', history.KindUnknown: 'U',
}

const (
	rowTag    = 'R'
	itemTag   = 'P'
	separator = "\x1f"
)

var tagKinds = func() map[byte]history.Kind {
	m := make(map[byte]history.Kind, len(valueTags))
	for k, t := range valueTags {
		m[t] = k
	}
	return m
}()

// compactValue is the stored form of a value's JSON; "" (SQL NULL) for
// none. JSON that does not decode into a history.Value exactly (an
// unknown key, say) is kept as it is.
func compactValue(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	if raw[0] != '{' {
		return string(raw)
	}
	var v history.Value
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&v) != nil || dec.More() || v.List != nil {
		return string(raw)
	}
	switch tag, ok := valueTags[v.Kind]; {
	case ok && v.ID == "" && v.ValueType == "":
		return string(tag) + v.Text
	case v.Kind == history.KindRow && v.ValueType == "" && !strings.Contains(v.ID, separator):
		return string(rowTag) + v.ID + separator + v.Text
	case v.Kind == history.KindItem && !strings.Contains(v.ID+v.ValueType, separator):
		return string(itemTag) + v.ID + separator + v.ValueType + separator + v.Text
	}
	return string(raw)
}

// expandValue is the JSON of a stored value, as history.Value marshals it.
func expandValue(stored string) (json.RawMessage, error) {
	if stored == "" {
		return nil, nil
	}
	var v history.Value
	rest := stored[1:]
	switch tag := stored[0]; tag {
	case rowTag:
		v.Kind = history.KindRow
		v.ID, v.Text, _ = strings.Cut(rest, separator)
	case itemTag:
		v.Kind = history.KindItem
		v.ID, rest, _ = strings.Cut(rest, separator)
		v.ValueType, v.Text, _ = strings.Cut(rest, separator)
	default:
		kind, ok := tagKinds[tag]
		if !ok {
			return json.RawMessage(stored), nil
		}
		v.Kind, v.Text = kind, rest
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("history: stored value %q: %w", stored, err)
	}
	return b, nil
}
