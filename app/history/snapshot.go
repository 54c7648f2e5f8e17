package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Snapshot is the state of one record: field name → raw JSON value, as a
// legacy crm.*.get method returns it (crm.item.* answers must be asked with
// useOriginalUfNames and mapped to legacy names first). A field the portal
// returned empty is present as null; a field that is absent is not known
// (see Diff).
type Snapshot map[string]json.RawMessage

// Format says how a stored snapshot was written, and so what an absent
// field means in it.
type Format int16

// Snapshot formats. Stored rows carry theirs (snapshots.format).
const (
	// FormatSparse snapshots were written before empty values were kept:
	// an absent field was empty, or was not selected by the baseline
	// listing (multiple user fields, which the legacy UF_* mask leaves
	// out), or did not exist yet. Read them through Upgrade.
	FormatSparse Format = 1
	// FormatFull snapshots keep every field the portal returned, empty
	// ones as null: an absent field is one the snapshot does not know.
	FormatFull Format = 2
)

// Upgrade returns a stored snapshot in the FormatFull sense, filling old
// in place. A sparse snapshot gets null for every field of the schema it
// lacks, except multiple fields other than PHONE, EMAIL, WEB and IM: the
// portal had the schema's fields when Trail read it at setup, before any
// snapshot was taken, and both a get and the old baseline listing (`*`,
// `UF_*` and those four multi-fields) returned them all but the multiple
// ones, so the lack meant empty. The other absent fields (multiple ones,
// and fields added to the portal after setup, which the schema does not
// know) stay absent: not known. With no schema nothing is filled in.
func Upgrade(s *Schema, f Format, old Snapshot) Snapshot {
	if f != FormatSparse || s == nil || old == nil {
		return old
	}
	for name, field := range s.Fields {
		if _, ok := old[name]; ok || field.Multiple && !sparseListed[name] {
			continue
		}
		old[name] = jsonNull
	}
	return old
}

// sparseListed are the multiple fields the sparse-era listing named.
var sparseListed = map[string]bool{"PHONE": true, "EMAIL": true, "WEB": true, "IM": true}

var jsonNull = json.RawMessage("null")

// ParseSnapshot reads a record object (the "result" of crm.deal.get and
// friends) into its canonical form: see Encode.
//
// A well-formed object (every key a plain string) is split by hand, each
// value checked when it is made canonical; anything else goes through
// encoding/json, which names what is wrong. Every drain reads back the
// stored state of every record it handles, so this is on its hot path.
func ParseSnapshot(data []byte) (Snapshot, error) {
	raw, ok := splitObject(data)
	if !ok {
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("history: parse snapshot: %w", err)
		}
	}
	if raw == nil {
		return nil, fmt.Errorf("history: parse snapshot: null instead of an object")
	}
	s := make(Snapshot, len(raw))
	for k, v := range raw {
		c, err := canonicalRaw(v)
		if err != nil {
			return nil, fmt.Errorf("history: parse snapshot: field %s: %w", k, err)
		}
		s[k] = c
	}
	return s, nil
}

// Encode returns the snapshot's canonical storage form (FormatFull):
// compact JSON with keys sorted at every level, numbers as Bitrix24 wrote
// them, no HTML escaping, and every empty value (null, "", [], {}) written
// as null, so that a field known to be empty stays apart from a field not
// known. Equal snapshots encode to equal bytes, so the stored bytes can be
// compared with a fresh Encode to skip no-op writes.
//
// It writes the object itself rather than through encoding/json, which
// would sort the keys by reflection and check and copy every value again:
// a drain encodes every record it fetches.
func (s Snapshot) Encode() ([]byte, error) {
	keys := make([]string, 0, len(s))
	size := 2
	for k, v := range s {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		cv, err := canonicalRaw(s[k])
		if err != nil {
			return nil, fmt.Errorf("history: encode snapshot: field %s: %w", k, err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendKey(b, k); err != nil {
			return nil, fmt.Errorf("history: encode snapshot: field %s: %w", k, err)
		}
		b = append(b, ':')
		b = append(b, cv...)
	}
	return append(b, '}'), nil
}

// appendKey appends k as canonicalJSON writes an object key.
func appendKey(b []byte, k string) ([]byte, error) {
	q := make([]byte, 0, len(k)+2)
	q = append(append(append(q, '"'), k...), '"')
	if isPlainString(q) {
		return append(b, q...), nil
	}
	e, err := canonicalJSON(k)
	return append(b, e...), err
}

// Equal reports whether s and t encode to the same bytes. Snapshots made by
// ParseSnapshot are already canonical, so for them this is a plain byte
// comparison per field; other values are canonicalised where they differ.
// Unlike Unchanged it sees every byte, system fields included: use it to
// decide whether to store a new snapshot, and Unchanged to decide whether to
// write history.
func (s Snapshot) Equal(t Snapshot) bool {
	for k, v := range s {
		w, ok := t[k]
		if !ok || !sameRaw(v, w) {
			return false
		}
	}
	for k := range t {
		if _, seen := s[k]; !seen {
			return false
		}
	}
	return true
}

// splitObject splits a JSON object into its members' raw values, or
// reports false when data is not an object whose keys are all plain
// strings, or has anything but space after it. Values are only delimited,
// not checked: canonicalRaw checks them.
func splitObject(data []byte) (map[string]json.RawMessage, bool) {
	data = bytes.Clone(data) // the values point into it; one copy for all
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return out, skipSpace(data, i+1) == len(data)
	}
	for {
		end := stringEnd(data, i)
		if end < 0 || !isPlainString(data[i:end]) {
			return nil, false
		}
		key := string(data[i+1 : end-1])
		i = skipSpace(data, end)
		if i == len(data) || data[i] != ':' {
			return nil, false
		}
		i = skipSpace(data, i+1)
		end = valueEnd(data, i)
		if end <= i {
			return nil, false
		}
		out[key] = data[i:end:end]
		i = skipSpace(data, end)
		if i == len(data) {
			return nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return out, skipSpace(data, i+1) == len(data)
		default:
			return nil, false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string that starts at i, or
// -1.
func stringEnd(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// valueEnd returns the index after the JSON value that starts at i, by
// its brackets and strings alone, or -1.
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				if i = stringEnd(data, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for j := i; j < len(data); j++ {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return len(data)
}

func sameRaw(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ca, errA := canonicalRaw(a)
	cb, errB := canonicalRaw(b)
	return errA == nil && errB == nil && bytes.Equal(ca, cb)
}

// isLiteral reports whether v is true, false or a JSON number, which
// canonicalJSON writes back as they are (numbers as written: json.Number).
func isLiteral(v []byte) bool {
	switch string(v) {
	case "true", "false":
		return true
	}
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	switch {
	case i < len(v) && v[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(v) && v[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(v)
}

// isPlainString reports whether v is a JSON string the encoder would write
// back unchanged: no escapes, valid UTF-8, no U+2028/U+2029 (which it
// escapes), no control characters.
func isPlainString(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	body := v[1 : len(v)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(body) && !bytes.Contains(body, []byte("\u2028")) && !bytes.Contains(body, []byte("\u2029"))
}
