package b24test

import (
	"net/http"
	"strconv"
)

func init() {
	register(
		&method{name: "crm.category.list", scope: "crm", fn: categoryList},
		&method{name: "crm.currency.list", scope: "crm", fn: currencyList},
	)
}

// categoryList lists the pipelines of an entity type
// (https://apidocs.bitrix24.com/api-reference/crm/universal/category/crm-category-list.html):
// deals have the default pipeline 0 and two more; contacts and companies
// only their default one; leads have none.
func categoryList(c *call) (callResult, *apiError) {
	n, err := strconv.Atoi(c.str("entityTypeId"))
	if err != nil {
		return callResult{}, newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "entityTypeId is required")
	}
	et := c.portal.crmTypeLocked(n)
	if et == nil {
		return callResult{}, newErr(http.StatusBadRequest, "NOT_FOUND", "Smart process not found")
	}
	out := listOf()
	switch {
	case et.kind != nil:
		pls, aerr := kindPipelines(et)
		if aerr != nil {
			return callResult{}, aerr
		}
		for _, pl := range pls {
			out.push(kindCategory(et, pl))
		}
	case et.id == 2:
		for _, cat := range dealCategories {
			o := category(et.id, cat.id, cat.name)
			o.set("originId", "")
			o.set("originatorId", "")
			out.push(o)
		}
	case et.id == 3 || et.id == 4:
		out.push(category(et.id, 0, "General"))
	default:
		return callResult{}, newErr(http.StatusBadRequest, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `"+et.upper+"` is not supported")
	}
	return callResult{value: objOf("categories", out), total: out.len(), hasTotal: true}, nil
}

func category(entityTypeID, id int, name string) *obj {
	return objOf("id", id, "name", name, "sort", (id+1)*100, "entityTypeId", entityTypeID,
		"isDefault", map[bool]string{true: "Y", false: "N"}[id == 0])
}

// portalCurrencies are the currencies of every emulated portal, the base
// one first.
var portalCurrencies = []struct{ code, name, format string }{
	{"USD", "US Dollar", "$#"},
	{"EUR", "Euro", "&euro;#"},
	{"RUB", "Russian Ruble", "# &#8381;"},
	{"GBP", "Pound Sterling", "&pound;#"},
}

// currencyList lists the portal's currencies
// (https://apidocs.bitrix24.com/api-reference/crm/currency/crm-currency-list.html):
// code, name in the portal's language, and the rate against the base one.
func currencyList(*call) (callResult, *apiError) {
	out := listOf()
	for i, cur := range portalCurrencies {
		out.push(objOf(
			"CURRENCY", cur.code, "AMOUNT_CNT", 1, "AMOUNT", "1.0000", "SORT", (i+1)*100,
			"BASE", map[bool]string{true: "Y", false: "N"}[i == 0], "FULL_NAME", cur.name, "LID", "en",
			"FORMAT_STRING", cur.format, "DEC_POINT", ".", "THOUSANDS_SEP", " ", "DECIMALS", 2,
		))
	}
	return callResult{value: out, total: out.len(), hasTotal: true}, nil
}
