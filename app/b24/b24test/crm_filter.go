package b24test

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cond is one filter condition: an operator, a field and its values.
type cond struct {
	f    *field
	op   string
	vals []string
	zone *time.Location // for filter times given without an offset
}

// filterOps are the documented prefixes, longest first so ">=" wins
// over ">"; the "!%" family is crm.item's.
var filterOps = []string{"!%=", "!=%", "!@", "!%", ">=", "<=", "=%", "%=", "!=", ">", "<", "@", "%", "=", "!"}

// parseFilter reads a filter object. Unknown fields are ignored by the
// legacy methods and refused by crm.item.list (crm-item-list.md).
func parseFilter(et *entityType, filter *obj, item bool, zone *time.Location) ([]cond, *apiError) {
	var conds []cond
	if filter == nil {
		return nil, nil
	}
	for _, k := range filter.keys {
		op, name := "", k
		for _, p := range filterOps {
			if strings.HasPrefix(k, p) {
				op, name = p, k[len(p):]
				break
			}
		}
		f := et.field(name, item)
		if f == nil {
			if strings.EqualFold(name, "logic") {
				continue
			}
			if item {
				return nil, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "Invalid filter: field '"+name+"' is not allowed in filter")
			}
			continue
		}
		v := filter.m[k]
		vals := strList(v)
		if o := asObj(v); o != nil && o.len() == 0 {
			vals = nil
		}
		if v == nil {
			vals = []string{""}
		}
		if b, isBool := v.(bool); isBool && (f.typ == "char" || f.typ == "boolean") {
			vals = []string{map[bool]string{true: "Y", false: "N"}[b]}
		}
		if !item && isLike(op) && f.noLike() {
			op = "="
		}
		conds = append(conds, cond{f: f, op: op, vals: vals, zone: zone})
	}
	return conds, nil
}

// match reports whether a stored value satisfies the condition. Multiple
// values (multifields, multiple user fields) match when any of them does.
func (c cond) match(v any) bool {
	cands := candidates(v)
	switch c.op {
	case "!", "!=", "!@", "!%", "!=%", "!%=":
		pos := cond{f: c.f, op: strings.TrimPrefix(c.op, "!"), vals: c.vals, zone: c.zone}
		if pos.op == "" {
			pos.op = "="
		}
		return !pos.matchAny(cands)
	}
	return c.matchAny(cands)
}

func (c cond) matchAny(cands []string) bool {
	for _, s := range cands {
		if c.matchOne(s) {
			return true
		}
	}
	return false
}

func (c cond) matchOne(s string) bool {
	if len(c.vals) == 0 {
		return false
	}
	switch c.op {
	case "", "=", "@":
		for _, w := range c.vals {
			if compareValues(s, w, c.f, c.zone) == 0 {
				return true
			}
		}
		return false
	case ">":
		return s != "" && compareValues(s, c.vals[0], c.f, c.zone) > 0
	case ">=":
		return s != "" && compareValues(s, c.vals[0], c.f, c.zone) >= 0
	case "<":
		return s != "" && compareValues(s, c.vals[0], c.f, c.zone) < 0
	case "<=":
		return s != "" && compareValues(s, c.vals[0], c.f, c.zone) <= 0
	case "%":
		return strings.Contains(strings.ToLower(s), strings.ToLower(c.vals[0]))
	case "=%", "%=":
		return like(s, c.vals[0])
	}
	return false
}

// isLike reports whether a filter operator is one of the LIKE family.
func isLike(op string) bool { return strings.Contains(op, "%") }

// noLike reports whether LIKE is unavailable on the field in the legacy
// lists, which compare such fields exactly (crm-deal-list.md: "The LIKE
// filter does not work with fields of type crm_status, crm_contact,
// crm_company").
func (f *field) noLike() bool {
	return f.typ == "crm_status" || f.typ == "crm_contact" || f.typ == "crm_company"
}

// like is SQL LIKE with % wildcards, case-insensitive.
func like(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	parts := strings.Split(pattern, "%")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

// candidates flattens a stored value into the strings filters compare.
func candidates(v any) []string {
	switch x := v.(type) {
	case nil:
		return []string{""}
	case string:
		return []string{x}
	case []string:
		if len(x) == 0 {
			return []string{""}
		}
		return x
	case []fmValue:
		if len(x) == 0 {
			return []string{""}
		}
		out := make([]string, len(x))
		for i, m := range x {
			out[i] = m.value
		}
		return out
	}
	return []string{""}
}

func firstString(v any) string { return candidates(v)[0] }

// compareValues compares as numbers, times or case-insensitive strings,
// by the field's type.
func compareValues(a, b string, f *field, zone *time.Location) int {
	switch {
	case f.numeric():
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if a == "" {
			x, err1 = 0, nil
		}
		if b == "" {
			y, err2 = 0, nil
		}
		if err1 == nil && err2 == nil {
			return cmpFloat(x, y)
		}
	case f.isTime():
		x, ok1 := parseTimeLoose(a, zone)
		y, ok2 := parseTimeLoose(b, zone)
		if ok1 && ok2 {
			return x.Compare(y)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "02.01.2006 15:04:05", "02.01.2006"}

// parseTimeLoose accepts the date forms filters get in practice; values
// without an offset are read in the portal's zone, as Bitrix24 reads them
// in the user's.
func parseTimeLoose(s string, zone *time.Location) (time.Time, bool) {
	if zone == nil {
		zone = time.UTC
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseInt(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }

// parseOrder reads an order object. The legacy lists ignore unknown fields
// and read any direction but DESC as ascending; crm.item.list refuses both
// (crm-item-list.md).
func parseOrder(et *entityType, order *obj, item bool) ([]orderKey, *apiError) {
	var keys []orderKey
	if order == nil {
		return nil, nil
	}
	for _, k := range order.keys {
		f := et.field(k, item)
		if f == nil || f.isFM() {
			if item {
				return nil, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "Invalid order: field '"+k+"' is not allowed in order")
			}
			continue
		}
		dir := str(order.m[k])
		if item && !strings.EqualFold(dir, "ASC") && !strings.EqualFold(dir, "DESC") {
			return nil, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "Invalid order: allowed sort directions are ASC, DESC. But got '"+dir+"' for field '"+k+"'")
		}
		keys = append(keys, orderKey{f: f, desc: strings.EqualFold(dir, "DESC")})
	}
	return keys, nil
}
