package b24test

import (
	"net/http"
	"strconv"
)

// crm.item.*: one set of methods for every type, camelCase names, typed
// values, results wrapped in item/items.
func init() {
	register(
		&method{name: "crm.item.fields", scope: "crm", fn: itemFields},
		&method{name: "crm.item.list", scope: "crm", fn: itemList},
		&method{name: "crm.item.get", scope: "crm", fn: itemGet},
		&method{name: "crm.item.add", scope: "crm", fn: itemAdd},
		&method{name: "crm.item.update", scope: "crm", fn: itemUpdate},
		&method{name: "crm.item.delete", scope: "crm", fn: itemDelete},
	)
}

var (
	errItemNotFound = newErr(http.StatusBadRequest, "NOT_FOUND", "Element not found")
	errItemDenied   = newErr(http.StatusBadRequest, "ACCESS_DENIED", "Access denied")
)

func itemType(c *call) (*entityType, *apiError) {
	n, err := strconv.Atoi(c.str("entityTypeId"))
	if err != nil {
		return nil, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "entityTypeId is required")
	}
	if n == 5 {
		return nil, errTypeNotSupported("INVOICE")
	}
	et := c.portal.crmTypeLocked(n)
	if et == nil {
		return nil, newErr(http.StatusBadRequest, "NOT_FOUND", "SPA not found")
	}
	return et, nil
}

func originalUF(c *call) bool { return c.str("useOriginalUfNames") == "Y" }

func itemFields(c *call) (callResult, *apiError) {
	et, aerr := itemType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	if !mayReadType(et, c.user) {
		return callResult{}, errItemDenied
	}
	o := newObj()
	for _, f := range et.fields {
		if f.isFM() {
			continue
		}
		name := f.item
		if f.uf && originalUF(c) {
			name = f.name
		}
		o.set(name, fieldDescription(f, true))
	}
	if et.hasFM {
		o.set("fm", objOf("type", "crm_multifield", "isRequired", false, "isReadOnly", false, "isImmutable", false, "isMultiple", true, "isDynamic", false, "title", "Multifields", "upperName", "FM"))
	}
	return ok(objOf("fields", o))
}

func itemList(c *call) (callResult, *apiError) {
	et, aerr := itemType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	res, start, aerr := runList(c, et, true)
	if aerr != nil {
		return callResult{}, aerr
	}
	v, _ := c.param("select")
	sel := itemSelect(et, strList(v))
	sel.files = callFileLinks(c)
	c.cost += c.srv.opts.Cost.fieldsCost(len(res.ids), sel.fields)
	items := listOf()
	c.portal.mu.Lock()
	s := c.portal.crm[et.id]
	for _, id := range res.ids {
		items.push(s.itemObj(id, sel, originalUF(c)))
	}
	c.portal.mu.Unlock()
	r := callResult{value: objOf("items", items)}
	listMeta(&r, res, start)
	return r, nil
}

// itemRecord checks the id parameter and access under the lock.
func itemRecord(c *call, et *entityType) (int, *apiError) {
	id, err := strconv.Atoi(c.str("id"))
	if err != nil || id <= 0 {
		return 0, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "id is required")
	}
	s := c.portal.crm[et.id]
	if !s.exists(id) {
		return 0, errItemNotFound
	}
	if !canRead(s, id, c.user) {
		return 0, errItemDenied
	}
	return id, nil
}

func itemGet(c *call) (callResult, *apiError) {
	et, aerr := itemType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	id, aerr := itemRecord(c, et)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.cost += c.srv.opts.Cost.PerRow
	return ok(objOf("item", c.portal.crm[et.id].itemObj(id, itemSelectAll(c, et), originalUF(c))))
}

func itemAdd(c *call) (callResult, *apiError) {
	et, aerr := itemType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	in := c.obj("fields")
	if in == nil {
		return callResult{}, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "fields is required")
	}
	c.portal.mu.Lock()
	if !c.portal.mayAdd(c.user, et) {
		c.portal.mu.Unlock()
		return callResult{}, errItemDenied
	}
	id, err := c.portal.addRecord(et, in, true, c.user)
	var item *obj
	if err == nil {
		item = c.portal.crm[et.id].itemObj(id, itemSelectAll(c, et), originalUF(c))
	}
	c.portal.mu.Unlock()
	if err != nil {
		return callResult{}, newErr(http.StatusBadRequest, "CRM_FIELD_ERROR_VALUE_NOT_VALID", err.Error())
	}
	c.portal.changed(change{et: et, action: "ADD", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
	return ok(objOf("item", item))
}

func itemUpdate(c *call) (callResult, *apiError) {
	et, aerr := itemType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	in := c.obj("fields")
	if in == nil {
		return callResult{}, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "fields is required")
	}
	c.portal.mu.Lock()
	id, aerr := itemRecord(c, et)
	var item *obj
	var was stagePoint
	if aerr == nil {
		was = c.portal.standing(et, id)
		if err := c.portal.updateRecord(et, id, in, true, c.user); err != nil {
			aerr = newErr(http.StatusBadRequest, "CRM_FIELD_ERROR_VALUE_NOT_VALID", err.Error())
		} else {
			item = c.portal.crm[et.id].itemObj(id, itemSelectAll(c, et), originalUF(c))
		}
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	ch := change{et: et, action: "UPDATE", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")}
	c.portal.changed(c.portal.pipelineChange(ch, was))
	return ok(objOf("item", item))
}

func itemDelete(c *call) (callResult, *apiError) {
	et, aerr := itemType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	id, aerr := itemRecord(c, et)
	if aerr == nil {
		c.portal.crm[et.id].remove(id)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.portal.changed(change{et: et, action: "DELETE", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
	return ok(listOf())
}

// itemSelectAll selects every field of an answer to get, add and update.
func itemSelectAll(c *call, et *entityType) itemSelection {
	sel := itemSelect(et, nil)
	sel.files = callFileLinks(c)
	return sel
}
