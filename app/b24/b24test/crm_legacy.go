package b24test

import (
	"strconv"
)

// The frozen crm.deal|lead|contact|company methods: UPPER_CASE names,
// string values, failures as HTTP 400 with an empty error code.
func init() {
	for _, et := range entityTypes {
		et := et
		prefix := "crm." + et.name + "."
		register(
			&method{name: prefix + "fields", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyFields(et) }},
			&method{name: prefix + "list", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyList(c, et) }},
			&method{name: prefix + "get", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyGet(c, et) }},
			&method{name: prefix + "add", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyAdd(c, et) }},
			&method{name: prefix + "update", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyUpdate(c, et) }},
			&method{name: prefix + "delete", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyDelete(c, et) }},
			&method{name: prefix + "userfield.list", scope: "crm", fn: func(c *call) (callResult, *apiError) { return userfieldList(et) }},
		)
	}
}

func legacyFields(et *entityType) (callResult, *apiError) {
	o := newObj()
	for _, f := range et.fields {
		o.set(f.name, fieldDescription(f, false))
	}
	return ok(o)
}

// ownCond limits a user with the "own records only" right to the records
// assigned to them.
func ownCond(et *entityType, u *user) []cond {
	if !mayReadType(et, u) {
		return []cond{{f: et.byName["ID"], op: "=", vals: []string{"0"}}}
	}
	if u == nil || !u.ownRecords {
		return nil
	}
	return []cond{{f: et.byName["ASSIGNED_BY_ID"], op: "=", vals: []string{strconv.Itoa(u.id)}}}
}

// canRead reports whether the user may see the record.
func canRead(s *entityStore, id int, u *user) bool {
	if !mayReadType(s.et, u) {
		return false
	}
	if u == nil || !u.ownRecords {
		return true
	}
	return firstString(s.value(id, s.et.byName["ASSIGNED_BY_ID"])) == strconv.Itoa(u.id)
}

// startParam reads start: an offset, or -1 for "no count". The classic
// lists turn it into a page number (start/50 + 1), so their offset is
// start rounded down to a whole page (rest module, IRestService::getNavData).
func startParam(c *call, classic bool) int {
	n, err := strconv.Atoi(c.str("start"))
	if err != nil {
		return 0
	}
	if n < 0 {
		return -1
	}
	if classic {
		return n / pageSize * pageSize
	}
	return n
}

// listArgs reads filter and order. A legacy list refuses either when it is
// given but not an array, with the texts of crm-deal-list.md.
func listArgs(c *call, item bool) (filter, order *obj, aerr *apiError) {
	for _, name := range []string{"filter", "order"} {
		v, given := c.param(name)
		if given && asObj(v) == nil && !item {
			return nil, nil, errLegacy("Parameter '" + name + "' must be array.")
		}
	}
	return c.obj("filter"), c.obj("order"), nil
}

// runList executes a list query under the portal lock and charges its cost.
// item is crm.item.list; otherwise a legacy list.
func runList(c *call, et *entityType, item bool) (listResult, int, *apiError) {
	filter, order, aerr := listArgs(c, item)
	if aerr != nil {
		return listResult{}, 0, aerr
	}
	conds, aerr := parseFilter(et, filter, item, c.portal.zone)
	if aerr != nil {
		return listResult{}, 0, aerr
	}
	keys, aerr := parseOrder(et, order, item)
	if aerr != nil {
		return listResult{}, 0, aerr
	}
	q := listQuery{conds: append(conds, ownCond(et, c.user)...), order: keys, start: startParam(c, !item)}
	c.portal.mu.Lock()
	res := c.portal.crm[et.id].list(q, pageSize)
	c.portal.mu.Unlock()
	c.cost += c.srv.opts.Cost.listCost(len(res.ids), res.skipped, res.counted)
	return res, q.start, nil
}

// pageSize is Bitrix24's fixed list page.
const pageSize = 50

func listMeta(r *callResult, res listResult, start int) {
	r.hasTotal = true
	if start < 0 {
		return
	}
	r.total = res.total
	if next := start + len(res.ids); next < res.total {
		r.next, r.hasNext = next, true
	}
}

func legacyList(c *call, et *entityType) (callResult, *apiError) {
	res, start, aerr := runList(c, et, false)
	if aerr != nil {
		return callResult{}, aerr
	}
	v, _ := c.param("select")
	fields := legacySelect(et, strList(v))
	c.cost += c.srv.opts.Cost.fieldsCost(len(res.ids), fields)
	rows := listOf()
	c.portal.mu.Lock()
	s := c.portal.crm[et.id]
	for _, id := range res.ids {
		rows.push(s.legacyObj(id, fields))
	}
	c.portal.mu.Unlock()
	r := callResult{value: rows}
	listMeta(&r, res, start)
	return r, nil
}

// legacyID reads the id parameter.
func legacyID(c *call) (int, *apiError) {
	id, err := strconv.Atoi(c.str("id"))
	if err != nil || id <= 0 {
		return 0, errLegacy("ID is not defined or invalid")
	}
	return id, nil
}

func legacyGet(c *call, et *entityType) (callResult, *apiError) {
	id, aerr := legacyID(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	s := c.portal.crm[et.id]
	if !s.exists(id) {
		return callResult{}, errLegacy("Not found")
	}
	if !canRead(s, id, c.user) {
		return callResult{}, errLegacy("Access denied")
	}
	c.cost += c.srv.opts.Cost.PerRow
	return ok(s.legacyObj(id, et.got))
}

func legacyAdd(c *call, et *entityType) (callResult, *apiError) {
	in := c.obj("fields")
	if in == nil {
		return callResult{}, errNotArray
	}
	c.portal.mu.Lock()
	if !c.portal.mayAdd(c.user, et) {
		c.portal.mu.Unlock()
		return callResult{}, errLegacy("Access denied")
	}
	id, err := c.portal.addRecord(et, in, false, c.user)
	c.portal.mu.Unlock()
	if err != nil {
		return callResult{}, errLegacy(err.Error())
	}
	c.portal.changed(change{et: et, action: "ADD", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
	return ok(id)
}

func legacyUpdate(c *call, et *entityType) (callResult, *apiError) {
	id, aerr := legacyID(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	in := c.obj("fields")
	if in == nil {
		return callResult{}, errNotArray
	}
	c.portal.mu.Lock()
	s := c.portal.crm[et.id]
	var err error
	switch {
	case !s.exists(id):
		aerr = errLegacy("Not found")
	case !canRead(s, id, c.user):
		aerr = errLegacy("Access denied")
	default:
		err = c.portal.updateRecord(et, id, in, false, c.user)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	if err != nil {
		return callResult{}, errLegacy(err.Error())
	}
	c.portal.changed(change{et: et, action: "UPDATE", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
	return ok(true)
}

func legacyDelete(c *call, et *entityType) (callResult, *apiError) {
	id, aerr := legacyID(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	s := c.portal.crm[et.id]
	switch {
	case !s.exists(id):
		aerr = errLegacy("Not found")
	case !canRead(s, id, c.user):
		aerr = errLegacy("Access denied")
	default:
		s.remove(id)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.changed(change{et: et, action: "DELETE", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
	return ok(true)
}

// userfieldList renders crm.X.userfield.list.
func userfieldList(et *entityType) (callResult, *apiError) {
	l := listOf()
	n := 0
	for _, f := range et.fields {
		if !f.uf {
			continue
		}
		n++
		o := objOf(
			"ID", strconv.Itoa(et.id*100+n),
			"ENTITY_ID", et.ufEntity,
			"FIELD_NAME", f.name,
			"USER_TYPE_ID", f.typ,
			"XML_ID", nil,
			"SORT", strconv.Itoa(n*100),
			"MULTIPLE", map[bool]string{true: "Y", false: "N"}[f.multiple],
			"MANDATORY", "N",
			"SHOW_FILTER", "E",
			"SHOW_IN_LIST", "Y",
			"EDIT_IN_LIST", "Y",
			"IS_SEARCHABLE", "N",
			"SETTINGS", newObj(),
			"EDIT_FORM_LABEL", f.label,
			"LIST_COLUMN_LABEL", f.label,
			"LIST_FILTER_LABEL", f.label,
			"ERROR_MESSAGE", "",
			"HELP_MESSAGE", "",
		)
		if len(f.items) > 0 {
			items := listOf()
			for i, it := range f.items {
				items.push(objOf("ID", it.id, "SORT", strconv.Itoa((i+1)*10), "VALUE", it.value, "DEF", "N", "XML_ID", "xml_"+it.id))
			}
			o.set("LIST", items)
		}
		l.push(o)
	}
	return ok(l)
}
