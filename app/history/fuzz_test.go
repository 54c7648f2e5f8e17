package history

import (
	"encoding/json"
	"os"
	"testing"
)

// toSnapshot reads fuzz input as a record when it is a JSON object, and
// otherwise puts the bytes into fields of several types, so both whole
// records and single odd values get exercised.
func toSnapshot(data []byte) Snapshot {
	var s Snapshot
	if json.Unmarshal(data, &s) == nil && s != nil {
		return s
	}
	raw := json.RawMessage(data)
	return Snapshot{"TITLE": raw, "OPPORTUNITY": raw, "PHONE": raw, "BEGINDATE": raw, "UF_CRM_1687188500": raw,
		"UF_CRM_1687188400": raw, "UF_CRM_1687189300": raw, "UF_CRM_UNKNOWN": raw}
}

// FuzzDiff checks that Diff never panics, that a state never differs from
// itself, and that storing a snapshot (ParseSnapshot, Encode) keeps its
// meaning. The deal seed is large, so when fuzzing pass a short
// -fuzzminimizetime (e.g. 3s) or new inputs spend a minute each being
// minimised.
func FuzzDiff(f *testing.F) {
	deal, err := os.ReadFile("testdata/deal.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(deal, deal)
	f.Add(deal, []byte(`{"TITLE":"x","OPPORTUNITY":"1e3","PHONE":[{"ID":"1","VALUE":"+1"}]}`))
	f.Add([]byte(`{"PHONE":[{"ID":"1","VALUE_TYPE":"WORK","VALUE":"+1"},{"ID":"1","VALUE":"+2"}]}`), []byte(`{"PHONE":[{"ID":"1","VALUE":"+2"}]}`))
	f.Add([]byte(`"100.00|USD"`), []byte(`"100|usd"`))
	f.Add([]byte(`"2024-08-30T14:29:00+02:00"`), []byte(`"30.08.2024"`))
	f.Add([]byte(`["1","2",["3"],{"id":4,"showUrl":"x"}]`), []byte(`null`))
	f.Add([]byte(`"\u2028 \ud800 N"`), []byte(`false`))
	f.Add([]byte(`"-.e5"`), []byte(`1e-400`))
	f.Add([]byte{0xff, '"'}, []byte(`{`))
	schema := dealSchema(f)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		sa, sb := toSnapshot(a), toSnapshot(b)
		for _, s := range []*Schema{nil, schema} {
			if d := Diff(s, sa, sa); len(d) != 0 {
				t.Fatalf("Diff(a, a) = %s", brief(d))
			}
			if !Unchanged(s, sa, sa) {
				t.Fatal("Unchanged(a, a) = false")
			}
			ab, ba := Diff(s, sa, sb), Diff(s, sb, sa)
			if (len(ab) == 0) != (len(ba) == 0) {
				t.Fatalf("Diff(a, b) = %s but Diff(b, a) = %s", brief(ab), brief(ba))
			}
			if Unchanged(s, sa, sb) != (len(ab) == 0) {
				t.Fatalf("Unchanged disagrees with Diff = %s", brief(ab))
			}
			NewCreation(s, sa)
			NewDeletion(s, sa)
		}
		// Storing a snapshot must not change what it means.
		if p, err := ParseSnapshot(a); err == nil {
			enc, err := p.Encode()
			if err != nil {
				t.Fatalf("Encode of a parsed snapshot: %v", err)
			}
			q, err := ParseSnapshot(enc)
			if err != nil {
				t.Fatalf("ParseSnapshot(Encode) = %v for %s", err, enc)
			}
			if !p.Equal(q) {
				t.Fatalf("Encode is not stable: %s", enc)
			}
			if d := Diff(schema, sa, q); len(d) != 0 {
				t.Fatalf("canonical encoding changed values: %s", brief(d))
			}
		}
	})
}
