package history

import (
	"encoding/json"
	"maps"
	"os"
	"testing"
)

// dealSchema is crm.deal.fields of a portal with fifteen user fields of
// every common type; deal.json is a 60-field deal on that portal.
func dealSchema(tb testing.TB) *Schema {
	tb.Helper()
	b, err := os.ReadFile("testdata/deal_fields.json")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ParseFields(b)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func dealSnapshot(tb testing.TB) Snapshot {
	tb.Helper()
	b, err := os.ReadFile("testdata/deal.json")
	if err != nil {
		tb.Fatal(err)
	}
	var s Snapshot // raw, as the wire gives it: not canonicalised
	if err := json.Unmarshal(b, &s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// edit returns a copy of s with fields set to raw JSON values; the value
// "-" removes the field.
func edit(s Snapshot, fields map[string]string) Snapshot {
	out := maps.Clone(s)
	if out == nil {
		out = Snapshot{}
	}
	for k, v := range fields {
		if v == "-" {
			delete(out, k)
			continue
		}
		out[k] = json.RawMessage(v)
	}
	return out
}

func snap(fields map[string]string) Snapshot { return edit(nil, fields) }

// brief renders changes compactly for comparison in tests.
func brief(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Field + " " + c.Kind.String() + " " + c.Old.String() + " → " + c.New.String()
	}
	return out
}
