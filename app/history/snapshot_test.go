package history

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseSnapshotEncode(t *testing.T) {
	in := `{"TITLE":"A <b>&</b>","OPPORTUNITY":"100.00","UF_X":{"z":1,"a":[2,1]},"NOTE":"","QUOTE_ID":null,
		"UF_L":[],"UF_O":{},"PHONE":[{"VALUE":"+1","ID":"1"}],"ESC":"a\/b \u00e9","N":1.50}`
	s, err := ParseSnapshot([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted at every level, empties kept as null, numbers as
	// written, strings re-escaped minimally, no HTML escaping.
	const want = `{"ESC":"a/b é","N":1.50,"NOTE":null,"OPPORTUNITY":"100.00","PHONE":[{"ID":"1","VALUE":"+1"}],"QUOTE_ID":null,"TITLE":"A <b>&</b>","UF_L":null,"UF_O":null,"UF_X":{"a":[2,1],"z":1}}`
	if string(got) != want {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want)
	}
	again, err := ParseSnapshot(got)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := again.Encode(); !bytes.Equal(b, got) {
		t.Errorf("Encode is not stable: %s", b)
	}
}

func TestParseSnapshotErrors(t *testing.T) {
	for _, bad := range []string{``, `null`, `[]`, `"x"`, `{"A":}`} {
		if _, err := ParseSnapshot([]byte(bad)); err == nil {
			t.Errorf("ParseSnapshot(%q) succeeded", bad)
		}
	}
	if _, err := (Snapshot{"A": []byte(`{bad`)}).Encode(); err == nil {
		t.Error("Encode of invalid JSON succeeded")
	}
}

func TestSnapshotEqual(t *testing.T) {
	deal := dealSnapshot(t)
	parsed, err := ParseSnapshot(mustEncode(t, deal))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a, b Snapshot
		want bool
	}{
		{"raw and parsed", deal, parsed, true},
		{"empty values spelled differently", snap(map[string]string{"A": `null`, "B": `""`, "C": `[]`}), snap(map[string]string{"A": `""`, "B": `{}`, "C": `null`}), true},
		{"empty and not known", snap(map[string]string{"A": `null`}), Snapshot{}, false},
		{"key order inside values", snap(map[string]string{"A": `{"x":1,"y":2}`}), snap(map[string]string{"A": `{"y":2,"x":1}`}), true},
		{"escapes", snap(map[string]string{"A": `"a\/b"`}), snap(map[string]string{"A": `"a/b"`}), true},
		{"system field differs", deal, edit(deal, map[string]string{"DATE_MODIFY": `"2030-01-01T00:00:00+00:00"`}), false},
		{"number spelling differs", snap(map[string]string{"A": `"100"`}), snap(map[string]string{"A": `"100.00"`}), false},
		{"field only in b", Snapshot{}, snap(map[string]string{"A": `"1"`}), false},
		{"nil and empty", nil, Snapshot{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("a.Equal(b) = %v, want %v", got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("b.Equal(a) = %v, want %v", got, tt.want)
			}
			ea, eb := mustEncode(t, tt.a), mustEncode(t, tt.b)
			if bytes.Equal(ea, eb) != tt.want {
				t.Errorf("encodings equal = %v, want %v:\n%s\n%s", !tt.want, tt.want, ea, eb)
			}
		})
	}
}

func mustEncode(t *testing.T, s Snapshot) []byte {
	t.Helper()
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUpgrade(t *testing.T) {
	schema := &Schema{Fields: map[string]Field{
		"TITLE":    {Name: "TITLE", Type: TypeString},
		"COMMENTS": {Name: "COMMENTS", Type: TypeString},
		"PHONE":    {Name: "PHONE", Type: TypeMultifield, Multiple: true},
		"LINK":     {Name: "LINK", Type: TypeMultifield, Multiple: true},
		"UF_ADDR":  {Name: "UF_ADDR", Type: TypeString, Custom: true},
		"UF_TAGS":  {Name: "UF_TAGS", Type: TypeString, Custom: true, Multiple: true},
	}}
	stored := func() Snapshot { return snap(map[string]string{"TITLE": `"Deal"`}) }
	filled := func(f Format) []string { return slices.Sorted(maps.Keys(Upgrade(schema, f, stored()))) }
	// A sparse snapshot lacked a field because it was empty, unless the
	// old listing could not select it (multiple fields but the four it
	// named) or the schema does not know it.
	if got, want := filled(FormatSparse), []string{"COMMENTS", "PHONE", "TITLE", "UF_ADDR"}; !slices.Equal(got, want) {
		t.Errorf("Upgrade(sparse) has %v, want %v", got, want)
	}
	if got, want := filled(FormatFull), []string{"TITLE"}; !slices.Equal(got, want) {
		t.Errorf("Upgrade(full) has %v, want %v", got, want)
	}
	if got := Upgrade(nil, FormatSparse, stored()); len(got) != 1 {
		t.Errorf("Upgrade without a schema = %v, want it unchanged", got)
	}
	// Read through Upgrade, a sparse snapshot reports a filled-in field
	// from empty, a multiple user field from "not known".
	cur := snap(map[string]string{"TITLE": `"Deal"`, "COMMENTS": `"filled"`, "UF_ADDR": `"address"`, "UF_TAGS": `["tag"]`})
	got := brief(Diff(schema, Upgrade(schema, FormatSparse, stored()), cur))
	want := []string{"COMMENTS changed ∅ → text:filled", "UF_ADDR changed ∅ → text:address", "UF_TAGS changed ? → [text:tag]"}
	if !slices.Equal(got, want) {
		t.Errorf("Diff after Upgrade:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}
