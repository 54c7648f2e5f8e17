package b24test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// crm.item.productrow.list: the rows of one owner, filtered, ordered and
// paged by 50
// (https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-list.html).

// rowQuery is a parsed crm.item.productrow.list request.
type rowQuery struct {
	code  string
	owner int
	conds [][3]string // operator, field, value
	start int
}

type rowOrder struct {
	field string
	desc  bool
}

func parseRowQuery(c *call) (rowQuery, []rowOrder, *apiError) {
	q := rowQuery{start: max(startParam(c, false), 0)}
	filter := c.obj("filter")
	var owner string
	for _, k := range filter.keys {
		op, name := splitRowOp(k)
		f := rowFieldNamed(name, false)
		if f == nil {
			return q, nil, errRowInvalid(errors.New("unknown field in filter: " + name))
		}
		val := str(filter.m[k])
		switch {
		case f.item == "ownerType" && op == "=" && strings.HasPrefix(k, "="):
			q.code = val
		case f.item == "ownerId" && op == "=" && strings.HasPrefix(k, "="):
			owner = val
		default:
			q.conds = append(q.conds, [3]string{op, f.item, val})
		}
	}
	if q.code == "" || owner == "" {
		return q, nil, errRowInvalid(errors.New("filter must contain =ownerType and =ownerId"))
	}
	q.owner, _ = strconv.Atoi(owner)
	var order []rowOrder
	if o := c.obj("order"); o != nil {
		for _, k := range o.keys {
			f := rowFieldNamed(k, false)
			dir := strings.ToUpper(str(o.m[k]))
			if f == nil || (dir != "ASC" && dir != "DESC") {
				return q, nil, errRowInvalid(errors.New("invalid order: " + k))
			}
			order = append(order, rowOrder{field: f.item, desc: dir == "DESC"})
		}
	}
	return q, order, nil
}

func rowList(c *call) (callResult, *apiError) {
	q, order, aerr := parseRowQuery(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	s := c.portal.rowOwner(q.code)
	var rows []productRow
	switch {
	case s == nil:
		aerr = errRowTypeNotSupported
	case q.owner <= 0 || !s.exists(q.owner):
		// No owner: nothing to list.
	case !canRead(s, q.owner, c.user):
		aerr = errRowDenied
	default:
		rows = c.portal.ownerRows(s, q.owner)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	rows = slices.DeleteFunc(rows, func(r productRow) bool { return !rowMatches(r, q.conds) })
	slices.SortStableFunc(rows, func(a, b productRow) int { return compareRows(a, b, order) })
	l := listOf()
	for i := q.start; i < len(rows) && i < q.start+pageSize; i++ {
		l.push(rows[i].itemObj())
	}
	c.cost += c.srv.opts.Cost.PerRow * time.Duration(l.len())
	r := callResult{value: objOf("productRows", l), hasTotal: true, total: len(rows)}
	if next := q.start + pageSize; next < len(rows) {
		r.next, r.hasNext = next, true
	}
	return r, nil
}

func rowMatches(r productRow, conds [][3]string) bool {
	for _, c := range conds {
		v, _ := r.rowValue(c[1])
		f := rowFieldNamed(c[1], false)
		if !rowOpMatch(c[0], v, c[2], f.typ == "integer" || f.typ == "double") {
			return false
		}
	}
	return true
}

func compareRows(a, b productRow, order []rowOrder) int {
	for _, o := range order {
		va, _ := a.rowValue(o.field)
		vb, _ := b.rowValue(o.field)
		f := rowFieldNamed(o.field, false)
		n := strings.Compare(va, vb)
		if f.typ == "integer" || f.typ == "double" {
			x, _ := strconv.ParseFloat(va, 64)
			y, _ := strconv.ParseFloat(vb, 64)
			n = cmpFloat(x, y)
		}
		if o.desc {
			n = -n
		}
		if n != 0 {
			return n
		}
	}
	return 0
}

// splitRowOp splits a filter key into its operator prefix and field name.
func splitRowOp(key string) (op, name string) {
	for _, p := range []string{"!=%", "!%=", "=%", "%=", ">=", "<=", "!=", "!%", "=", "%", ">", "<", "!"} {
		if rest, ok := strings.CutPrefix(key, p); ok {
			return p, rest
		}
	}
	return "=", key
}

// rowOpMatch applies a list filter condition to one value.
func rowOpMatch(op, v, want string, numeric bool) bool {
	cmp := strings.Compare(strings.ToLower(v), strings.ToLower(want))
	if numeric {
		a, errA := strconv.ParseFloat(v, 64)
		b, errB := strconv.ParseFloat(want, 64)
		if errA != nil || errB != nil {
			return false
		}
		cmp = cmpFloat(a, b)
	}
	switch op {
	case "=":
		return cmp == 0
	case "!=", "!":
		return cmp != 0
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case "%":
		return strings.Contains(strings.ToLower(v), strings.ToLower(want))
	case "!%":
		return !strings.Contains(strings.ToLower(v), strings.ToLower(want))
	case "=%", "%=":
		return like(v, want)
	case "!=%", "!%=":
		return !like(v, want)
	}
	return false
}
