package b24test

import (
	"sort"
	"strconv"
	"strings"
)

func init() {
	register(
		&method{name: "crm.status.list", scope: "crm", fn: statusList},
		&method{name: "crm.dealcategory.stage.list", scope: "crm", fn: dealCategoryStageList},
		&method{name: "crm.dealcategory.list", scope: "crm", fn: dealCategoryList},
	)
}

// statusList filters the dictionaries by exact field values (ENTITY_ID,
// STATUS_ID, CATEGORY_ID …) and orders them by one field.
func statusList(c *call) (callResult, *apiError) {
	filter := c.obj("filter")
	rows := []*obj{}
	c.portal.mu.Lock()
	all := c.portal.portalStatuses()
	c.portal.mu.Unlock()
	for i, e := range all {
		o := e.obj(i + 1)
		if statusMatches(o, filter) {
			rows = append(rows, o)
		}
	}
	if order := c.obj("order"); order != nil && order.len() > 0 {
		key := strings.ToUpper(order.keys[0])
		desc := strings.EqualFold(str(order.m[order.keys[0]]), "DESC")
		sort.SliceStable(rows, func(a, b int) bool {
			x, y := str(rows[a].m[key]), str(rows[b].m[key])
			if nx, err := strconv.Atoi(x); err == nil {
				if ny, err := strconv.Atoi(y); err == nil {
					return (nx < ny) != desc && nx != ny
				}
			}
			return (x < y) != desc && x != y
		})
	}
	out := listOf()
	for _, r := range rows {
		out.push(r)
	}
	return ok(out)
}

func statusMatches(o, filter *obj) bool {
	if filter == nil {
		return true
	}
	for _, k := range filter.keys {
		v, known := o.get(strings.ToUpper(strings.TrimLeft(k, "=")))
		if known && !strings.EqualFold(str(v), str(filter.m[k])) {
			return false
		}
	}
	return true
}

func dealCategoryStageList(c *call) (callResult, *apiError) {
	id, _ := strconv.Atoi(c.str("id"))
	entity := "DEAL_STAGE"
	if id > 0 {
		entity = "DEAL_STAGE_" + strconv.Itoa(id)
	}
	out := listOf()
	for i, e := range allStatuses {
		if e.entityID == entity {
			out.push(e.obj(i + 1))
		}
	}
	return ok(out)
}

// dealCategoryList lists the pipelines other than the default one, as the
// legacy method does.
func dealCategoryList(c *call) (callResult, *apiError) {
	out := listOf()
	for _, cat := range dealCategories[1:] {
		out.push(objOf("ID", strconv.Itoa(cat.id), "CREATED_DATE", "2022-01-03T09:00:00+00:00", "NAME", cat.name, "IS_LOCKED", "N", "SORT", strconv.Itoa(cat.id*100)))
	}
	r := callResult{value: out, total: out.len(), hasTotal: true}
	return r, nil
}
