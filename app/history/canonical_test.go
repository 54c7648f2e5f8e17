package history

import (
	"bytes"
	"os"
	"testing"
)

// canonicalRaw writes what decoding into maps and encoding again writes,
// and fails where that fails.
func FuzzCanonicalRawAsDecoded(f *testing.F) {
	deal, err := os.ReadFile("testdata/deal.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(deal), `[{"b": 1, "a": [2, {"d": null, "c": ""}]}, "x"]`, `{"a":1,"a":2}`,
		`{"\u00e9t\u00e9": "\u0041\n", "e": {}, "f": [], "g": [[]], "h": {"": 1}}`, `[1.50, -0, 1E5, true, false, null]`,
		`{"k\"": "<&>", "bad": "\ud800", "ls": "\u2028"}`, "[\"\xff\"]", `{"a":}`, `[1,]`, `[1] [2]`, `{"x": 1`, ` {"y" : [ 1 , 2 ] } `,
		`"\/path"`, `{"PRODUCT_ROWS": [{"ID": "1", "PRICE": 10.5, "PRODUCT_NAME": "Стул"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := canonicalRaw(v)
		trimmed := bytes.TrimSpace(v)
		var want []byte
		var wantErr error
		switch string(trimmed) {
		case "", "null", `""`, "[]", "{}":
			want = jsonNull
		default:
			if isPlainString(trimmed) || isLiteral(trimmed) {
				want = trimmed
			} else {
				want, wantErr = decodedCanonical(trimmed)
			}
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, want %v", v, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", v, got, want)
		}
	})
}

// BenchmarkCanonicalRaw makes a jsonb-spaced list of product rows
// canonical, as a drain does for each stored record that has some.
func BenchmarkCanonicalRaw(b *testing.B) {
	v := []byte(`[{"ID": "1", "PRICE": 10.5, "QUANTITY": 2, "PRODUCT_ID": 7, "PRODUCT_NAME": "Chair", "DISCOUNT_RATE": 0}, ` +
		`{"ID": "2", "PRICE": 99, "QUANTITY": 1, "PRODUCT_ID": 8, "PRODUCT_NAME": "Table", "DISCOUNT_RATE": 5}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := canonicalRaw(v); err != nil {
			b.Fatal(err)
		}
	}
}
