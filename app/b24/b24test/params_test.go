package b24test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "id=5&a=b", `{"id":"5","a":"b"}`},
		{"nested", "filter%5B%3EID%5D=5&order[ID]=ASC", `{"filter":{">ID":"5"},"order":{"ID":"ASC"}}`},
		{"append", "select[]=ID&select[]=TITLE", `{"select":["ID","TITLE"]}`},
		{"deep", "fields[PHONE][0][VALUE]=112233&fields[PHONE][0][VALUE_TYPE]=WORK", `{"fields":{"PHONE":[{"VALUE":"112233","VALUE_TYPE":"WORK"}]}}`},
		{"php auto index after explicit", "a[]=x&a[5]=y&a[]=z", `{"a":{"0":"x","5":"y","6":"z"}}`},
		{"later scalar wins", "a[b]=1&a=2", `{"a":"2"}`},
		{"unclosed bracket is literal", "a[b=1", `{"a[b":"1"}`},
		{"bad escape skipped", "a=%zz&b=1", `{"b":"1"}`},
		{"plus is space", "q=a+b", `{"q":"a b"}`},
		{"empty", "", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := marshalJSON(decodeForm(tt.in))
			if string(got) != tt.want {
				t.Errorf("decodeForm(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeJSONKeepsOrder(t *testing.T) {
	t.Parallel()
	v, err := decodeJSON([]byte(`{"cmd":{"z":"a","a":"b"},"n":1.50,"l":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	if want := `{"cmd":{"z":"a","a":"b"},"n":1.50,"l":[]}`; string(got) != want {
		t.Errorf("round trip = %s, want %s", got, want)
	}
	if _, err := decodeJSON([]byte(strings.Repeat("[", 100) + strings.Repeat("]", 100))); err == nil {
		t.Error("100 levels of nesting were accepted")
	}
}

// flatten writes a tree back as bracket-key pairs.
func flatten(prefix string, o *obj, out *[][2]string) {
	for _, k := range o.keys {
		key := k
		if prefix != "" {
			key = prefix + "[" + k + "]"
		}
		if sub := asObj(o.m[k]); sub != nil {
			flatten(key, sub, out)
			continue
		}
		*out = append(*out, [2]string{key, str(o.m[k])})
	}
}

// FuzzDecodeForm checks that any input decodes without panicking and that
// the decoded tree survives encoding and decoding again unchanged.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{
		"filter[>ID]=5&select[]=ID&select[]=TITLE",
		"fields[PHONE][0][VALUE]=1&fields[PHONE][0][VALUE_TYPE]=WORK",
		"a[]=1&a[]=2&a[x][]=3", "a[b=1", "[]=1", "a]b[c]=1", "a[b]c=1", "%5B%5D=%5B", "a[][][]=1&a[][]=2",
		"cmd[x]=crm.deal.list%3Ffilter%5B%3EID%5D%3D%24result%5Ba%5D%5B49%5D%5BID%5D",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		first := decodeForm(in)
		var pairs [][2]string
		flatten("", first, &pairs)
		second := decodeForm(encodeForm(pairs))
		a, _ := json.Marshal(first)
		b, _ := json.Marshal(second)
		if string(a) != string(b) {
			t.Fatalf("decode(%q) = %s, after re-encoding %s", in, a, b)
		}
	})
}

func TestObjMarshalsLikePHP(t *testing.T) {
	t.Parallel()
	o := objOf("b", listOf(), "a", listOf("x", "y"))
	sparse := newObj()
	sparse.set("1", "z")
	o.set("c", sparse)
	got, _ := json.Marshal(o)
	if want := `{"b":[],"a":["x","y"],"c":{"1":"z"}}`; string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

// FuzzDecodeJSON checks that any body decodes or fails without panicking,
// and that what decodes re-encodes to JSON that decodes the same.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"filter":{">ID":5},"select":["ID"]}`, `[]`, `{"a":[1,{"b":null}],"c":true}`, `{"x":1}{`, `"s"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := decodeJSON([]byte(in))
		if err != nil {
			return
		}
		a, err := marshalJSON(v)
		if err != nil {
			t.Fatalf("re-encode %q: %v", in, err)
		}
		w, err := decodeJSON(a)
		if err != nil {
			t.Fatalf("decode of re-encoded %s: %v", a, err)
		}
		if b, _ := marshalJSON(w); string(a) != string(b) {
			t.Fatalf("%s became %s", a, b)
		}
	})
}
