package history

import (
	"encoding/json"
	"os"
	"testing"
)

// benchPair returns the 60-field deal and the same deal after a typical save:
// a stage move, a new amount, a changed enumeration, one product line added,
// plus the system fields a save touches and values respelled as the API
// sometimes does.
func benchPair(b *testing.B) (*Schema, Snapshot, Snapshot) {
	old := dealSnapshot(b)
	cur := edit(old, map[string]string{
		"STAGE_ID":          `"C1:WON"`,
		"OPPORTUNITY":       `"1200000.00"`,
		"UF_CRM_1687188367": `"80"`,
		"UF_CRM_1687188400": `["90","91","92"]`,
		"COMMENTS":          `"Signed."`,
		"DATE_MODIFY":       `"2024-09-01T10:00:00+02:00"`,
		"MODIFY_BY_ID":      `"5"`,
		"MOVED_TIME":        `"2024-09-01T10:00:00+02:00"`,
		"TAX_VALUE":         `"0"`,
		"BEGINDATE":         `"2024-08-30T03:00:00+03:00"`,
	})
	return dealSchema(b), old, cur
}

func BenchmarkDiff(b *testing.B) {
	s, old, cur := benchPair(b)
	if n := len(Diff(s, old, cur)); n != 5 {
		b.Fatalf("%d changes, want 5", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(s, old, cur)
	}
}

// BenchmarkDiffNoChange is the common reconciliation case: the record was
// fetched again and nothing but system fields moved.
func BenchmarkDiffNoChange(b *testing.B) {
	s, old, _ := benchPair(b)
	cur := edit(old, map[string]string{"DATE_MODIFY": `"2024-09-01T10:00:00+02:00"`, "LAST_ACTIVITY_TIME": `"2024-09-01T10:00:00+02:00"`})
	b.ReportAllocs()
	for b.Loop() {
		Unchanged(s, old, cur)
	}
}

func BenchmarkParseSnapshot(b *testing.B) {
	data, err := os.ReadFile("testdata/deal.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseSnapshot(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	data, _ := os.ReadFile("testdata/deal.json")
	s, err := ParseSnapshot(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEqual(b *testing.B) {
	data, _ := os.ReadFile("testdata/deal.json")
	s1, _ := ParseSnapshot(data)
	s2, _ := ParseSnapshot(data)
	b.ReportAllocs()
	for b.Loop() {
		if !s1.Equal(s2) {
			b.Fatal("not equal")
		}
	}
}

var sinkValue Value

func BenchmarkNormalize(b *testing.B) {
	cases := []struct {
		name string
		f    Field
		raw  json.RawMessage
	}{
		{"text", Field{Type: TypeString}, json.RawMessage(`"Fleet renewal 2024"`)},
		{"double", Field{Type: TypeDouble}, json.RawMessage(`"1000000.00"`)},
		{"datetime", Field{Type: TypeDateTime}, json.RawMessage(`"2024-08-30T14:29:00+02:00"`)},
		{"multifield", Field{Type: TypeMultifield, Multiple: true}, json.RawMessage(`[{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333555","TYPE_ID":"PHONE"},{"ID":"158","VALUE_TYPE":"MOBILE","VALUE":"+14444444666","TYPE_ID":"PHONE"}]`)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkValue = Normalize(c.f, c.raw)
			}
		})
	}
}
