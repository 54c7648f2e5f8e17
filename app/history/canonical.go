package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// canonicalRaw returns v in canonical JSON (see canonicalJSON), null when v
// is empty.
//
// Values that are not a plain string or literal (lists, objects: product
// rows, multi-fields, file fields) are rewritten token by token rather than
// decoded into maps and encoded again: drains make every value of every
// record they read canonical, and the values PostgreSQL gives back from
// jsonb never match the portal's bytes (jsonb spaces and orders them its
// own way), so this is on their hot path. Invalid JSON still goes through
// encoding/json, which names what is wrong.
func canonicalRaw(v json.RawMessage) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "", "null", `""`, "[]", "{}":
		return jsonNull, nil
	}
	if isPlainString(v) || isLiteral(v) {
		return v, nil
	}
	if !json.Valid(v) {
		return decodedCanonical(v)
	}
	c := canonicalizer{data: v}
	out, err := c.value(make([]byte, 0, len(v)))
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodedCanonical is canonicalRaw through encoding/json.
func decodedCanonical(v []byte) (json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return canonicalJSON(x)
}

// canonicalizer rewrites one valid JSON text canonically.
type canonicalizer struct {
	data []byte
	i    int
}

var errCanonical = errors.New("history: malformed JSON value")

func (c *canonicalizer) space() {
	for c.i < len(c.data) {
		switch c.data[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// value appends the canonical form of the value at c.i and moves past it.
func (c *canonicalizer) value(b []byte) ([]byte, error) {
	c.space()
	if c.i >= len(c.data) {
		return nil, errCanonical
	}
	switch ch := c.data[c.i]; {
	case ch == '{':
		return c.object(b)
	case ch == '[':
		return c.array(b)
	case ch == '"':
		s, err := c.str()
		if err != nil {
			return nil, err
		}
		return appendCanonicalString(b, s)
	default:
		// A number as written (json.Number), or true, false, null.
		start := c.i
		for c.i < len(c.data) && !endsLiteral(c.data[c.i]) {
			c.i++
		}
		return append(b, c.data[start:c.i]...), nil
	}
}

// endsLiteral reports whether ch ends a number or literal.
func endsLiteral(ch byte) bool {
	switch ch {
	case ' ', '\t', '\n', '\r', ',', ']', '}':
		return true
	}
	return false
}

// str returns the string token at c.i, quotes included, and moves past it.
func (c *canonicalizer) str() ([]byte, error) {
	end := stringEnd(c.data, c.i)
	if end < 0 {
		return nil, errCanonical
	}
	s := c.data[c.i:end]
	c.i = end
	return s, nil
}

// appendCanonicalString appends the string token s as canonicalJSON writes
// the string it stands for.
func appendCanonicalString(b, s []byte) ([]byte, error) {
	if isPlainString(s) {
		return append(b, s...), nil
	}
	var v string
	if err := json.Unmarshal(s, &v); err != nil {
		return nil, err
	}
	e, err := canonicalJSON(v)
	return append(b, e...), err
}

func (c *canonicalizer) array(b []byte) ([]byte, error) {
	c.i++ // [
	b = append(b, '[')
	c.space()
	if c.i < len(c.data) && c.data[c.i] == ']' {
		c.i++
		return append(b, ']'), nil
	}
	for {
		var err error
		if b, err = c.value(b); err != nil {
			return nil, err
		}
		c.space()
		if c.i >= len(c.data) {
			return nil, errCanonical
		}
		switch c.data[c.i] {
		case ',':
			c.i++
			b = append(b, ',')
		case ']':
			c.i++
			return append(b, ']'), nil
		default:
			return nil, errCanonical
		}
	}
}

// member is an object member: its key as decoded (the sort order) and
// encoded, and where its canonical value lies in the object's scratch.
type member struct {
	key        []byte
	encoded    []byte
	start, end int
}

// object appends the object's members sorted by key; of a repeated key
// the last one counts, as when decoding into a map.
func (c *canonicalizer) object(b []byte) ([]byte, error) {
	c.i++ // {
	c.space()
	if c.i < len(c.data) && c.data[c.i] == '}' {
		c.i++
		return append(b, '{', '}'), nil
	}
	var (
		members []member
		scratch []byte
	)
	for {
		c.space()
		tok, err := c.str()
		if err != nil {
			return nil, err
		}
		m := member{}
		if isPlainString(tok) {
			m.key, m.encoded = tok[1:len(tok)-1], tok
		} else {
			var key string
			if err := json.Unmarshal(tok, &key); err != nil {
				return nil, err
			}
			if m.encoded, err = canonicalJSON(key); err != nil {
				return nil, err
			}
			m.key = []byte(key)
		}
		c.space()
		if c.i >= len(c.data) || c.data[c.i] != ':' {
			return nil, errCanonical
		}
		c.i++
		m.start = len(scratch)
		if scratch, err = c.value(scratch); err != nil {
			return nil, err
		}
		m.end = len(scratch)
		members = append(members, m)
		c.space()
		if c.i >= len(c.data) {
			return nil, errCanonical
		}
		if c.data[c.i] == '}' {
			c.i++
			break
		}
		if c.data[c.i] != ',' {
			return nil, errCanonical
		}
		c.i++
	}
	// Stable, so that of equal keys the last stays last.
	slices.SortStableFunc(members, func(x, y member) int { return bytes.Compare(x.key, y.key) })
	b = append(b, '{')
	first := true
	for k, m := range members {
		if k+1 < len(members) && bytes.Equal(members[k+1].key, m.key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, m.encoded...)
		b = append(b, ':')
		b = append(b, scratch[m.start:m.end]...)
	}
	return append(b, '}'), nil
}
