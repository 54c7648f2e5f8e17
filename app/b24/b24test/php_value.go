package b24test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// obj is an ordered map, the emulator's model of a PHP array. Request
// parameters decode into it, and responses are built from it, because
// Bitrix24 is written in PHP and its wire format follows PHP's rules: keys
// keep their insertion order, a list is an array whose keys are 0..n-1, and
// an empty array is encoded as [] whatever it was meant to hold.
type obj struct {
	keys []string
	m    map[string]any
}

func newObj() *obj { return &obj{m: map[string]any{}} }

// objOf builds an obj from alternating keys and values.
func objOf(kv ...any) *obj {
	o := newObj()
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// listOf builds a PHP list from values.
func listOf(vs ...any) *obj {
	o := newObj()
	for _, v := range vs {
		o.push(v)
	}
	return o
}

func (o *obj) set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *obj) get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.m[k]
	return v, ok
}

func (o *obj) len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// nextIndex is PHP's next auto-increment key: one more than the largest
// non-negative integer key, or 0.
func (o *obj) nextIndex() int {
	n := 0
	for _, k := range o.keys {
		if i, err := strconv.Atoi(k); err == nil && i >= n && strconv.Itoa(i) == k {
			n = i + 1
		}
	}
	return n
}

func (o *obj) push(v any) { o.set(strconv.Itoa(o.nextIndex()), v) }

// values returns the values in key order.
func (o *obj) values() []any {
	if o == nil {
		return nil
	}
	vs := make([]any, len(o.keys))
	for i, k := range o.keys {
		vs[i] = o.m[k]
	}
	return vs
}

// isList reports whether the keys are exactly 0..n-1 in order, the case in
// which PHP's json_encode writes a JSON array.
func (o *obj) isList() bool {
	for i, k := range o.keys {
		if k != strconv.Itoa(i) {
			return false
		}
	}
	return true
}

// MarshalJSON writes the obj as PHP's json_encode would: an array for lists
// (including the empty one), an object otherwise, keys in order.
func (o *obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := o.appendJSON(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendJSON writes the obj into b, nested objs and strings directly:
// through encoding/json each level's output would be checked and copied
// again by the level above, which made the emulator's answers the larger
// part of its cost under load.
func (o *obj) appendJSON(b *bytes.Buffer) error {
	if o == nil {
		b.WriteString("null")
		return nil
	}
	list := o.isList()
	if list {
		b.WriteByte('[')
	} else {
		b.WriteByte('{')
	}
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if !list {
			appendJSONString(b, k)
			b.WriteByte(':')
		}
		if err := appendJSONValue(b, o.m[k]); err != nil {
			return err
		}
	}
	if list {
		b.WriteByte(']')
	} else {
		b.WriteByte('}')
	}
	return nil
}

// appendJSONValue writes v as encoding/json would without HTML escaping.
func appendJSONValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case *obj:
		return x.appendJSON(b)
	case string:
		appendJSONString(b, x)
		return nil
	case nil:
		b.WriteString("null")
		return nil
	}
	vb, err := marshalJSON(v)
	if err != nil {
		return err
	}
	b.Write(vb)
	return nil
}

// appendJSONString writes s quoted as encoding/json does with HTML
// escaping off: invalid UTF-8 becomes U+FFFD, control characters and
// U+2028/U+2029 are escaped.
func appendJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c < 0x20:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			b.WriteString(`\u202`)
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// str renders a scalar parameter value the way PHP would see it in a form
// request: numbers and booleans become their string forms.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return ""
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// asObj returns v as an obj, or nil when it is a scalar.
func asObj(v any) *obj {
	o, _ := v.(*obj)
	return o
}

// strList returns the scalar members of v (a list or a single scalar).
func strList(v any) []string {
	if o := asObj(v); o != nil {
		var out []string
		for _, x := range o.values() {
			if asObj(x) == nil && x != nil {
				out = append(out, str(x))
			}
		}
		return out
	}
	if v == nil {
		return nil
	}
	return []string{str(v)}
}
