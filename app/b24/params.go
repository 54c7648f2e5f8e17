package b24

import (
	"encoding"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Params are the arguments of a REST method. Values may be strings, numbers,
// booleans, nil, time.Time, json.Number, encoding.TextMarshaler, maps with
// string keys and slices or arrays of any of these, nested to any depth.
//
// Portals read parameters the way PHP reads a form: nested values become
// bracketed keys (filter[>ID]=5, select[]=ID). Map keys are written in sorted
// order so that equal parameters always encode to equal bytes.
type Params map[string]any

// EncodeParams encodes p as an application/x-www-form-urlencoded body with
// PHP-style nested keys:
//
//	{"filter": {">ID": 5}, "select": ["ID", "TITLE"]}
//	→ filter%5B%3EID%5D=5&select%5B%5D=ID&select%5B%5D=TITLE
//
// Booleans encode as 1 and 0 (what PHP's http_build_query writes), nil as an
// empty string. Empty maps and slices are left out: a form cannot express
// them, and portals treat a missing parameter as empty.
func EncodeParams(p Params) string {
	var b strings.Builder
	encodeInto(&b, p, url.QueryEscape)
	return b.String()
}

// encodeCommand encodes p as the query part of a batch command. Brackets and
// '$' stay literal so that $result[...] references remain readable to the
// portal however it resolves them (before or after it splits the query).
func encodeCommand(p Params) string {
	var b strings.Builder
	encodeInto(&b, p, commandEscape)
	return b.String()
}

func encodeInto(b *strings.Builder, p Params, esc func(string) string) {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		encodeValue(b, esc(k), p[k], esc)
	}
}

// referenceUnescape puts back the characters of a batch reference. Built
// once: a Replacer builds its tables on first use, which per call cost more
// than the escaping itself.
var referenceUnescape = strings.NewReplacer("%24", "$", "%5B", "[", "%5D", "]")

// commandEscape escapes like url.QueryEscape but keeps the characters of a
// batch reference ($, [, ]) as they are.
func commandEscape(s string) string {
	e := url.QueryEscape(s)
	if !strings.Contains(e, "%") {
		return e
	}
	return referenceUnescape.Replace(e)
}

func encodeValue(b *strings.Builder, key string, v any, esc func(string) string) {
	switch x := v.(type) {
	case nil:
		writePair(b, key, "")
	case string:
		writePair(b, key, esc(x))
	case bool:
		if x {
			writePair(b, key, "1")
		} else {
			writePair(b, key, "0")
		}
	case int:
		writePair(b, key, strconv.Itoa(x))
	case int64:
		writePair(b, key, strconv.FormatInt(x, 10))
	case float64:
		writePair(b, key, strconv.FormatFloat(x, 'f', -1, 64))
	case json.Number:
		writePair(b, key, esc(string(x)))
	case time.Time:
		writePair(b, key, esc(x.Format(time.RFC3339)))
	case Params:
		encodeMap(b, key, x, esc)
	case map[string]any:
		encodeMap(b, key, x, esc)
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			writePair(b, key+esc("["+k+"]"), esc(x[k]))
		}
	case []string:
		for _, s := range x {
			writePair(b, key+esc("[]"), esc(s))
		}
	case []int:
		for _, n := range x {
			writePair(b, key+esc("[]"), strconv.Itoa(n))
		}
	case []int64:
		for _, n := range x {
			writePair(b, key+esc("[]"), strconv.FormatInt(n, 10))
		}
	case []any:
		for i, e := range x {
			encodeValue(b, key+esc("["+listIndex(e, i)+"]"), e, esc)
		}
	case encoding.TextMarshaler:
		t, err := x.MarshalText()
		if err != nil {
			t = nil
		}
		writePair(b, key, esc(string(t)))
	default:
		encodeReflect(b, key, reflect.ValueOf(v), esc)
	}
}

// listIndex returns "" (append) for scalar elements and the position for
// nested ones: PHP would put the parts of select[][A]=1&select[][B]=2 into two
// different elements, so nested elements need explicit indexes.
func listIndex(e any, i int) string {
	switch e.(type) {
	case map[string]any, Params, map[string]string, []any, []string, []int, []int64:
		return strconv.Itoa(i)
	}
	return ""
}

func encodeMap(b *strings.Builder, key string, m map[string]any, esc func(string) string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		encodeValue(b, key+esc("["+k+"]"), m[k], esc)
	}
}

// encodeReflect handles the remaining kinds (other integer and float types,
// typed maps and slices) without allocating on the common paths above.
func encodeReflect(b *strings.Builder, key string, v reflect.Value, esc func(string) string) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		writePair(b, key, strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		writePair(b, key, strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		writePair(b, key, strconv.FormatFloat(v.Float(), 'f', -1, 64))
	case reflect.String:
		writePair(b, key, esc(v.String()))
	case reflect.Bool:
		encodeValue(b, key, v.Bool(), esc)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			writePair(b, key, "")
			return
		}
		encodeValue(b, key, v.Elem().Interface(), esc)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			writePair(b, key, esc(fmt.Sprint(v.Interface())))
			return
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			encodeValue(b, key+esc("["+k.String()+"]"), v.MapIndex(k).Interface(), esc)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			e := v.Index(i).Interface()
			encodeValue(b, key+esc("["+listIndex(e, i)+"]"), e, esc)
		}
	default:
		writePair(b, key, esc(fmt.Sprint(v.Interface())))
	}
}

func writePair(b *strings.Builder, key, value string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(key)
	b.WriteByte('=')
	b.WriteString(value)
}
