package revert

import (
	"encoding/json"
	"testing"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

func val(v history.Value) json.RawMessage { return v.Stored() }

func text(s string) history.Value { return history.Value{Kind: history.KindText, Text: s} }

func item(id, typ, value string) history.Value {
	return history.Value{Kind: history.KindItem, ID: id, ValueType: typ, Text: value}
}

// TestPlanSkipsWhatNobodyMayWrite: read-only, system, set-on-create,
// unknown and not-yet-written fields are listed with their reason and not
// ticked; a conflicting field is listed unticked; the rest are ticked.
func TestPlanSkipsWhatNobodyMayWrite(t *testing.T) {
	s := &history.Schema{Fields: map[string]history.Field{
		"TITLE":     {Name: "TITLE", Type: history.TypeString},
		"COMMENTS":  {Name: "COMMENTS", Type: history.TypeString},
		"LEAD_ID":   {Name: "LEAD_ID", Type: history.TypeLead, ReadOnly: true},
		"TYPE_ID":   {Name: "TYPE_ID", Type: history.TypeStatus, Immutable: true},
		"UF_FILE":   {Name: "UF_FILE", Type: history.TypeFile},
		"UF_NEW":    {Name: "UF_NEW", Type: history.TypeString},
		"IS_NEW":    {Name: "IS_NEW", Type: history.TypeChar},
		"SOURCE_ID": {Name: "SOURCE_ID", Type: history.TypeStatus},
	}}
	current := history.Snapshot{
		"TITLE": json.RawMessage(`"new"`), "COMMENTS": json.RawMessage(`"edited again"`), "LEAD_ID": json.RawMessage(`"5"`),
		"TYPE_ID": json.RawMessage(`"B"`), "UF_FILE": json.RawMessage(`{"id":9,"showUrl":"x"}`), "UF_NEW": json.RawMessage(`"x"`),
		"IS_NEW": json.RawMessage(`"N"`), "SOURCE_ID": json.RawMessage(`"WEB"`),
	}
	rows := []db.HistoryRow{
		{Field: "COMMENTS", ChangeKind: "changed", OldValue: val(text("old")), NewValue: val(text("new"))},
		{Field: "IS_NEW", ChangeKind: "changed", OldValue: val(history.Value{Kind: history.KindBool, Text: "Y"})},
		{Field: "LEAD_ID", ChangeKind: "changed", OldValue: val(history.Value{Kind: history.KindID, Text: "4"}), NewValue: val(history.Value{Kind: history.KindID, Text: "5"})},
		{Field: "SOURCE_ID", ChangeKind: "changed", OldValue: val(history.Value{Kind: history.KindID, Text: "WEB"}), NewValue: val(history.Value{Kind: history.KindID, Text: "CALL"})},
		{Field: "TITLE", ChangeKind: "changed", OldValue: val(text("old")), NewValue: val(text("new"))},
		{Field: "TYPE_ID", ChangeKind: "changed", OldValue: val(history.Value{Kind: history.KindID, Text: "A"}), NewValue: val(history.Value{Kind: history.KindID, Text: "B"})},
		{Field: "UF_FILE", ChangeKind: "changed", OldValue: val(history.Value{Kind: history.KindFile, Text: "8"}), NewValue: val(history.Value{Kind: history.KindFile, Text: "9"})},
		{Field: "UF_NEW", ChangeKind: "changed", OldValue: json.RawMessage(`{"kind":"unknown"}`), NewValue: val(text("x"))},
	}
	want := map[string]struct {
		reason           string
		conflict, chosen bool
	}{
		"COMMENTS":  {"", true, false},
		"IS_NEW":    {ReasonSystem, false, false},
		"LEAD_ID":   {ReasonReadOnly, false, false},
		"SOURCE_ID": {ReasonSame, true, false},
		"TITLE":     {"", false, true},
		"TYPE_ID":   {ReasonImmutable, false, false},
		"UF_FILE":   {ReasonFileGone, false, false},
		"UF_NEW":    {ReasonUnknown, false, false},
	}
	got := Plan(s, current, FromChange(s, rows, current))
	if len(got) != len(want) {
		t.Fatalf("plan has %d fields, want %d: %+v", len(got), len(want), got)
	}
	for _, f := range got {
		w := want[f.Field]
		if f.Reason != w.reason || f.Conflict != w.conflict || f.Chosen != w.chosen {
			t.Errorf("%s: reason %q conflict %v chosen %v, want %q %v %v", f.Field, f.Reason, f.Conflict, f.Chosen, w.reason, w.conflict, w.chosen)
		}
	}
}

// TestMultifieldUndo: the change's added item goes, its removed item comes
// back, its edited item gets its old value; the operations name items by
// id, and an item the change did not touch is left alone.
func TestMultifieldUndo(t *testing.T) {
	s := &history.Schema{Fields: map[string]history.Field{"PHONE": {Name: "PHONE", Type: history.TypeMultifield, Multiple: true}}}
	current := history.Snapshot{"PHONE": json.RawMessage(`[{"ID":"2","VALUE":"222","VALUE_TYPE":"WORK"},{"ID":"3","VALUE":"333-new","VALUE_TYPE":"HOME"},{"ID":"4","VALUE":"444","VALUE_TYPE":"WORK"}]`)}
	rows := []db.HistoryRow{
		{Field: "PHONE", ChangeKind: "removed", OldValue: val(item("1", "MOBILE", "111"))},
		{Field: "PHONE", ChangeKind: "item_changed", OldValue: val(item("3", "WORK", "333")), NewValue: val(item("3", "HOME", "333-new"))},
		{Field: "PHONE", ChangeKind: "added", NewValue: val(item("4", "WORK", "444"))},
	}
	targets := FromChange(s, rows, current)
	if len(targets) != 1 || targets[0].Conflict {
		t.Fatalf("targets %+v", targets)
	}
	w := write{t: crm.Contact}
	w.add(s.Field("PHONE"), history.Normalize(s.Field("PHONE"), current["PHONE"]), targets[0].Want)
	got, _ := json.Marshal(w.legacy["PHONE"])
	const want = `[{"VALUE":"333","VALUE_TYPE":"WORK","ID":"3"},{"DELETE":"Y","ID":"4"},{"VALUE":"111","VALUE_TYPE":"MOBILE"}]`
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal([]byte(want), &b)
	if ga, _ := json.Marshal(a); string(ga) != mustJSON(b) {
		t.Errorf("operations %s, want %s", got, want)
	}

	// The added item edited since: a conflict.
	current["PHONE"] = json.RawMessage(`[{"ID":"2","VALUE":"222","VALUE_TYPE":"WORK"},{"ID":"3","VALUE":"333-new","VALUE_TYPE":"HOME"},{"ID":"4","VALUE":"444-edited","VALUE_TYPE":"WORK"}]`)
	if targets := FromChange(s, rows, current); !targets[0].Conflict {
		t.Error("an added item edited since must be a conflict")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
