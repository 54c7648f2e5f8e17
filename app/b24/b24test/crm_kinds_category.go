package b24test

import (
	"net/http"
	"strconv"
)

func init() {
	register(
		&method{name: "crm.category.get", scope: "crm", fn: categoryGet},
		&method{name: "crm.category.fields", scope: "crm", fn: categoryFields},
		&method{name: "crm.status.entity.types", scope: "crm", fn: statusEntityTypes},
	)
}

// kindPipelines are the pipelines crm.category.list shows for a type with
// a kind: every smart process and smart invoice has at least its default
// one; estimates have none.
func kindPipelines(et *entityType) ([]*pipeline, *apiError) {
	if len(et.kind.pipelines) == 0 {
		return nil, errTypeNotSupported(typeName(et))
	}
	return et.kind.pipelines, nil
}

// kindCategory renders a pipeline as crm.category does; isSystem and code
// are smart-process keys.
func kindCategory(et *entityType, pl *pipeline) *obj {
	o := objOf("id", pl.id, "name", pl.name, "sort", pl.sort, "entityTypeId", et.id,
		"isDefault", map[bool]string{true: "Y", false: "N"}[pl.isDefault])
	if et.kind.settingsID != 0 {
		o.set("isSystem", "N")
		o.set("code", "")
	}
	return o
}

// categoryGet is crm.category.get
// (https://apidocs.bitrix24.com/api-reference/crm/universal/category/crm-category-get.html).
func categoryGet(c *call) (callResult, *apiError) {
	r, aerr := categoryList(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	id := c.str("id")
	for _, v := range asObj(asObj(r.value).m["categories"]).values() {
		if o := asObj(v); str(o.m["id"]) == id {
			return ok(objOf("category", o))
		}
	}
	return callResult{}, newErr(http.StatusBadRequest, "NOT_FOUND", "Element not found")
}

// categoryFields is crm.category.fields: the keys of a category.
func categoryFields(c *call) (callResult, *apiError) {
	n, err := strconv.Atoi(c.str("entityTypeId"))
	if err != nil {
		return callResult{}, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "entityTypeId is required")
	}
	et := c.portal.crmTypeLocked(n)
	if et == nil {
		return callResult{}, newErr(http.StatusBadRequest, "NOT_FOUND", "Smart process not found")
	}
	desc := func(typ, title string, readOnly bool) *obj {
		return objOf("type", typ, "isRequired", false, "isReadOnly", readOnly, "isImmutable", false, "isMultiple", false, "isDynamic", false, "title", title)
	}
	o := objOf("id", desc("integer", "ID", true), "name", desc("string", "Name", false), "sort", desc("integer", "Sort", false),
		"entityTypeId", desc("integer", "Entity type ID", true), "isDefault", desc("boolean", "Default", false))
	switch {
	case et.id == 2:
		o.set("originId", desc("string", "External ID", false))
		o.set("originatorId", desc("string", "External source ID", false))
	case et.kind != nil && et.kind.settingsID != 0:
		o.set("isSystem", desc("boolean", "System", true))
		o.set("code", desc("string", "Code", false))
	}
	return ok(objOf("fields", o))
}

// statusEntityTypes is crm.status.entity.types: every dictionary of the
// portal, stage dictionaries with their type, pipeline and prefix
// (https://apidocs.bitrix24.com/api-reference/crm/status/crm-status-entity-types.html).
func statusEntityTypes(c *call) (callResult, *apiError) {
	out := listOf()
	for _, d := range []struct{ id, name string }{{"STATUS", "Lead statuses"}, {"SOURCE", "Sources"}, {"CONTACT_TYPE", "Contact types"}, {"COMPANY_TYPE", "Company types"}, {"EMPLOYEES", "Number of employees"}, {"INDUSTRY", "Industry"}, {"DEAL_TYPE", "Deal types"}, {"HONORIFIC", "Salutations"}} {
		o := objOf("ID", d.id, "NAME", d.name)
		if d.id == "STATUS" {
			o.set("SEMANTIC_INFO", semanticInfo("NEW", "CONVERTED", "JUNK"))
			o.set("ENTITY_TYPE_ID", 1)
		}
		out.push(o)
	}
	for _, cat := range dealCategories {
		o := objOf("ID", stageEntity(2, cat.id), "NAME", "Deal stages ("+cat.name+")")
		prefix := ""
		if cat.id > 0 {
			prefix = "C" + strconv.Itoa(cat.id)
			o.set("PARENT_ID", "DEAL_STAGE")
		}
		p := ""
		if prefix != "" {
			p = prefix + ":"
		}
		o.set("SEMANTIC_INFO", semanticInfo(p+"NEW", p+"WON", p+"LOSE"))
		o.set("PREFIX", prefix)
		o.set("FIELD_ATTRIBUTE_SCOPE", map[bool]string{true: "", false: "category_" + strconv.Itoa(cat.id)}[cat.id == 0])
		o.set("ENTITY_TYPE_ID", 2)
		o.set("CATEGORY_ID", strconv.Itoa(cat.id))
		out.push(o)
	}
	out.push(objOf("ID", "QUOTE_STATUS", "NAME", "Estimate statuses", "SEMANTIC_INFO", semanticInfo("DRAFT", "APPROVED", "DECLAINED"), "ENTITY_TYPE_ID", typeQuote))
	types := []*entityType{universalTypes[typeSmartInvoice]}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	types = append(types, c.portal.sortedSPAs()...)
	for _, et := range types {
		if !et.kind.flags[flagStages] {
			continue
		}
		for _, pl := range et.kind.pipelines {
			out.push(objOf("ID", stageEntity(et.id, pl.id), "NAME", et.kind.title+" stages ("+pl.name+")", "SEMANTIC_INFO", listOf(),
				"PREFIX", stagePrefix(et.id, pl.id), "ENTITY_TYPE_ID", et.id, "IS_ENABLED", true, "CATEGORY_ID", pl.id,
				"CATEGORY_NAME", pl.name, "CATEGORY_SORT", pl.sort, "IS_DEFAULT_CATEGORY", pl.isDefault))
		}
	}
	return ok(out)
}

func semanticInfo(start, success, failure string) *obj {
	return objOf("START_FIELD", start, "FINAL_SUCCESS_FIELD", success, "FINAL_UNSUCCESS_FIELD", failure, "FINAL_SORT", 0)
}
