package b24test

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// crm.type.*: the portal's smart processes
// (https://apidocs.bitrix24.com/api-reference/crm/universal/user-defined-object-types/index.html).
func init() {
	register(
		&method{name: "crm.type.fields", scope: "crm", fn: typeFields},
		&method{name: "crm.type.list", scope: "crm", fn: typeList},
		&method{name: "crm.type.get", scope: "crm", fn: typeGet},
		&method{name: "crm.type.getbyentitytypeid", scope: "crm", fn: typeGetByEntityTypeID},
		&method{name: "crm.type.add", scope: "crm", fn: typeAdd},
		&method{name: "crm.type.update", scope: "crm", fn: typeUpdate},
		&method{name: "crm.type.delete", scope: "crm", fn: typeDelete},
	)
}

var (
	errTypeDenied   = newErr(http.StatusBadRequest, "ACCESS_DENIED", "Access denied")
	errTypeHasItems = newErr(http.StatusBadRequest, "BX_ERROR", "You cannot delete an entity type that has elements")
	errTypeRange    = newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "entityTypeId is out of allowed range")
	errTypeFields   = newErr(http.StatusBadRequest, "100", "Could not find value for parameter {fields}")
)

// errTypeNotFound is crm.type's "not found", with the numeric code 0 the
// docs show.
func errTypeNotFound() *apiError {
	e := newErr(http.StatusBadRequest, "0", "Smart process not found")
	e.extra = objOf("error", 0)
	return e
}

func yn(b bool) string { return map[bool]string{true: "Y", false: "N"}[b] }

// typeObj renders a smart process; full adds relations, linkedUserFields
// and customSections, as get, add and update answer.
func typeObj(et *entityType, full bool) *obj {
	k := et.kind
	o := objOf("id", k.settingsID, "title", k.title, "code", k.code, "createdBy", k.createdBy, "entityTypeId", et.id, "customSectionId", nil)
	for _, f := range typeFlags {
		o.set(f, yn(k.flags[f]))
	}
	o.set("createdTime", k.createdTime)
	o.set("updatedTime", k.updatedTime)
	o.set("updatedBy", k.updatedBy)
	if full {
		parents := listOf()
		for _, id := range k.parents {
			parents.push(objOf("entityTypeId", id, "isChildrenListEnabled", "Y", "isPredefined", "N"))
		}
		o.set("relations", objOf("parent", parents, "child", listOf()))
		o.set("linkedUserFields", newObj())
		o.set("customSections", listOf())
	}
	return o
}

func typeFields(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errTypeDenied
	}
	d := func(typ, title string, readOnly bool) *obj {
		return objOf("type", typ, "isRequired", title == "Title", "isReadOnly", readOnly, "isImmutable", false, "isMultiple", false, "isDynamic", false, "title", title)
	}
	o := objOf("id", d("integer", "ID", true), "title", d("string", "Title", false), "code", d("string", "Code", false),
		"createdBy", d("user", "Created by", true), "entityTypeId", d("integer", "Entity type ID", false), "customSectionId", d("integer", "Custom section", false))
	for _, f := range typeFlags {
		o.set(f, d("boolean", f, false))
	}
	o.set("createdTime", d("datetime", "Created on", true))
	o.set("updatedTime", d("datetime", "Updated on", true))
	o.set("updatedBy", d("user", "Updated by", true))
	return ok(objOf("fields", o))
}

// typeList lists the portal's smart processes; filter compares type fields
// (prefixes =, !, >, >=, <, <=), order sorts by one, start pages by 50.
func typeList(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errTypeDenied
	}
	c.portal.mu.Lock()
	var rows []*obj
	for _, et := range c.portal.sortedSPAs() {
		rows = append(rows, typeObj(et, false))
	}
	c.portal.mu.Unlock()
	filter, order := c.obj("filter"), c.obj("order")
	kept := rows[:0]
	for _, r := range rows {
		if m, aerr := typeMatches(r, filter); aerr != nil {
			return callResult{}, aerr
		} else if m {
			kept = append(kept, r)
		}
	}
	if order != nil && order.len() > 0 {
		key := order.keys[0]
		desc := strings.EqualFold(str(order.m[key]), "DESC")
		sort.SliceStable(kept, func(a, b int) bool {
			return compareLoose(str(kept[a].m[key]), str(kept[b].m[key])) != desc && str(kept[a].m[key]) != str(kept[b].m[key])
		})
	}
	start := max(startParam(c, false), 0)
	out := listOf()
	for i := start; i < len(kept) && i < start+pageSize; i++ {
		out.push(kept[i])
	}
	r := callResult{value: objOf("types", out), total: len(kept), hasTotal: true}
	if next := start + pageSize; next < len(kept) {
		r.next, r.hasNext = next, true
	}
	return r, nil
}

// compareLoose orders numbers as numbers, else as strings.
func compareLoose(a, b string) bool {
	x, e1 := strconv.ParseFloat(a, 64)
	y, e2 := strconv.ParseFloat(b, 64)
	if e1 == nil && e2 == nil {
		return x < y
	}
	return a < b
}

func typeMatches(r, filter *obj) (bool, *apiError) {
	if filter == nil {
		return true, nil
	}
	for _, k := range filter.keys {
		name := strings.TrimLeft(k, "=!<>")
		op := k[:len(k)-len(name)]
		v, known := r.get(name)
		if !known {
			return false, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "Invalid filter: field '"+name+"' is not allowed in filter")
		}
		got, want := str(v), str(filter.m[k])
		var m bool
		switch op {
		case "", "=":
			m = got == want
		case "!", "!=":
			m = got != want
		case ">":
			m = compareLoose(want, got)
		case "<":
			m = compareLoose(got, want)
		case ">=":
			m = !compareLoose(got, want)
		case "<=":
			m = !compareLoose(want, got)
		default:
			return false, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "Invalid filter: operator '"+op+"'")
		}
		if !m {
			return false, nil
		}
	}
	return true, nil
}

// spaBySettingsID finds a smart process by its crm.type id; p.mu held.
func (p *Portal) spaBySettingsID(id int) *entityType {
	for _, et := range p.spas {
		if et.kind.settingsID == id {
			return et
		}
	}
	return nil
}

func typeGet(c *call) (callResult, *apiError) {
	id, _ := strconv.Atoi(c.str("id"))
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	et := c.portal.spaBySettingsID(id)
	if et == nil {
		return callResult{}, errTypeNotFound()
	}
	return ok(objOf("type", typeObj(et, true)))
}

func typeGetByEntityTypeID(c *call) (callResult, *apiError) {
	id, _ := strconv.Atoi(c.str("entityTypeId"))
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	et := c.portal.spas[id]
	if et == nil {
		return callResult{}, errTypeNotFound()
	}
	return ok(objOf("type", typeObj(et, true)))
}

// flagValue reads a switch given as Y/N, true/false or 1/0.
func flagValue(v any) bool {
	switch strings.ToLower(str(v)) {
	case "y", "true", "1":
		return true
	}
	return false
}

// applyTypeFields takes title, code, the switches and relations.parent
// from a crm.type.add/update fields object; only given keys change.
func applyTypeFields(p *Portal, k *typeKind, in *obj) {
	if v, ok := in.get("title"); ok {
		k.title = str(v)
	}
	if v, ok := in.get("code"); ok {
		k.code = str(v)
	}
	for _, f := range typeFlags {
		if v, ok := in.get(f); ok {
			k.flags[f] = flagValue(v)
		}
	}
	rel := asObj(valueCI(in, "relations"))
	if rel == nil {
		return
	}
	k.parents = nil
	for _, x := range asObj(valueCI(rel, "parent")).values() {
		id, _ := strconv.Atoi(str(valueCI(asObj(x), "entityTypeId")))
		if p.crmType(id) != nil {
			k.parents = append(k.parents, id)
		}
	}
}

func typeAdd(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errTypeDenied
	}
	in := c.obj("fields")
	if in == nil {
		return callResult{}, errTypeFields
	}
	if str(valueCI(in, "title")) == "" {
		return callResult{}, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "title is required")
	}
	p := c.portal
	p.mu.Lock()
	want, _ := strconv.Atoi(str(valueCI(in, "entityTypeId")))
	if want != 0 && (!validSPAID(want) || p.spas[want] != nil) {
		p.mu.Unlock()
		return callResult{}, errTypeRange
	}
	k := &typeKind{flags: map[string]bool{}, createdBy: c.user.id, updatedBy: c.user.id}
	applyTypeFields(p, k, in)
	et := p.newSPA(k, want, k.title, false)
	p.crm[et.id] = p.newStore(et, p.srv.opts, map[int]int{})
	out := typeObj(et, true)
	p.mu.Unlock()
	p.typeChanged("ADD", k.settingsID, c)
	return ok(objOf("type", out))
}

func typeUpdate(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errTypeDenied
	}
	id, _ := strconv.Atoi(c.str("id"))
	in := c.obj("fields")
	if in == nil {
		in = newObj()
	}
	p := c.portal
	p.mu.Lock()
	old := p.spaBySettingsID(id)
	if old == nil {
		p.mu.Unlock()
		return callResult{}, errTypeNotFound()
	}
	k := old.kind
	applyTypeFields(p, k, in)
	k.updatedBy, k.updatedTime = c.user.id, p.formatTime(p.srv.now())
	et := p.rebuildSPA(old)
	out := typeObj(et, true)
	p.mu.Unlock()
	p.typeChanged("UPDATE", id, c)
	return ok(objOf("type", out))
}

// typeDelete removes a smart process that has no items; its store stays
// behind empty, unreachable, so that a call already holding the type
// finds no item rather than no store.
func typeDelete(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errTypeDenied
	}
	if _, given := c.param("id"); !given {
		return ok(nil)
	}
	id, _ := strconv.Atoi(c.str("id"))
	p := c.portal
	p.mu.Lock()
	et := p.spaBySettingsID(id)
	if et == nil {
		p.mu.Unlock()
		return callResult{}, errTypeNotFound()
	}
	if p.crm[et.id].any() {
		p.mu.Unlock()
		return callResult{}, errTypeHasItems
	}
	delete(p.spas, et.id)
	p.mu.Unlock()
	p.typeChanged("DELETE", id, c)
	return ok(listOf())
}

// any reports whether the store holds an item.
func (s *entityStore) any() bool {
	if len(s.over) > 0 {
		return true
	}
	for id := 1; id <= s.g.count; id++ {
		if s.exists(id) {
			return true
		}
	}
	return false
}
