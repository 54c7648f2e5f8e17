package b24test

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// visible reports whether a row is listed: its record exists, the caller
// may read it, and it belongs to the record's current pipeline (earlier
// pipelines' rows are not returned).
func (k *stageKind) visible(r stageRow, u *user) bool {
	s := k.store
	if !s.exists(r.owner) || !canRead(s, r.owner, u) {
		return false
	}
	if k.categoryField == "" {
		return true
	}
	category, _ := k.current(r.owner)
	return category == r.category
}

// value is a row's field in the legacy string form filters compare.
func (k *stageKind) value(r stageRow, name string, zone *time.Location) string {
	switch name {
	case "ID":
		return strconv.Itoa(r.id)
	case "TYPE_ID":
		return strconv.Itoa(r.typeID)
	case "OWNER_ID":
		return strconv.Itoa(r.owner)
	case "CREATED_TIME":
		return r.at.In(zone).Format(time.RFC3339)
	case "CATEGORY_ID":
		return strconv.Itoa(r.category)
	case "STAGE_ID", "STATUS_ID":
		return r.stage
	case "STAGE_SEMANTIC_ID", "STATUS_SEMANTIC_ID":
		return k.semantic(r.category, r.stage)
	}
	return ""
}

// render writes a row as the method answers it: UPPER_CASE keys, integer
// ids.
func (k *stageKind) render(r stageRow, sel []*field, zone *time.Location) *obj {
	o := newObj()
	for _, f := range sel {
		v := k.value(r, f.name, zone)
		if f.typ == "integer" {
			n, _ := strconv.Atoi(v)
			o.set(f.name, n)
			continue
		}
		o.set(f.name, v)
	}
	return o
}

func (k *stageKind) matches(r stageRow, conds []cond, zone *time.Location) bool {
	for _, c := range conds {
		if !c.match(k.value(r, c.f.name, zone)) {
			return false
		}
	}
	return true
}

// each walks the rows whose ids lie in [lo, hi] in id order (descending
// when desc) until fn returns false. Generated rows are produced one
// record at a time, so a keyset page of a million records costs a page.
func (k *stageKind) each(lo, hi, ownerLo, ownerHi int, desc bool, fn func(stageRow) bool) {
	s := k.store
	var log []stageRow
	if s.stages != nil {
		log = s.stages.rows
	}
	genLo := max(ownerLo, (lo-1)/genStageSlots+1, 1)
	genHi := min(ownerHi, s.g.count, (hi-1)/genStageSlots+1)
	gen := func(owner int) bool {
		rows := k.genStageRows(owner)
		if desc {
			slices.Reverse(rows)
		}
		for _, r := range rows {
			if r.id >= lo && r.id <= hi && !fn(r) {
				return false
			}
		}
		return true
	}
	changes := func() bool {
		for i := range log {
			r := log[i]
			if desc {
				r = log[len(log)-1-i]
			}
			if r.id >= lo && r.id <= hi && r.owner >= ownerLo && r.owner <= ownerHi && !fn(r) {
				return false
			}
		}
		return true
	}
	if desc {
		if !changes() {
			return
		}
		for owner := genHi; owner >= genLo; owner-- {
			if !gen(owner) {
				return
			}
		}
		return
	}
	for owner := genLo; owner <= genHi; owner++ {
		if !gen(owner) {
			return
		}
	}
	changes()
}

// ownerBounds narrows the records from OWNER_ID conditions.
func ownerBounds(conds []cond) (lo, hi int) {
	var owner []cond
	for _, c := range conds {
		if c.f.name == "OWNER_ID" {
			owner = append(owner, cond{f: stageIDField, op: c.op, vals: c.vals})
		}
	}
	return idBounds(owner)
}

// list runs a query over the history, as entityStore.list does over
// records: by ID it walks and stops early without a count; any other
// order sorts every match.
func (k *stageKind) list(q listQuery, u *user, zone *time.Location) ([]stageRow, listResult) {
	lo, hi := idBounds(q.conds)
	ownerLo, ownerHi := ownerBounds(q.conds)
	natural := len(q.order) == 0 || (len(q.order) == 1 && q.order[0].f.name == "ID")
	desc := natural && len(q.order) == 1 && q.order[0].desc
	start := max(q.start, 0)
	var page, all []stageRow
	matched := 0
	k.each(lo, hi, ownerLo, ownerHi, desc, func(r stageRow) bool {
		if !k.matches(r, q.conds, zone) || !k.visible(r, u) {
			return true
		}
		if !natural {
			all = append(all, r)
			return true
		}
		if matched >= start && len(page) < pageSize {
			page = append(page, r)
		}
		matched++
		return q.start >= 0 || len(page) < pageSize
	})
	if !natural {
		sort.SliceStable(all, func(a, b int) bool { return k.less(all[a], all[b], q.order, zone) })
		matched = len(all)
		if start < len(all) {
			page = all[start:min(start+pageSize, len(all))]
		}
	}
	res := listResult{skipped: min(start, matched)}
	for _, r := range page {
		res.ids = append(res.ids, r.id)
	}
	if q.start >= 0 || !natural {
		res.counted = matched
	}
	if q.start >= 0 {
		res.total = matched
	}
	return page, res
}

func (k *stageKind) less(a, b stageRow, order []orderKey, zone *time.Location) bool {
	for _, o := range order {
		c := compareValues(k.value(a, o.f.name, zone), k.value(b, o.f.name, zone), o.f, zone)
		if c == 0 {
			continue
		}
		if o.desc {
			return c > 0
		}
		return c < 0
	}
	return a.id < b.id
}

// The fields of the two row styles, typed for filters and order.
var (
	stageIDField     = &field{name: "ID", typ: "integer"}
	stageHistoryType = newEntityType(0, "stagehistory", false, []*field{
		stageIDField,
		{name: "TYPE_ID", typ: "integer"},
		{name: "OWNER_ID", typ: "integer"},
		{name: "CREATED_TIME", typ: "datetime"},
		{name: "CATEGORY_ID", typ: "integer"},
		{name: "STAGE_SEMANTIC_ID", typ: "string"},
		{name: "STAGE_ID", typ: "string"},
	})
	statusHistoryType = newEntityType(0, "statushistory", false, []*field{
		{name: "ID", typ: "integer"},
		{name: "TYPE_ID", typ: "integer"},
		{name: "OWNER_ID", typ: "integer"},
		{name: "CREATED_TIME", typ: "datetime"},
		{name: "STATUS_SEMANTIC_ID", typ: "string"},
		{name: "STATUS_ID", typ: "string"},
	})
)

// entityTypeNames are the symbolic names of the types without a stage
// history, for the error text.
var entityTypeNames = map[int]string{3: "CONTACT", 4: "COMPANY", 7: "QUOTE", 8: "REQUISITE", 14: "ORDER", 36: "SMART_DOCUMENT"}

func errStageHistoryType(n int) *apiError {
	name := entityTypeNames[n]
	if name == "" && n >= 128 {
		name = "DYNAMIC_" + strconv.Itoa(n)
	}
	return newErr(http.StatusBadRequest, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `"+name+"` is not supported")
}

func stageHistoryList(c *call) (callResult, *apiError) {
	n, _ := strconv.Atoi(c.str("entityTypeId"))
	if n == 5 {
		// Old invoices have a history, but the emulated portals have none.
		return callResult{value: objOf("items", listOf()), hasTotal: true}, nil
	}
	c.portal.mu.Lock()
	k := stageKindOf(c.portal, n)
	c.portal.mu.Unlock()
	if k == nil {
		return callResult{}, errStageHistoryType(n)
	}
	conds, aerr := parseFilter(k.rowType, c.obj("filter"), true, c.portal.zone)
	if aerr != nil {
		return callResult{}, aerr
	}
	order, aerr := parseOrder(k.rowType, c.obj("order"), true)
	if aerr != nil {
		return callResult{}, aerr
	}
	sel := stageSelect(k.rowType, c)
	q := listQuery{conds: conds, order: order, start: startParam(c, false)}
	c.portal.mu.Lock()
	rows, res := k.list(q, c.user, c.portal.zone)
	items := listOf()
	for _, r := range rows {
		items.push(k.render(r, sel, c.portal.zone))
	}
	c.portal.mu.Unlock()
	c.cost += c.srv.opts.Cost.listCost(len(rows), res.skipped, res.counted) + c.srv.opts.Cost.fieldsCost(len(rows), sel)
	r := callResult{value: objOf("items", items)}
	listMeta(&r, res, q.start)
	return r, nil
}

// stageSelect is the selected fields in the type's order: all of them
// unless select names some; unknown names are left out.
func stageSelect(rt *entityType, c *call) []*field {
	v, _ := c.param("select")
	names := strList(v)
	if len(names) == 0 || slices.Contains(names, "*") {
		return rt.fields
	}
	var out []*field
	for _, f := range rt.fields {
		for _, n := range names {
			if rt.field(n, true) == f {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
