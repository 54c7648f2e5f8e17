package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"testing"
)

// referenceEncode is Encode as encoding/json writes it: each value made
// canonical, the object through canonicalJSON.
func referenceEncode(s Snapshot) ([]byte, error) {
	c := make(map[string]json.RawMessage, len(s))
	for k, v := range s {
		cv, err := referenceCanonical(v)
		if err != nil {
			return nil, err
		}
		c[k] = cv
	}
	return canonicalJSON(c)
}

// referenceCanonical is canonicalRaw without its shortcuts.
func referenceCanonical(v json.RawMessage) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "", "null", `""`, "[]", "{}":
		return jsonNull, nil
	}
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	return canonicalJSON(x)
}

// TestEncodeWritesWhatEncodingJSONWrites: the hand-written encoding of a
// snapshot and its shortcuts for strings, numbers and booleans give the
// bytes encoding/json gives, so stored snapshots compare equal across the
// change.
func TestEncodeWritesWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	snaps := []Snapshot{
		{},
		{"ID": json.RawMessage(`"12"`), "OPPORTUNITY": json.RawMessage(`1500.50`), "PROBABILITY": json.RawMessage(` -0 `),
			"OPENED": json.RawMessage(`true`), "CLOSED": json.RawMessage(`false`), "BIG": json.RawMessage(`1.5E+10`),
			"SMALL": json.RawMessage(`2e-3`), "EMPTY": json.RawMessage(`""`), "NONE": json.RawMessage(`null`)},
		{"PHONE": json.RawMessage(`[{"VALUE": "+1 <555>", "ID": "3", "VALUE_TYPE": "WORK"}]`), "UF_CRM_1": json.RawMessage(`{"b": 1, "a": [1, 2.50]}`),
			"TITLE": json.RawMessage(`"Sofa \u003c3 \"big\""`), "COMMENTS": json.RawMessage(`"line\nbreak & <b>"`), "U": json.RawMessage("\"\u2028\"")},
		{"key \"quoted\"": json.RawMessage(`"x"`), "ключ": json.RawMessage(`"значение"`), "<html>&": json.RawMessage(`1`), "\u2029": json.RawMessage(`2`)},
	}
	for _, s := range snaps {
		got, err := s.Encode()
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		want, err := referenceEncode(s)
		if err != nil {
			t.Fatalf("%v: reference: %v", s, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Encode = %s\nencoding/json writes %s", got, want)
		}
	}
	for _, bad := range []string{`01`, `1.`, `.5`, `1e`, `-`, `+1`, `1 2`, `tru`} {
		if _, err := (Snapshot{"X": json.RawMessage(bad)}).Encode(); err == nil {
			t.Errorf("Encode of %q succeeded, want the error encoding/json gives", bad)
		}
	}
}

// referenceParse is ParseSnapshot through encoding/json alone.
func referenceParse(data []byte) (Snapshot, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("null")
	}
	s := Snapshot{}
	for k, v := range raw {
		c, err := referenceCanonical(v)
		if err != nil {
			return nil, err
		}
		s[k] = c
	}
	return s, nil
}

// TestParseSnapshotReadsWhatEncodingJSONReads: splitting a record object
// by hand gives the fields and values encoding/json gives, and fails
// where it fails.
func TestParseSnapshotReadsWhatEncodingJSONReads(t *testing.T) {
	t.Parallel()
	deal, err := os.ReadFile("testdata/deal.json")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{
		string(deal),
		`{}`, ` { } `, `{"A": "1", "B": 2, "C": [1, {"x": "]}"}], "D": {"b": null, "a": true}, "E": "", "F": [], "G": {}}`,
		`{"A":"x","A":"y"}`, `{"A": "esc \" \\ \u00e9"}`, `{"k\"ey": 1}`, `{"ключ": "значение"}`, "{\"A\":\t1\n,\r\"B\":2}",
		// Not objects, or broken.
		``, `null`, `[]`, `"x"`, `{`, `{"A"}`, `{"A":}`, `{"A": 1,}`, `{"A": 1} x`, `{"A": [1, 2}`, `{"A": tru}`,
		`{"A": 01}`, `{"A": "unterminated}`, `{A: 1}`, `{"A": 1 "B": 2}`, "{\"A\x01\": 1}", "{\"\xff\": 1}",
	}
	for _, in := range inputs {
		got, err := ParseSnapshot([]byte(in))
		want, werr := referenceParse([]byte(in))
		if (err != nil) != (werr != nil) {
			t.Errorf("%q: error %v, encoding/json: %v", in, err, werr)
			continue
		}
		if err == nil && !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
			t.Errorf("%q: %s, encoding/json reads %s", in, got, want)
		}
	}
}
