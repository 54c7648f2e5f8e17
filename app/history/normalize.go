package history

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Normalize brings one raw field value, as a legacy crm.*.get method returns
// it, to canonical form using the field's metadata. It never fails: a value
// that does not fit its declared type is kept as trimmed text (or canonical
// JSON), so a surprise on the wire shows up as a change rather than being
// lost.
//
// The rules, by field type:
//   - null, missing, "", [] and {} are all empty, and so are lists whose
//     elements are all empty.
//   - Text is trimmed of surrounding white space and its line ends are
//     unified to \n, because editors and integrations add and strip those
//     without meaning to; white space inside the text is kept, since there
//     it can be meaningful (a comment's layout).
//   - double, integer: the decimal value ("100", "100.00", "1e2" are equal).
//   - money user fields ("100.00|USD"): amount as a decimal and upper-case
//     currency; an amount-less "|USD" is empty.
//   - char and boolean: "Y"/"N" from Y/N, 1/0, true/false (any case);
//     "N" also equals empty, see Value.IsEmpty.
//   - datetime: the instant, in UTC, so one moment written in two time zones
//     is equal.
//   - date: the calendar date as written (Bitrix24 sends dates as midnight
//     in the server's zone, "2024-08-30T00:00:00+03:00"; the wall date is
//     the value, the zone is noise).
//   - enumeration, crm_status, user, employee, crm_* references: the ID as
//     text; for record and user references "0" means none and is empty.
//   - file: the file ID only; the URLs around it carry per-request tokens.
//   - crm_multifield: items keyed by their ID, each with VALUE and VALUE_TYPE.
//   - multiple fields: the list of element values, sorted, since Bitrix24
//     does not let users order them.
//   - unknown type: inferred per value (see infer).
func Normalize(f Field, raw json.RawMessage) Value {
	v, ok := decode(raw)
	if !ok {
		return textValue(string(raw))
	}
	return normalizeAny(f, v)
}

// decode reads one JSON value keeping numbers as written. Plain strings, the
// bulk of a legacy record, skip the decoder; isPlainString admits only those
// the decoder would read back byte for byte.
func decode(raw json.RawMessage) (any, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	if isPlainString(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

func normalizeAny(f Field, v any) Value {
	if list, ok := v.([]any); ok {
		return normalizeList(f, list)
	}
	if f.Type == TypeUnknown {
		return infer(v)
	}
	return normalizeScalar(f.Type, v)
}

func normalizeList(f Field, list []any) Value {
	out := make([]Value, 0, len(list))
	for _, e := range list {
		var ev Value
		switch {
		case f.Type == TypeMultifield:
			ev = multifieldItem(e)
		case f.Type == TypeUnknown:
			ev = infer(e)
		default:
			ev = normalizeScalar(f.Type, e)
		}
		if ev.Kind == KindList { // nested lists are not a Bitrix24 shape; flatten
			out = append(out, ev.List...)
			continue
		}
		if !ev.IsEmpty() {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		return Value{}
	}
	slices.SortStableFunc(out, compareValues)
	return Value{Kind: KindList, List: out}
}

func normalizeScalar(t Type, v any) Value {
	switch t {
	case TypeMultifield:
		return multifieldItem(v)
	case TypeFile:
		return fileValue(v)
	case TypeProductRow:
		return productRowValue(v)
	}
	s, ok := scalarString(v)
	if !ok {
		return structured(v)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Value{}
	}
	switch t {
	case TypeDouble, TypeInteger:
		if n, ok := canonicalNumber(s, false); ok {
			return Value{Kind: KindNumber, Text: n}
		}
	case TypeMoney:
		if m, ok := canonicalMoney(s); ok {
			if m == "" {
				return Value{}
			}
			return Value{Kind: KindMoney, Text: m}
		}
	case TypeChar, TypeBoolean:
		if b, ok := canonicalBool(s); ok {
			return Value{Kind: KindBool, Text: b}
		}
	case TypeDate:
		if d, ok := canonicalDate(s); ok {
			return Value{Kind: KindDate, Text: d}
		}
	case TypeDateTime:
		if k, d, ok := canonicalDateTime(s); ok {
			return Value{Kind: k, Text: d}
		}
	case TypeEnumeration, TypeStatus, TypeCategory, TypeCurrency, TypeCRM, TypeEntity,
		TypeUser, TypeEmployee, TypeCompany, TypeContact, TypeLead, TypeDeal, TypeQuote:
		return idValue(t, s)
	}
	return textValue(s)
}

// idValue keeps an identifier. References to records and users use 0 for
// "none" (a deal with its company unlinked reads COMPANY_ID "0"), while a
// funnel, a status or an enumeration item may legitimately be 0.
func idValue(t Type, s string) Value {
	switch t {
	case TypeUser, TypeEmployee, TypeCompany, TypeContact, TypeLead, TypeDeal, TypeQuote, TypeEntity:
		if s == "0" {
			return Value{}
		}
	}
	return Value{Kind: KindID, Text: s}
}

// textValue trims and unifies line ends; see Normalize.
func textValue(s string) Value {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Value{}
	}
	return Value{Kind: KindText, Text: s}
}

// scalarString renders JSON scalars as the text Bitrix24 would have sent.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "Y", true
		}
		return "N", true
	}
	return "", false
}

// structured handles objects where a scalar was expected (and, via infer,
// unknown objects): a file-shaped object is a file, anything else is kept
// as canonical JSON.
func structured(v any) Value {
	if m, ok := v.(map[string]any); ok {
		if len(m) == 0 {
			return Value{}
		}
		if isFileObject(m) {
			return fileValue(m)
		}
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return Value{}
	}
	b, err := canonicalJSON(v)
	if err != nil {
		return Value{}
	}
	return Value{Kind: KindJSON, Text: string(b)}
}

// fileValue reduces a file to its ID. Legacy methods return files as
// {"id":123,"showUrl":"...","downloadUrl":"..."}; the URLs embed tokens that
// differ on every request, so only the ID identifies the file.
func fileValue(v any) Value {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"id", "ID"} {
			if id, ok := scalarString(x[k]); ok && id != "" && id != "0" {
				return Value{Kind: KindFile, Text: id}
			}
		}
		if len(x) == 0 {
			return Value{}
		}
		return structured(x)
	default:
		s, ok := scalarString(x)
		s = strings.TrimSpace(s)
		if !ok || s == "" || s == "0" {
			return Value{}
		}
		return Value{Kind: KindFile, Text: s}
	}
}

func isFileObject(m map[string]any) bool {
	_, id := m["id"]
	_, show := m["showUrl"]
	_, download := m["downloadUrl"]
	return id && (show || download)
}

// compareValues orders list elements by key; numeric keys (item IDs,
// enumeration IDs) in numeric order so lists read naturally.
func compareValues(a, b Value) int {
	return compareKeys(a.key(), b.key())
}

func compareKeys(a, b string) int {
	if isDigits(a) && isDigits(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
