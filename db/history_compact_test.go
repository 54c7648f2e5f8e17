package db

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/history"
)

// storedValues are values of every kind as history.Value.Stored writes
// them, with texts that could trip an encoding: capitals (the tags),
// JSON-looking text, separators, quotes, line ends, other scripts.
var storedValues = []history.Value{
	{Kind: history.KindText, Text: "Order 12 for the Hanson account"},
	{Kind: history.KindText, Text: `{"kind":"text","text":"not JSON, a text"}`},
	{Kind: history.KindText, Text: "Tab\there, \"quotes\",\nnew line, ünïcödé, 日本"},
	{Kind: history.KindText, Text: "a\x1fb"},
	{Kind: history.KindText, Text: "T"},
	{Kind: history.KindNumber, Text: "-1200.5"},
	{Kind: history.KindMoney, Text: "100.5|USD"},
	{Kind: history.KindBool, Text: "Y"},
	{Kind: history.KindDate, Text: "2024-08-30"},
	{Kind: history.KindDateTime, Text: "2024-08-30T12:29:00Z"},
	{Kind: history.KindID, Text: "C2:NEW"},
	{Kind: history.KindFile, Text: "4410"},
	{Kind: history.KindJSON, Text: `{"a":[1,2]}`},
	history.Unknown,
	{Kind: history.KindItem, ID: "17", ValueType: "WORK", Text: "+1 555 0100"},
	{Kind: history.KindItem, ValueType: "HOME", Text: "new@example.com"},
	{Kind: history.KindItem, ID: "1\x1f7", ValueType: "WORK", Text: "an id with a separator"},
	{Kind: history.KindRow, ID: "88", Text: `{"product":"5","name":"Sofa","price":"100","quantity":"2"}`},
	{Kind: history.KindList, List: []history.Value{{Kind: history.KindID, Text: "5"}, {Kind: history.KindID, Text: "7"}}},
}

// TestStoredValuesReadBackAsWritten: every value's JSON, stored compactly,
// reads back byte for byte; the common kinds take their tag and text only.
func TestStoredValuesReadBackAsWritten(t *testing.T) {
	for _, v := range storedValues {
		raw := v.Stored()
		stored := compactValue(raw)
		back, err := expandValue(stored)
		if err != nil || string(back) != string(raw) {
			t.Errorf("%s: stored as %q, read back as %s (%v)", raw, stored, back, err)
		}
		if _, tagged := valueTags[v.Kind]; tagged && len(stored) != 1+len(v.Text) {
			t.Errorf("%s: stored as %q, want its tag and its text", raw, stored)
		}
	}
	for _, raw := range []string{`{"kind":"text","text":"x","note":"kept"}`, `null`, `"a string"`, `[1]`} {
		if stored := compactValue(json.RawMessage(raw)); stored != raw {
			t.Errorf("%s: stored as %q, want it kept as it is", raw, stored)
		}
		if back, err := expandValue(raw); err != nil || string(back) != raw {
			t.Errorf("%s read back as %s, %v", raw, back, err)
		}
	}
	if s, err := expandValue(""); s != nil || err != nil || compactValue(nil) != "" {
		t.Errorf("no value: %q, %v", s, err)
	}
}

// TestEveryHistoryWordHasACode: each action, change kind and source Trail
// can write has a stored code, which reads back as the same word.
func TestEveryHistoryWordHasACode(t *testing.T) {
	check := func(what string, words historyWords, word string) {
		t.Helper()
		c, err := words.code(what, word)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := words.word(what, c); err != nil || back != word {
			t.Errorf("%s %q: code %d reads back as %q, %v", what, word, c, back, err)
		}
	}
	named := func(s string) bool { return !strings.Contains(s, "(") }
	for a := history.Action(0); named(a.String()); a++ {
		check("action", actionCodes, a.String())
	}
	for k := history.ChangeKind(0); named(k.String()); k++ {
		check("change kind", changeKindCodes, k.String())
	}
	for s := history.Source(0); named(s.String()); s++ {
		check("source", sourceCodes, s.String())
	}
	if _, err := actionCodes.code("action", "renamed"); err == nil {
		t.Error("a word without a code was given one")
	}
	if _, err := sourceCodes.word("source", 99); err == nil {
		t.Error("a code without a word read as one")
	}
}
