package history

import (
	"encoding/json"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		raw   string
		want  Value
	}{
		// Empty in all its spellings.
		{"null", Field{Type: TypeString}, `null`, Value{}},
		{"missing", Field{Type: TypeString}, ``, Value{}},
		{"empty string", Field{Type: TypeString}, `""`, Value{}},
		{"blank string", Field{Type: TypeString}, `"  \n "`, Value{}},
		{"empty array", Field{Type: TypeEnumeration, Multiple: true}, `[]`, Value{}},
		{"array of empties", Field{Type: TypeString, Multiple: true}, `["", null]`, Value{}},
		{"empty object", Field{}, `{}`, Value{}},

		// Text.
		{"text trimmed", Field{Type: TypeString}, `"  Deal #1 "`, Value{Kind: KindText, Text: "Deal #1"}},
		{"text CRLF", Field{Type: TypeString}, `"a\r\nb\rc"`, Value{Kind: KindText, Text: "a\nb\nc"}},
		{"text inner spaces kept", Field{Type: TypeString}, `"a  b"`, Value{Kind: KindText, Text: "a  b"}},
		{"text escaped slash", Field{Type: TypeString}, `"[B]x[\/B]"`, Value{Kind: KindText, Text: "[B]x[/B]"}},
		{"string field keeps leading zeros", Field{Type: TypeString}, `"007"`, Value{Kind: KindText, Text: "007"}},

		// Numbers.
		{"double trailing zeros", Field{Type: TypeDouble}, `"100.00"`, Value{Kind: KindNumber, Text: "100"}},
		{"double fraction", Field{Type: TypeDouble}, `"19999.990"`, Value{Kind: KindNumber, Text: "19999.99"}},
		{"double JSON number", Field{Type: TypeDouble}, `19000`, Value{Kind: KindNumber, Text: "19000"}},
		{"double exponent", Field{Type: TypeDouble}, `"1.5e3"`, Value{Kind: KindNumber, Text: "1500"}},
		{"double negative zero", Field{Type: TypeDouble}, `"-0.00"`, Value{Kind: KindNumber, Text: "0"}},
		{"double leading zeros", Field{Type: TypeDouble}, `"0005.50"`, Value{Kind: KindNumber, Text: "5.5"}},
		{"double leading dot", Field{Type: TypeDouble}, `".5"`, Value{Kind: KindNumber, Text: "0.5"}},
		{"integer", Field{Type: TypeInteger}, `"99"`, Value{Kind: KindNumber, Text: "99"}},
		{"double not a number", Field{Type: TypeDouble}, `"n/a"`, Value{Kind: KindText, Text: "n/a"}},
		{"double infinity stays text", Field{Type: TypeDouble}, `"1e9999"`, Value{Kind: KindText, Text: "1e9999"}},
		{"double huge exact", Field{Type: TypeDouble}, `"123456789012345678901234567890.10"`, Value{Kind: KindNumber, Text: "123456789012345678901234567890.1"}},

		// Money.
		{"money", Field{Type: TypeMoney}, `"100.00|USD"`, Value{Kind: KindMoney, Text: "100|USD"}},
		{"money lower currency", Field{Type: TypeMoney}, `"100.5|eur"`, Value{Kind: KindMoney, Text: "100.5|EUR"}},
		{"money without amount", Field{Type: TypeMoney}, `"|USD"`, Value{}},
		{"money without currency", Field{Type: TypeMoney}, `"12"`, Value{Kind: KindMoney, Text: "12"}},
		{"money garbage", Field{Type: TypeMoney}, `"lots|USD"`, Value{Kind: KindText, Text: "lots|USD"}},

		// Booleans.
		{"char Y", Field{Type: TypeChar}, `"Y"`, Value{Kind: KindBool, Text: "Y"}},
		{"char N", Field{Type: TypeChar}, `"N"`, Value{Kind: KindBool, Text: "N"}},
		{"boolean 1", Field{Type: TypeBoolean}, `"1"`, Value{Kind: KindBool, Text: "Y"}},
		{"boolean 0", Field{Type: TypeBoolean}, `"0"`, Value{Kind: KindBool, Text: "N"}},
		{"boolean JSON true", Field{Type: TypeBoolean}, `true`, Value{Kind: KindBool, Text: "Y"}},
		{"boolean JSON number", Field{Type: TypeBoolean}, `0`, Value{Kind: KindBool, Text: "N"}},
		{"boolean word", Field{Type: TypeBoolean}, `"False"`, Value{Kind: KindBool, Text: "N"}},

		// Dates and times.
		{"datetime to UTC", Field{Type: TypeDateTime}, `"2024-08-30T14:29:00+02:00"`, Value{Kind: KindDateTime, Text: "2024-08-30T12:29:00Z"}},
		{"datetime already UTC", Field{Type: TypeDateTime}, `"2024-08-30T12:29:00Z"`, Value{Kind: KindDateTime, Text: "2024-08-30T12:29:00Z"}},
		{"datetime without zone", Field{Type: TypeDateTime}, `"2024-08-30 14:29:00"`, Value{Kind: KindDateTime, Text: "2024-08-30T14:29:00"}},
		{"datetime day first", Field{Type: TypeDateTime}, `"30.08.2024 14:29:00"`, Value{Kind: KindDateTime, Text: "2024-08-30T14:29:00"}},
		{"datetime holding a date", Field{Type: TypeDateTime}, `"2024-08-30"`, Value{Kind: KindDate, Text: "2024-08-30"}},
		{"date from midnight with zone", Field{Type: TypeDate}, `"2024-08-30T00:00:00+03:00"`, Value{Kind: KindDate, Text: "2024-08-30"}},
		{"date keeps wall date", Field{Type: TypeDate}, `"2024-08-30T02:00:00+02:00"`, Value{Kind: KindDate, Text: "2024-08-30"}},
		{"date plain", Field{Type: TypeDate}, `"2025-12-28"`, Value{Kind: KindDate, Text: "2025-12-28"}},
		{"date day first", Field{Type: TypeDate}, `"28.12.2025"`, Value{Kind: KindDate, Text: "2025-12-28"}},
		{"date garbage", Field{Type: TypeDate}, `"soon"`, Value{Kind: KindText, Text: "soon"}},

		// Identifiers.
		{"enumeration", Field{Type: TypeEnumeration}, `"79"`, Value{Kind: KindID, Text: "79"}},
		{"enumeration number", Field{Type: TypeEnumeration}, `79`, Value{Kind: KindID, Text: "79"}},
		{"status", Field{Type: TypeStatus}, `"C1:NEW"`, Value{Kind: KindID, Text: "C1:NEW"}},
		{"category zero is a funnel", Field{Type: TypeCategory}, `"0"`, Value{Kind: KindID, Text: "0"}},
		{"company zero is none", Field{Type: TypeCompany}, `"0"`, Value{}},
		{"user", Field{Type: TypeUser}, `"1"`, Value{Kind: KindID, Text: "1"}},
		{"employee zero", Field{Type: TypeEmployee}, `0`, Value{}},
		{"crm binding", Field{Type: TypeCRM}, `"D_12"`, Value{Kind: KindID, Text: "D_12"}},

		// Files.
		{"file object", Field{Type: TypeFile}, `{"id":512,"showUrl":"/show?auth=a","downloadUrl":"/dl?auth=a"}`, Value{Kind: KindFile, Text: "512"}},
		{"file id", Field{Type: TypeFile}, `"512"`, Value{Kind: KindFile, Text: "512"}},
		{"file none", Field{Type: TypeFile}, `"0"`, Value{}},

		// Multiple values.
		{"multiple enumeration sorted", Field{Type: TypeEnumeration, Multiple: true}, `["81","79","100"]`,
			Value{Kind: KindList, List: []Value{{Kind: KindID, Text: "79"}, {Kind: KindID, Text: "81"}, {Kind: KindID, Text: "100"}}}},
		{"multiple drops empties", Field{Type: TypeEmployee, Multiple: true}, `["3", "", "0"]`,
			Value{Kind: KindList, List: []Value{{Kind: KindID, Text: "3"}}}},
		{"multifield", Field{Type: TypeMultifield, Multiple: true},
			`[{"ID":"158","VALUE_TYPE":"HOME","VALUE":" +1 555 ","TYPE_ID":"PHONE"},{"ID":"156","VALUE_TYPE":"work","VALUE":"+13333333555","TYPE_ID":"PHONE"}]`,
			Value{Kind: KindList, List: []Value{
				{Kind: KindItem, ID: "156", ValueType: "WORK", Text: "+13333333555"},
				{Kind: KindItem, ID: "158", ValueType: "HOME", Text: "+1 555"},
			}}},
		{"multifield item without value", Field{Type: TypeMultifield, Multiple: true}, `[{"ID":"1","VALUE":"","TYPE_ID":"EMAIL"}]`, Value{}},

		// No metadata: inferred from the value.
		{"infer number", Field{}, `"100.00"`, Value{Kind: KindNumber, Text: "100"}},
		{"infer code stays text", Field{}, `"007"`, Value{Kind: KindText, Text: "007"}},
		{"infer money", Field{}, `"100.00|USD"`, Value{Kind: KindMoney, Text: "100|USD"}},
		{"infer datetime", Field{}, `"2024-08-30T14:29:00+02:00"`, Value{Kind: KindDateTime, Text: "2024-08-30T12:29:00Z"}},
		{"infer date", Field{}, `"2024-08-30"`, Value{Kind: KindDate, Text: "2024-08-30"}},
		{"infer text", Field{}, `"Hello world!"`, Value{Kind: KindText, Text: "Hello world!"}},
		{"infer bool JSON", Field{}, `true`, Value{Kind: KindBool, Text: "Y"}},
		{"infer Y stays text", Field{}, `"Y"`, Value{Kind: KindText, Text: "Y"}},
		{"infer file", Field{}, `{"id":"7","downloadUrl":"/x"}`, Value{Kind: KindFile, Text: "7"}},
		{"infer object", Field{}, `{"b":1,"a":"<x>"}`, Value{Kind: KindJSON, Text: `{"a":"<x>","b":1}`}},
		{"infer list", Field{}, `["2","1"]`, Value{Kind: KindList, List: []Value{{Kind: KindNumber, Text: "1"}, {Kind: KindNumber, Text: "2"}}}},
		{"infer multifield", Field{}, `[{"ID":"5","VALUE_TYPE":"WORK","VALUE":"a@b.c","TYPE_ID":"EMAIL"}]`,
			Value{Kind: KindList, List: []Value{{Kind: KindItem, ID: "5", ValueType: "WORK", Text: "a@b.c"}}}},
		{"invalid JSON kept as text", Field{}, `{"a"`, Value{Kind: KindText, Text: `{"a"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.field, json.RawMessage(tt.raw))
			if !got.Equal(tt.want) || got.Kind != tt.want.Kind {
				t.Errorf("Normalize(%s, %s) = %v, want %v", tt.field.Type, tt.raw, got, tt.want)
			}
		})
	}
}

// Pairs that must compare equal: the same content spelled differently.
func TestNormalizeEquivalences(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		a, b  string
	}{
		{"money decimals", Field{Type: TypeMoney}, `"100|USD"`, `"100.00|USD"`},
		{"opportunity decimals", Field{Type: TypeDouble}, `"100"`, `"100.00"`},
		{"opportunity number vs string", Field{Type: TypeDouble}, `100`, `"100.00"`},
		{"instant in two zones", Field{Type: TypeDateTime}, `"2024-08-30T14:29:00+02:00"`, `"2024-08-30T15:29:00+03:00"`},
		{"date as date or midnight", Field{Type: TypeDate}, `"2024-08-30"`, `"2024-08-30T00:00:00+03:00"`},
		{"bool Y and 1", Field{Type: TypeBoolean}, `"Y"`, `"1"`},
		{"bool N and false", Field{Type: TypeChar}, `"N"`, `false`},
		{"bool N and null", Field{Type: TypeBoolean}, `"0"`, `null`},
		{"null and empty string", Field{Type: TypeString}, `null`, `""`},
		{"empty array and null", Field{Type: TypeEnumeration, Multiple: true}, `[]`, `null`},
		{"enumeration set order", Field{Type: TypeEnumeration, Multiple: true}, `["79","80"]`, `["80","79"]`},
		{"enumeration string vs number", Field{Type: TypeEnumeration}, `"79"`, `79`},
		{"surrounding space", Field{Type: TypeString}, `"Acme"`, `"Acme  "`},
		{"line ends", Field{Type: TypeString}, `"a\nb"`, `"a\r\nb"`},
		{"file urls differ", Field{Type: TypeFile}, `{"id":5,"downloadUrl":"/a?auth=1"}`, `{"id":"5","downloadUrl":"/a?auth=2"}`},
		{"company 0 and null", Field{Type: TypeCompany}, `"0"`, `null`},
		{"untyped decimals", Field{}, `"5"`, `"5.0"`},
		{"untyped object key order", Field{}, `{"a":1,"b":2}`, `{"b":2,"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Normalize(tt.field, json.RawMessage(tt.a)), Normalize(tt.field, json.RawMessage(tt.b))
			if !a.Equal(b) {
				t.Errorf("%s = %v and %s = %v differ", tt.a, a, tt.b, b)
			}
		})
	}
}

// Pairs that must differ: real edits that normalisation must not hide.
func TestNormalizeDistinctions(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		a, b  string
	}{
		{"amount", Field{Type: TypeDouble}, `"100"`, `"100.01"`},
		{"zero amount is a value", Field{Type: TypeDouble}, `"0.00"`, `null`},
		{"currency", Field{Type: TypeMoney}, `"100|USD"`, `"100|EUR"`},
		{"instant", Field{Type: TypeDateTime}, `"2024-08-30T14:29:00+02:00"`, `"2024-08-30T14:29:00+03:00"`},
		{"date", Field{Type: TypeDate}, `"2024-08-30"`, `"2024-08-31"`},
		{"flag", Field{Type: TypeChar}, `"Y"`, `"N"`},
		{"inner whitespace", Field{Type: TypeString}, `"a b"`, `"a  b"`},
		{"case", Field{Type: TypeString}, `"acme"`, `"Acme"`},
		{"code with zeros", Field{Type: TypeString}, `"007"`, `"7"`},
		{"untyped code with zeros", Field{}, `"007"`, `"7"`},
		{"enumeration set", Field{Type: TypeEnumeration, Multiple: true}, `["79"]`, `["79","80"]`},
		{"category 0 and null", Field{Type: TypeCategory}, `"0"`, `null`},
		{"file", Field{Type: TypeFile}, `{"id":5}`, `{"id":6}`},
		{"multifield type", Field{Type: TypeMultifield, Multiple: true},
			`[{"ID":"1","VALUE_TYPE":"WORK","VALUE":"x"}]`, `[{"ID":"1","VALUE_TYPE":"HOME","VALUE":"x"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Normalize(tt.field, json.RawMessage(tt.a)), Normalize(tt.field, json.RawMessage(tt.b))
			if a.Equal(b) {
				t.Errorf("%s and %s both normalise to %v", tt.a, tt.b, a)
			}
		})
	}
}

func TestValueJSON(t *testing.T) {
	v := Value{Kind: KindList, List: []Value{{Kind: KindItem, ID: "1", ValueType: "WORK", Text: "x"}}}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kind":"list","list":[{"kind":"item","text":"x","id":"1","value_type":"WORK"}]}`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var back Value
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(v) {
		t.Errorf("round trip = %v, want %v", back, v)
	}
	if err := json.Unmarshal([]byte(`{"kind":"weird"}`), &back); err == nil {
		t.Error("unknown kind accepted")
	}
}
