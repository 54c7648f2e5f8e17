package history

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestNewCreation(t *testing.T) {
	cur := snap(map[string]string{
		"ID": `"7"`, "TITLE": `"New deal"`, "OPPORTUNITY": `"0.00"`, "CLOSED": `"N"`, "COMMENTS": `null`,
		"CREATED_BY_ID": `"3"`, "MODIFY_BY_ID": `"4"`, "DATE_CREATE": `"2024-08-30T14:29:00+02:00"`,
		"DATE_MODIFY": `"2024-08-30T14:30:00+02:00"`, "UF_CRM_TAGS": `["b","a"]`,
	})
	e := NewCreation(nil, cur)
	if e.Action != Created || e.Author != "3" {
		t.Errorf("Action, Author = %v, %q; want created, 3", e.Action, e.Author)
	}
	if want := time.Date(2024, 8, 30, 12, 29, 0, 0, time.UTC); !e.At.Equal(want) {
		t.Errorf("At = %v, want %v", e.At, want)
	}
	// Initial values only: no empties, no "No" flags, no system fields.
	want := []string{
		"OPPORTUNITY changed ∅ → number:0",
		"TITLE changed ∅ → text:New deal",
		"UF_CRM_TAGS added ∅ → text:a",
		"UF_CRM_TAGS added ∅ → text:b",
	}
	if got := brief(e.Changes); !slices.Equal(got, want) {
		t.Errorf("Changes = %q\nwant %q", got, want)
	}
}

func TestNewDeletion(t *testing.T) {
	last := snap(map[string]string{
		"TITLE": `"Old deal"`, "PHONE": `[{"ID":"1","VALUE_TYPE":"WORK","VALUE":"+1","TYPE_ID":"PHONE"}]`,
		"DATE_MODIFY": `"2024-08-30T14:30:00+02:00"`, "MODIFY_BY_ID": `"4"`,
	})
	e := NewDeletion(nil, last)
	if e.Action != Deleted || e.Author != "" || !e.At.IsZero() {
		t.Errorf("Action, Author, At = %v, %q, %v; want deleted with no author or time", e.Action, e.Author, e.At)
	}
	want := []string{`PHONE removed #1 WORK "+1" → ∅`, "TITLE changed text:Old deal → ∅"}
	if got := brief(e.Changes); !slices.Equal(got, want) {
		t.Errorf("Changes = %q\nwant %q", got, want)
	}
}

func TestNewUpdate(t *testing.T) {
	old := dealSnapshot(t)
	cur := edit(old, map[string]string{
		"STAGE_ID": `"C1:WON"`, "MODIFY_BY_ID": `"5"`, "DATE_MODIFY": `"2024-09-01T10:00:00+02:00"`,
	})
	e := NewUpdate(dealSchema(t), old, cur)
	if e.Action != Updated || e.Author != "5" || !e.At.Equal(time.Date(2024, 9, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("entry = %+v", e)
	}
	if got := brief(e.Changes); !slices.Equal(got, []string{"STAGE_ID changed id:C1:PREPARATION → id:C1:WON"}) {
		t.Errorf("Changes = %q", got)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"action":"updated","author":"5","at":"2024-09-01T10:00:00+02:00","changes":[{"field":"STAGE_ID","kind":"changed","old":{"kind":"id","text":"C1:PREPARATION"},"new":{"kind":"id","text":"C1:WON"}}]}`
	if string(b) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", b, want)
	}
	var back Entry
	if err := json.Unmarshal(b, &back); err != nil || back.Action != Updated {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestAuthorWhen(t *testing.T) {
	tests := []struct {
		name   string
		s      Snapshot
		author string
		when   string // RFC 3339, "" for none
	}{
		{"modified", snap(map[string]string{"MODIFY_BY_ID": `"5"`, "CREATED_BY_ID": `"1"`, "DATE_MODIFY": `"2024-08-30T14:29:00+02:00"`}), "5", "2024-08-30T14:29:00+02:00"},
		{"never modified", snap(map[string]string{"CREATED_BY_ID": `"1"`, "DATE_CREATE": `"2024-08-30T10:00:00+03:00"`}), "1", "2024-08-30T10:00:00+03:00"},
		{"number and zero", snap(map[string]string{"MODIFY_BY_ID": `0`, "CREATED_BY_ID": `7`}), "7", ""},
		{"bad date", snap(map[string]string{"DATE_MODIFY": `"yesterday"`}), "", ""},
		{"empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Author(tt.s); got != tt.author {
				t.Errorf("Author = %q, want %q", got, tt.author)
			}
			at, ok := When(tt.s)
			if tt.when == "" {
				if ok {
					t.Errorf("When = %v, want none", at)
				}
				return
			}
			if !ok || at.Format(time.RFC3339) != tt.when {
				t.Errorf("When = %v, %v; want %s", at, ok, tt.when)
			}
		})
	}
}
