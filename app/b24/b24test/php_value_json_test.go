package b24test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// The emulator's own string quoting writes what encoding/json writes with
// HTML escaping off, for every string.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ slash`, "tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f",
		"<&>", "Сделка №1", "line\u2028para\u2029", "bad \xff\xfe utf8", "emoji 😀", "\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := marshalJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		appendJSONString(&b, s)
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%q: %s, want %s", s, b.Bytes(), want)
		}
	})
}

// Nested objs, lists and scalars come out as one valid JSON text, in key
// order, lists as arrays.
func TestObjMarshalNested(t *testing.T) {
	o := objOf("ID", json.Number("7"), "TITLE", "A \"deal\"", "EMPTY", listOf(), "NIL", nil, "OK", true,
		"ROWS", listOf(objOf("PRICE", 1.5, "NAME", "Sofa"), objOf("PRICE", 2, "NAME", "Chair")))
	got, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ID":7,"TITLE":"A \"deal\"","EMPTY":[],"NIL":null,"OK":true,"ROWS":[{"PRICE":1.5,"NAME":"Sofa"},{"PRICE":2,"NAME":"Chair"}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// BenchmarkBatchAnswer encodes a batch answer of 50 records of 60 fields,
// as writeJSON does.
func BenchmarkBatchAnswer(b *testing.B) {
	result := newObj()
	for i := range 50 {
		rec := newObj()
		for f := range 60 {
			rec.set("UF_CRM_"+strconv.Itoa(f), "value "+strconv.Itoa(i*f))
		}
		rec.set("CONTACT_IDS", listOf(json.Number("1"), json.Number("2")))
		result.set("deal_"+strconv.Itoa(i), rec)
	}
	answer := objOf("result", objOf("result", result, "result_error", listOf()))
	b.ReportAllocs()
	for b.Loop() {
		writeJSON(httptest.NewRecorder(), http.StatusOK, answer)
	}
}

// An answer writeJSON writes from an obj is what an Encoder with HTML
// escaping off writes, newline included.
func TestWriteJSONObjAsEncoder(t *testing.T) {
	o := objOf("result", objOf("deal_1", objOf("ID", json.Number("1"), "TITLE", "<b>&</b>", "LIST", listOf("a", json.Number("2"))), "result_error", listOf()),
		"time", objOf("start", 1.25))
	var want bytes.Buffer
	e := json.NewEncoder(&want)
	e.SetEscapeHTML(false)
	if err := e.Encode(o); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	writeJSON(w, http.StatusOK, o)
	if got := w.Body.String(); got != want.String() {
		t.Errorf("got  %q\nwant %q", got, want.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
}
