package history

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// canonicalNumber writes a decimal in its shortest exact form: no sign for
// zero, no leading zeros, no trailing fractional zeros. In strict mode, used
// when guessing whether untyped text is a number, it accepts only what
// Bitrix24 itself writes for numbers, so codes such as "007" stay text.
func canonicalNumber(s string, strict bool) (string, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		if strict && s[i] == '+' {
			return "", false
		}
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart, frac := s[start:i], ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
		if strict && frac == "" {
			return "", false
		}
	}
	if intPart == "" && frac == "" {
		return "", false
	}
	if i < len(s) {
		if strict || !isExponent(s[i:]) {
			return "", false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", false
		}
		return canonicalNumber(strconv.FormatFloat(f, 'f', -1, 64), false)
	}
	if strict && (intPart == "" || len(intPart) > 1 && intPart[0] == '0') {
		return "", false
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isExponent matches e[+-]digits, the only non-decimal number form accepted.
func isExponent(s string) bool {
	if len(s) < 2 || s[0] != 'e' && s[0] != 'E' {
		return false
	}
	s = s[1:]
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	return len(s) > 0 && len(s) <= 4 && isDigits(s)
}

// canonicalMoney reads a money user field, "amount|CURRENCY". An empty
// amount means no money is set and yields "", true.
func canonicalMoney(s string) (string, bool) {
	amount, currency, hasCurrency := strings.Cut(s, "|")
	amount = strings.TrimSpace(amount)
	if amount == "" {
		return "", true
	}
	n, ok := canonicalNumber(amount, false)
	if !ok {
		return "", false
	}
	if !hasCurrency {
		return n, true
	}
	return n + "|" + strings.ToUpper(strings.TrimSpace(currency)), true
}

// looksLikeMoney is the strict test used for untyped values: a decimal and a
// three-letter currency code.
func looksLikeMoney(s string) bool {
	amount, currency, ok := strings.Cut(s, "|")
	if !ok || len(currency) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if currency[i] < 'A' || currency[i] > 'Z' {
			return false
		}
	}
	_, ok = canonicalNumber(amount, true)
	return ok
}

func canonicalBool(s string) (string, bool) {
	switch strings.ToUpper(s) {
	case "Y", "1", "TRUE":
		return "Y", true
	case "N", "0", "FALSE":
		return "N", true
	}
	return "", false
}

// Layouts Bitrix24 uses (or has used) for dates: ISO 8601 in REST answers,
// the Russian-style day-first form in some user-field values.
var (
	zonedLayouts = []string{time.RFC3339}
	wallLayouts  = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "02.01.2006 15:04:05"}
	dateLayouts  = []string{time.DateOnly, "02.01.2006"}
)

const (
	wallFormat = "2006-01-02T15:04:05"
)

// canonicalDate returns the calendar date written in s, whatever time or
// zone follows it.
func canonicalDate(s string) (string, bool) {
	if t, ok := parseAny(s, zonedLayouts, wallLayouts, dateLayouts); ok {
		return t.Format(time.DateOnly), true
	}
	return "", false
}

// canonicalDateTime returns the instant in UTC when s has a zone, the wall
// time when it has none, and the date when it is only a date.
func canonicalDateTime(s string) (Kind, string, bool) {
	if t, ok := parseAny(s, zonedLayouts); ok {
		return KindDateTime, t.UTC().Format(time.RFC3339Nano), true
	}
	if t, ok := parseAny(s, wallLayouts); ok {
		return KindDateTime, t.Format(wallFormat), true
	}
	if t, ok := parseAny(s, dateLayouts); ok {
		return KindDate, t.Format(time.DateOnly), true
	}
	return 0, "", false
}

func parseAny(s string, layoutSets ...[]string) (time.Time, bool) {
	if len(s) < 8 || len(s) > 40 || !isDigit(s[0]) {
		return time.Time{}, false
	}
	for _, layouts := range layoutSets {
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// infer normalises a value whose field type is unknown, from its shape. It
// only recognises forms Bitrix24 writes for typed values (a zoned ISO date,
// a plain decimal, "100|USD"), so free text is very unlikely to be mistaken
// for one; what it does recognise compares as that type.
func infer(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case bool:
		s, _ := scalarString(x)
		return Value{Kind: KindBool, Text: s}
	case json.Number:
		if n, ok := canonicalNumber(x.String(), false); ok {
			return Value{Kind: KindNumber, Text: n}
		}
		return textValue(x.String())
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return Value{}
		}
		if n, ok := canonicalNumber(s, true); ok {
			return Value{Kind: KindNumber, Text: n}
		}
		if looksLikeMoney(s) {
			m, _ := canonicalMoney(s)
			return Value{Kind: KindMoney, Text: m}
		}
		if t, ok := parseAny(s, zonedLayouts); ok {
			return Value{Kind: KindDateTime, Text: t.UTC().Format(time.RFC3339Nano)}
		}
		if t, ok := parseAny(s, []string{time.DateOnly}); ok {
			return Value{Kind: KindDate, Text: t.Format(time.DateOnly)}
		}
		return textValue(s)
	case map[string]any:
		if _, ok := x["VALUE"]; ok {
			if _, ok := x["TYPE_ID"]; ok {
				return multifieldItem(x)
			}
		}
		return structured(x)
	default:
		return structured(x)
	}
}

// multifieldItem reads one crm_multifield entry:
// {"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333555","TYPE_ID":"PHONE"}.
// An item without a VALUE is empty: Bitrix24 deletes such items on save.
func multifieldItem(v any) Value {
	m, ok := v.(map[string]any)
	if !ok {
		s, _ := scalarString(v)
		return textValue(s)
	}
	value, _ := scalarString(m["VALUE"])
	value = strings.TrimSpace(value)
	if value == "" {
		return Value{}
	}
	id, _ := scalarString(m["ID"])
	vt, _ := scalarString(m["VALUE_TYPE"])
	return Value{Kind: KindItem, ID: strings.TrimSpace(id), Text: value, ValueType: strings.ToUpper(strings.TrimSpace(vt))}
}

// canonicalJSON encodes v with object keys sorted at every level, numbers as
// written and no HTML escaping, so equal content gives equal bytes.
func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
