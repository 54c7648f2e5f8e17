package b24

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The splitter must agree with encoding/json on valid input and must not
// panic on anything.
func FuzzEachElement(f *testing.F) {
	for _, s := range []string{
		`[]`, `[1,"a",null,true]`, `[{"ID":"1","T":"a\"b\\"},{"x":[1,{"y":"]"}]}]`,
		` [ {"a" : "}\\\\"} , [ ] ] `, `[1,`, `["\"]`, `{"a":1}`, `[{"a":}]`, `[1 2]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []json.RawMessage
		err := eachElement(b, func(_ int, v []byte) error {
			got = append(got, v)
			return nil
		})
		var want []json.RawMessage
		if json.Unmarshal(b, &want) != nil {
			return // invalid JSON: any answer but a panic is fine
		}
		if err != nil {
			t.Fatalf("valid %q: %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", b, len(got), len(want))
		}
		for i := range got {
			var g, w bytes.Buffer
			json.Compact(&g, got[i])
			json.Compact(&w, want[i])
			if g.String() != w.String() {
				t.Fatalf("%q element %d = %s, want %s", b, i, got[i], want[i])
			}
		}
	})
}

func TestEachMemberKeys(t *testing.T) {
	var keys []string
	err := eachMember([]byte(`{"a":1, "b\u0041" : [1,2], "c":{"d":"}"}}`), func(k string, v []byte) error {
		keys = append(keys, k+"="+string(v))
		return nil
	})
	if err != nil || len(keys) != 3 || keys[1] != "bA=[1,2]" || keys[2] != `c={"d":"}"}` {
		t.Fatalf("%v %v", keys, err)
	}
}
