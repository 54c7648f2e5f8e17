package b24test

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// offlineCond is one condition of an event.offline.get/list filter.
type offlineCond struct {
	field, op string
	value     any
}

// The fields and operations event.offline.get accepts; event.offline.list
// adds PROCESS_ID and ERROR, and the @ (in) and % (contains) operations
// (https://apidocs.bitrix24.com/api-reference/events/event-offline-list.html).
var (
	offlineFields     = []string{"ID", "TIMESTAMP_X", "EVENT_NAME", "MESSAGE_ID"}
	offlineListFields = append([]string{"PROCESS_ID", "ERROR"}, offlineFields...)
	offlineOps        = []string{">=", "<=", "=", ">", "<"}
	offlineListOps    = append([]string{"@", "%"}, offlineOps...)
)

// flag reads a 0/1 parameter as PHP does: absent gives def, "", "0" and
// false are off, anything else on.
func (c *call) flag(name string, def bool) bool {
	v, given := c.param(name)
	if !given {
		return def
	}
	s := str(v)
	return s != "" && s != "0"
}

// offlineFilter reads the filter parameter.
func offlineFilter(c *call, list bool) ([]offlineCond, *apiError) {
	v, given := c.param("filter")
	if !given || v == nil {
		return nil, nil
	}
	f := asObj(v)
	if f == nil {
		return nil, errArgument("The filter is not an array.", "FILTER")
	}
	fields, ops := offlineFields, offlineOps
	if list {
		fields, ops = offlineListFields, offlineListOps
	}
	var conds []offlineCond
	for _, key := range f.keys {
		name := strings.TrimLeft(key, "=<>!@%")
		op := key[:len(key)-len(name)]
		if op != "" && !offlineHas(ops, op) {
			return nil, errArgument("Filter operation not allowed: "+op, "FILTER")
		}
		name = strings.ToUpper(name)
		if !offlineHas(fields, name) {
			return nil, errArgument("Filter field not allowed: "+name, "FILTER")
		}
		val := f.m[key]
		if asObj(val) != nil && op != "@" {
			return nil, errArgument("The value of an argument '"+key+"' has an invalid type", key)
		}
		conds = append(conds, offlineCond{field: name, op: op, value: val})
	}
	return conds, nil
}

func offlineHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// offlineOrder reads the order parameter into a less function; def is the
// method's default order.
func offlineOrder(c *call, list bool, def string) (func(a, b *offlineEvent) bool, *apiError) {
	fields := offlineFields
	if list {
		fields = offlineListFields
	}
	type key struct {
		field string
		desc  bool
	}
	keys := []key{{field: def}}
	if v, given := c.param("order"); given && v != nil {
		o := asObj(v)
		if o == nil {
			return nil, errArgument("The order is not an array.", "ORDER")
		}
		keys = nil
		for _, k := range o.keys {
			name := strings.ToUpper(k)
			if !offlineHas(fields, name) {
				return nil, errArgument("Order field not allowed: "+k, "ORDER")
			}
			dir := strings.ToUpper(str(o.m[k]))
			if dir != "ASC" && dir != "DESC" {
				return nil, errArgument("Order direction should be one of {ASC|DESC}", "ORDER")
			}
			keys = append(keys, key{name, dir == "DESC"})
		}
	}
	return func(a, b *offlineEvent) bool {
		for _, k := range append(keys, key{field: "ID"}) {
			if d := compareField(a, b, k.field); d != 0 {
				return (d < 0) != k.desc
			}
		}
		return false
	}, nil
}

// compareField orders two records by one field.
func compareField(a, b *offlineEvent, field string) int {
	switch field {
	case "ID":
		return a.id - b.id
	case "TIMESTAMP_X":
		return a.ts.Compare(b.ts)
	}
	return strings.Compare(a.field(field), b.field(field))
}

// field is a record's value of a filter field, as event.offline.list
// shows it.
func (e *offlineEvent) field(name string) string {
	switch name {
	case "ID":
		return strconv.Itoa(e.id)
	case "EVENT_NAME":
		return e.name
	case "MESSAGE_ID":
		return e.messageID
	case "PROCESS_ID":
		return e.processID
	case "ERROR":
		return map[bool]string{true: "1", false: "0"}[e.errored]
	}
	return ""
}

// matches reports whether the record meets every condition. ID compares as
// a number and TIMESTAMP_X as a time (ISO 8601, the portal's zone when it
// has no offset); others as strings, EVENT_NAME in any case.
func (e *offlineEvent) matches(p *Portal, conds []offlineCond) bool {
	for _, c := range conds {
		if !e.meets(p, c) {
			return false
		}
	}
	return true
}

func (e *offlineEvent) meets(p *Portal, c offlineCond) bool {
	switch c.op {
	case "@":
		for _, v := range strList(c.value) {
			if e.meets(p, offlineCond{field: c.field, value: v}) {
				return true
			}
		}
		return false
	case "%":
		return strings.Contains(strings.ToUpper(e.field(c.field)), strings.ToUpper(str(c.value)))
	}
	var d int
	switch c.field {
	case "ID":
		n, err := strconv.Atoi(str(c.value))
		if err != nil {
			return false
		}
		d = e.id - n
	case "TIMESTAMP_X":
		t, ok := parseOfflineTime(p, str(c.value))
		if !ok {
			return false
		}
		d = e.ts.Truncate(time.Second).Compare(t)
	case "EVENT_NAME":
		d = strings.Compare(e.name, strings.ToUpper(str(c.value)))
	default:
		d = strings.Compare(e.field(c.field), str(c.value))
	}
	switch c.op {
	case ">":
		return d > 0
	case "<":
		return d < 0
	case ">=":
		return d >= 0
	case "<=":
		return d <= 0
	}
	return d == 0
}

func parseOfflineTime(p *Portal, s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, p.zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// sortedOffline is the records in the given order.
func sortedOffline(evs []*offlineEvent, less func(a, b *offlineEvent) bool) []*offlineEvent {
	out := append([]*offlineEvent(nil), evs...)
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}
