package history

import (
	"bytes"
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
	// Keys sorted at every level, empties dropped, numbers as written,
	// strings re-escaped minimally, no HTML escaping.
	const want = `{"ESC":"a/b é","N":1.50,"OPPORTUNITY":"100.00","PHONE":[{"ID":"1","VALUE":"+1"}],"TITLE":"A <b>&</b>","UF_X":{"a":[2,1],"z":1}}`
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
		{"empty values and missing", snap(map[string]string{"A": `null`, "B": `""`, "C": `[]`}), Snapshot{}, true},
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
