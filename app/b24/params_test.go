package b24

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEncodeParams(t *testing.T) {
	tests := []struct {
		name string
		in   Params
		want string // decoded form, for readability
	}{
		{"empty", nil, ""},
		{"scalars", Params{"id": 5, "s": "a b&c", "t": true, "f": false, "n": nil, "x": 1.5},
			"f=0&id=5&n=&s=a b&c&t=1&x=1.5"},
		{"nested map and list", Params{"filter": Params{">ID": 5, "STAGE_ID": "NEW"}, "order": map[string]any{"ID": "ASC"}, "select": []string{"ID", "TITLE"}},
			"filter[>ID]=5&filter[STAGE_ID]=NEW&order[ID]=ASC&select[]=ID&select[]=TITLE"},
		{"list of maps gets indexes", Params{"fields": Params{"PHONE": []any{Params{"VALUE": "1", "VALUE_TYPE": "WORK"}, Params{"VALUE": "2"}}}},
			"fields[PHONE][0][VALUE]=1&fields[PHONE][0][VALUE_TYPE]=WORK&fields[PHONE][1][VALUE]=2"},
		{"typed slices and maps", Params{"id": []int64{1, 2}, "m": map[string]string{"b": "2", "a": "1"}, "u": uint8(7), "i32": []int32{3}},
			"i32[]=3&id[]=1&id[]=2&m[a]=1&m[b]=2&u=7"},
		{"time", Params{"d": time.Date(2024, 8, 30, 14, 29, 0, 0, time.UTC)}, "d=2024-08-30T14:29:00Z"},
		{"pointer", Params{"p": new(int)}, "p=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := EncodeParams(tt.in)
			got, err := url.QueryUnescape(enc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("EncodeParams = %q\n want (decoded) %q", got, tt.want)
			}
			if _, err := url.ParseQuery(enc); err != nil {
				t.Errorf("not a valid query: %v", err)
			}
		})
	}
}

func TestEncodeParamsEscapes(t *testing.T) {
	got := EncodeParams(Params{"filter": Params{">ID": 5}, "q": "a&b=c"})
	want := "filter%5B%3EID%5D=5&q=a%26b%3Dc"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEncodeCommandKeepsReferences(t *testing.T) {
	got := encodeCommand(Params{"filter": Params{">ID": "$result[p0][49][ID]"}, "start": -1, "t": "a&b"})
	want := "filter[%3EID]=$result[p0][49][ID]&start=-1&t=a%26b"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// The portal parses the command's query like a form; the reference
	// must come out intact.
	v, err := url.ParseQuery(got)
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("filter[>ID]") != "$result[p0][49][ID]" || v.Get("t") != "a&b" {
		t.Errorf("parsed %v", v)
	}
}

func BenchmarkEncodeParams(b *testing.B) {
	p := Params{
		"filter": Params{">ID": 123456, "STAGE_ID": "C1:NEW", "CATEGORY_ID": 1},
		"order":  Params{"ID": "ASC"},
		"select": []string{"ID", "TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID", "ASSIGNED_BY_ID", "DATE_MODIFY", "UF_CRM_1687188367"},
		"start":  -1,
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeParams(p)
	}
}

// BenchmarkEncodeCommand encodes a batch command whose values need
// escaping, as a reconciliation's keyset page does.
func BenchmarkEncodeCommand(b *testing.B) {
	p := Params{"filter": Params{">DATE_MODIFY": "2026-12-01T05:00:00+03:00", ">ID": "$result[p0][49][ID]"}, "start": -1}
	b.ReportAllocs()
	for b.Loop() {
		var s strings.Builder
		encodeInto(&s, p, commandEscape)
	}
}
