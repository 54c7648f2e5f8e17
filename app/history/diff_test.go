package history

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	schema := dealSchema(t)
	base := dealSnapshot(t)
	tests := []struct {
		name string
		old  Snapshot
		new  Snapshot
		want []string
	}{
		{"identical", base, base, nil},
		{"only system fields moved", base, edit(base, map[string]string{
			"DATE_MODIFY": `"2024-08-31T09:00:00+02:00"`, "MODIFY_BY_ID": `"5"`, "LAST_ACTIVITY_TIME": `"2024-08-31T09:00:00+02:00"`,
			"LAST_ACTIVITY_BY": `"5"`, "STAGE_SEMANTIC_ID": `"S"`, "IS_NEW": `"Y"`,
		}), nil},
		{"respelled values are no change", base, edit(base, map[string]string{
			"OPPORTUNITY":          `"1000000"`,
			"TAX_VALUE":            `0`,
			"BEGINDATE":            `"2024-08-30T03:00:00+03:00"`,
			"UF_CRM_1687188500":    `"250000|EUR"`,
			"UF_CRM_1687188600":    `"Y"`,
			"UF_CRM_1687188800":    `"2024-09-03T08:00:00Z"`,
			"UF_CRM_1687188400":    `["92","90"]`,
			"ADDITIONAL_INFO":      `null`,
			"QUOTE_ID":             `"0"`,
			"UTM_CAMPAIGN":         `""`,
			"UF_CRM_1687189300":    `{"id":"1024","showUrl":"/other","downloadUrl":"/other?auth=xyz"}`,
			"TITLE":                `"Fleet renewal 2024 "`,
			"UF_CRM_1687189100":    `["5","3"]`,
			"UF_CRM_1721244482250": `"PRJ-0042"`,
		}), nil},
		{"scalar edits", base, edit(base, map[string]string{
			"TITLE":             `"Fleet renewal 2025"`,
			"OPPORTUNITY":       `"1200000.50"`,
			"STAGE_ID":          `"C1:WON"`,
			"CLOSEDATE":         `"2024-09-10T02:00:00+02:00"`,
			"UF_CRM_1687188600": `"0"`,
			"UF_CRM_1687188367": `"80"`,
			"COMPANY_ID":        `"0"`,
		}), []string{
			"CLOSEDATE changed date:2024-09-09 → date:2024-09-10",
			"COMPANY_ID changed id:9 → ∅",
			"OPPORTUNITY changed number:1000000 → number:1200000.5",
			"STAGE_ID changed id:C1:PREPARATION → id:C1:WON",
			"TITLE changed text:Fleet renewal 2024 → text:Fleet renewal 2025",
			"UF_CRM_1687188367 changed id:79 → id:80",
			"UF_CRM_1687188600 changed bool:Y → bool:N",
		}},
		{"multiple values added and removed", base, edit(base, map[string]string{
			"UF_CRM_1687188400": `["91","90"]`,
			"UF_CRM_1687189100": `[]`,
			"UF_CRM_1687189500": `["fleet","priority","q3"]`,
		}), []string{
			"UF_CRM_1687188400 added ∅ → id:91",
			"UF_CRM_1687188400 removed id:92 → ∅",
			"UF_CRM_1687189100 removed id:3 → ∅",
			"UF_CRM_1687189100 removed id:5 → ∅",
			"UF_CRM_1687189500 added ∅ → text:q3",
		}},
		{"field appears and disappears", base, edit(base, map[string]string{
			"UF_CRM_1721244482250": "-",
			"UF_CRM_NEW":           `"hello"`,
		}), []string{
			"UF_CRM_1721244482250 changed text:PRJ-0042 → ∅",
			"UF_CRM_NEW changed ? → text:hello",
		}},
		{"empty fields filled in are changes", base, edit(base, map[string]string{
			"ADDITIONAL_INFO": `"filled comment"`,
			"UTM_CAMPAIGN":    `"spring"`,
			"LEAD_ID":         `"12"`,
		}), []string{
			"ADDITIONAL_INFO changed ∅ → text:filled comment",
			"LEAD_ID changed ∅ → id:12",
			"UTM_CAMPAIGN changed ∅ → text:spring",
		}},
		{"an empty multiple field filled in", edit(base, map[string]string{"UF_CRM_1687189500": `[]`}),
			edit(base, map[string]string{"UF_CRM_1687189500": `["tag"]`}),
			[]string{"UF_CRM_1687189500 added ∅ → text:tag"}},
		{"a field not known before is filled in", edit(base, map[string]string{"UF_CRM_1687189500": "-"}),
			edit(base, map[string]string{"UF_CRM_1687189500": `["tag","fleet"]`}),
			[]string{"UF_CRM_1687189500 changed ? → [text:fleet text:tag]"}},
		{"a field not known before and empty now is no change", edit(base, map[string]string{"UTM_CAMPAIGN": "-"}),
			base, nil},
		{"scalar becomes multiple", snap(map[string]string{"UF_X": `"5"`}), snap(map[string]string{"UF_X": `["5","6"]`}),
			[]string{"UF_X added ∅ → number:6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := brief(Diff(schema, tt.old, tt.new))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Diff:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
			if Unchanged(schema, tt.old, tt.new) != (len(tt.want) == 0) {
				t.Errorf("Unchanged = %v with %d changes", !(len(tt.want) == 0), len(tt.want))
			}
		})
	}
}

func TestDiffMultifield(t *testing.T) {
	phones := func(items ...string) Snapshot {
		return snap(map[string]string{"PHONE": "[" + strings.Join(items, ",") + "]"})
	}
	const (
		work   = `{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333555","TYPE_ID":"PHONE"}`
		mobile = `{"ID":"158","VALUE_TYPE":"MOBILE","VALUE":"+14444444666","TYPE_ID":"PHONE"}`
	)
	tests := []struct {
		name     string
		old, new Snapshot
		want     []string
	}{
		{"same items other order", phones(work, mobile), phones(mobile, work), nil},
		{"item added", phones(work), phones(work, mobile), []string{
			`PHONE added ∅ → #158 MOBILE "+14444444666"`,
		}},
		{"item removed", phones(work, mobile), phones(mobile), []string{
			`PHONE removed #156 WORK "+13333333555" → ∅`,
		}},
		{"value edited in place", phones(work), phones(`{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333000","TYPE_ID":"PHONE"}`), []string{
			`PHONE item_changed #156 WORK "+13333333555" → #156 WORK "+13333333000"`,
		}},
		{"type edited in place", phones(work), phones(`{"ID":"156","VALUE_TYPE":"HOME","VALUE":"+13333333555","TYPE_ID":"PHONE"}`), []string{
			`PHONE item_changed #156 WORK "+13333333555" → #156 HOME "+13333333555"`,
		}},
		{"same number under a new ID", phones(work), phones(`{"ID":"200","VALUE_TYPE":"WORK","VALUE":"+13333333555","TYPE_ID":"PHONE"}`), []string{
			`PHONE removed #156 WORK "+13333333555" → ∅`,
			`PHONE added ∅ → #200 WORK "+13333333555"`,
		}},
		{"all removed", phones(work, mobile), snap(map[string]string{"PHONE": "null"}), []string{
			`PHONE removed #156 WORK "+13333333555" → ∅`,
			`PHONE removed #158 MOBILE "+14444444666" → ∅`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No schema: PHONE is known as a multi-field by name.
			got := brief(Diff(nil, tt.old, tt.new))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Diff:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

// Without metadata (a new portal whose fields were not read yet) the
// standard fields still compare by type and user fields by value shape.
func TestDiffWithoutSchema(t *testing.T) {
	base := dealSnapshot(t)
	respelled := edit(base, map[string]string{
		"OPPORTUNITY":       `"1000000"`,
		"BEGINDATE":         `"2024-08-30"`,
		"OPENED":            `"1"`,
		"COMPANY_ID":        `9`,
		"UF_CRM_1687188500": `"250000|EUR"`,
		"UF_CRM_1687188900": `"12.5"`,
		"UF_CRM_1687188800": `"2024-09-03T08:00:00+00:00"`,
	})
	if d := Diff(nil, base, respelled); len(d) != 0 {
		t.Errorf("respelled values differ without schema: %s", brief(d))
	}
	changed := edit(base, map[string]string{"UF_CRM_1687188900": `"12.75"`, "OPENED": `"N"`})
	want := []string{"OPENED changed bool:Y → bool:N", "UF_CRM_1687188900 changed number:12.5 → number:12.75"}
	if got := brief(Diff(nil, base, changed)); !slices.Equal(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
}

func TestDiffSkipsSystemFields(t *testing.T) {
	for _, sf := range SystemFields() {
		if sf.Reason == "" {
			t.Errorf("%s has no reason", sf.Name)
		}
		old := snap(map[string]string{sf.Name: `"1"`})
		cur := snap(map[string]string{sf.Name: `"2"`})
		if d := Diff(nil, old, cur); len(d) != 0 {
			t.Errorf("%s reported: %s", sf.Name, brief(d))
		}
	}
	for _, name := range []string{"DATE_MODIFY", "MODIFY_BY_ID", "LAST_ACTIVITY_TIME", "LAST_ACTIVITY_BY", "LAST_COMMUNICATION_TIME", "MOVED_TIME", "DATE_CREATE"} {
		if !IsSystemField(name) {
			t.Errorf("%s is not skipped", name)
		}
	}
	if IsSystemField("STAGE_ID") || IsSystemField("ASSIGNED_BY_ID") {
		t.Error("a user-editable field is skipped")
	}
}

func TestDiffOrder(t *testing.T) {
	old := snap(map[string]string{"B": `"1"`, "A": `"1"`, "UF_L": `["10","9","2"]`})
	cur := snap(map[string]string{"C": `"1"`, "A": `"2"`, "UF_L": `["1","11"]`})
	want := []string{
		"A changed number:1 → number:2",
		"B changed number:1 → ∅",
		"C changed ? → number:1",
		"UF_L added ∅ → number:1",
		"UF_L removed number:2 → ∅",
		"UF_L removed number:9 → ∅",
		"UF_L removed number:10 → ∅",
		"UF_L added ∅ → number:11",
	}
	for range 5 { // map iteration order must not leak into the result
		if got := brief(Diff(nil, old, cur)); !slices.Equal(got, want) {
			t.Fatalf("Diff:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
}

func TestChangeJSON(t *testing.T) {
	c := Change{Field: "PHONE", Kind: ItemAdded, New: Value{Kind: KindItem, ID: "1", ValueType: "WORK", Text: "+1"}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"field":"PHONE","kind":"added","new":{"kind":"item","text":"+1","id":"1","value_type":"WORK"}}`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant %s", b, want)
	}
	var back Change
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Field != c.Field || back.Kind != c.Kind || !back.New.Equal(c.New) || !back.Old.Equal(c.Old) {
		t.Errorf("round trip = %+v", back)
	}
}

// TestFilledInEveryType: a field stored empty and then given a value is a
// change from empty, for every field type, whichever way the portal spelled
// "empty", once the state went through storage (ParseSnapshot, Encode). A
// field the stored state lacks is a change from Unknown.
func TestFilledInEveryType(t *testing.T) {
	schema := dealSchema(t)
	cur := dealSnapshot(t)
	fields := []string{
		"TITLE", "COMMENTS", "PROBABILITY", "OPPORTUNITY", "BEGINDATE", "STAGE_ID", "SOURCE_ID", "ASSIGNED_BY_ID",
		"COMPANY_ID", "CONTACT_ID", "PARENT_ID_1220", "OPENED",
		"UF_CRM_1721244482250", "UF_CRM_1687188367", "UF_CRM_1687188400", "UF_CRM_1687188500", "UF_CRM_1687188600",
		"UF_CRM_1687188700", "UF_CRM_1687188800", "UF_CRM_1687188900", "UF_CRM_1687189000", "UF_CRM_1687189100",
		"UF_CRM_1687189200", "UF_CRM_1687189300", "UF_CRM_1687189400", "UF_CRM_1687189500", "UF_CRM_1687189600",
	}
	stored := func(t *testing.T, s Snapshot) Snapshot {
		t.Helper()
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseSnapshot(b)
		if err != nil {
			t.Fatal(err)
		}
		return back
	}
	for _, name := range fields {
		for _, empty := range []string{`null`, `""`, `[]`} {
			t.Run(name+" from "+empty, func(t *testing.T) {
				got := Diff(schema, stored(t, edit(cur, map[string]string{name: empty})), cur)
				if len(got) == 0 {
					t.Fatalf("no change reported")
				}
				for _, c := range got {
					if c.Field != name || !c.Old.IsEmpty() || c.Old.Kind == KindUnknown || c.New.IsEmpty() {
						t.Errorf("change = %s, want %s from empty", brief([]Change{c}), name)
					}
				}
			})
		}
		t.Run(name+" not known before", func(t *testing.T) {
			got := Diff(schema, stored(t, edit(cur, map[string]string{name: "-"})), cur)
			if len(got) != 1 || got[0].Field != name || got[0].Old.Kind != KindUnknown || got[0].New.IsEmpty() {
				t.Errorf("Diff = %s, want one change of %s from unknown", brief(got), name)
			}
		})
	}
	// PHONE, EMAIL, WEB and IM are filled in item by item.
	phones := snap(map[string]string{"PHONE": `[{"ID":"1","VALUE_TYPE":"WORK","VALUE":"+1","TYPE_ID":"PHONE"}]`})
	for _, fm := range []string{"PHONE", "EMAIL", "WEB", "IM"} {
		old := stored(t, snap(map[string]string{fm: `[]`}))
		cur := snap(map[string]string{fm: string(phones["PHONE"])})
		if got := brief(Diff(nil, old, cur)); !slices.Equal(got, []string{fm + ` added ∅ → #1 WORK "+1"`}) {
			t.Errorf("%s filled in: %v", fm, got)
		}
	}
}
