package b24test

import (
	"strconv"
	"strings"
)

// product is one item of the product catalogue every portal shares. The
// catalogue is fixed: rows name its products, generated rows pick from it.
type product struct {
	id       int
	name     string
	price    string // in currency, two decimals
	currency string
	measure  int  // measure code, see measures
	service  bool // a service (row type 7) rather than a simple product (1)
	vatRate  int  // percent; 0 = no VAT
}

// catalogue ids start above 400, as a portal's first products do once its
// catalogue sections and offers took the low ids.
var catalogue = []product{
	{id: 401, name: "Laptop 14\"", price: "1200.00", currency: "USD", measure: 796, vatRate: 20},
	{id: 402, name: "Laptop 16\"", price: "1650.00", currency: "USD", measure: 796, vatRate: 20},
	{id: 403, name: "Monitor 27\"", price: "340.00", currency: "USD", measure: 796, vatRate: 20},
	{id: 404, name: "Docking station", price: "189.90", currency: "USD", measure: 796, vatRate: 20},
	{id: 405, name: "Wireless keyboard", price: "49.50", currency: "USD", measure: 796, vatRate: 20},
	{id: 406, name: "Office chair", price: "275.00", currency: "EUR", measure: 796, vatRate: 19},
	{id: 407, name: "Standing desk", price: "620.00", currency: "EUR", measure: 796, vatRate: 19},
	{id: 408, name: "Network cable", price: "1.20", currency: "USD", measure: 6},
	{id: 409, name: "Printer paper A4", price: "4.75", currency: "EUR", measure: 796},
	{id: 410, name: "Cleaning liquid", price: "3.40", currency: "EUR", measure: 112},
	{id: 411, name: "Coffee beans", price: "18.00", currency: "EUR", measure: 166},
	{id: 412, name: "Server rack 42U", price: "2450.00", currency: "USD", measure: 796, vatRate: 20},
	{id: 413, name: "Annual support", price: "900.00", currency: "USD", measure: 796, service: true},
	{id: 414, name: "Installation", price: "150.00", currency: "USD", measure: 356, service: true},
	{id: 415, name: "Consulting", price: "120.00", currency: "EUR", measure: 356, service: true},
	{id: 416, name: "Training course", price: "480.00", currency: "EUR", measure: 796, service: true},
	{id: 417, name: "Software license", price: "299.00", currency: "USD", measure: 796, vatRate: 20},
	{id: 418, name: "Cloud storage 1 TB", price: "9.99", currency: "USD", measure: 796, service: true},
}

// measures are the units the catalogue uses, by their OKEI code.
var measures = map[int]string{6: "m", 112: "l", 166: "kg", 356: "h", 796: "pcs"}

// vatIDs are the portal's VAT rates (crm.vat.list) by percent.
var vatIDs = map[int]string{20: "2", 19: "3"}

// defaultMeasure is the unit of a row without product or measure.
const defaultMeasure = 796

func productByID(id int) *product {
	for i := range catalogue {
		if catalogue[i].id == id {
			return &catalogue[i]
		}
	}
	return nil
}

// crm.product.list, get and fields: the catalogue in the legacy form
// (https://apidocs.bitrix24.com/api-reference/crm/products/index.html),
// enough to name and price the products rows refer to.
func init() {
	register(
		&method{name: "crm.product.fields", scope: "crm", fn: productFields},
		&method{name: "crm.product.list", scope: "crm", fn: productList},
		&method{name: "crm.product.get", scope: "crm", fn: productGet},
	)
}

func (pr *product) legacyObj() *obj {
	vat := any(nil)
	if id, ok := vatIDs[pr.vatRate]; ok {
		vat = id
	}
	return objOf(
		"ID", strconv.Itoa(pr.id),
		"CATALOG_ID", "23",
		"PRICE", pr.price,
		"CURRENCY_ID", pr.currency,
		"NAME", pr.name,
		"CODE", "product_"+strconv.Itoa(pr.id),
		"DESCRIPTION", nil,
		"DESCRIPTION_TYPE", "text",
		"ACTIVE", "Y",
		"SECTION_ID", nil,
		"SORT", "500",
		"VAT_ID", vat,
		"VAT_INCLUDED", "Y",
		"MEASURE", strconv.Itoa(pr.measure),
		"XML_ID", strconv.Itoa(pr.id),
	)
}

var productFieldTypes = [][3]string{
	{"ID", "integer", "ID"}, {"CATALOG_ID", "integer", "Catalog"}, {"PRICE", "double", "Price"},
	{"CURRENCY_ID", "string", "Currency"}, {"NAME", "string", "Name"}, {"CODE", "string", "Symbolic Code"},
	{"DESCRIPTION", "string", "Description"}, {"DESCRIPTION_TYPE", "string", "Description Type"},
	{"ACTIVE", "char", "Active"}, {"SECTION_ID", "integer", "Section"}, {"SORT", "integer", "Sort"},
	{"VAT_ID", "integer", "VAT Rate"}, {"VAT_INCLUDED", "char", "VAT Included"}, {"MEASURE", "integer", "Unit of Measurement"},
	{"XML_ID", "string", "External ID"},
}

func productFields(_ *call) (callResult, *apiError) {
	o := newObj()
	for _, f := range productFieldTypes {
		o.set(f[0], objOf("type", f[1], "isRequired", f[0] == "NAME", "isReadOnly", f[0] == "ID", "isImmutable", false, "isMultiple", false, "isDynamic", false, "title", f[2]))
	}
	return ok(o)
}

func productGet(c *call) (callResult, *apiError) {
	id, err := strconv.Atoi(c.str("id"))
	if err != nil || id <= 0 {
		return callResult{}, errLegacy("The parameter id is invalid or not defined.")
	}
	pr := productByID(id)
	if pr == nil {
		return callResult{}, errLegacy("Not found")
	}
	return ok(pr.legacyObj())
}

// productList filters on ID and NAME (with the usual prefixes) and pages
// by 50; other filter keys are ignored.
func productList(c *call) (callResult, *apiError) {
	filter := c.obj("filter")
	var matched []*product
	for i := range catalogue {
		pr := &catalogue[i]
		if productMatches(pr, filter) {
			matched = append(matched, pr)
		}
	}
	start := max(startParam(c, true), 0)
	l := listOf()
	for i := start; i < len(matched) && i < start+pageSize; i++ {
		l.push(matched[i].legacyObj())
	}
	r := callResult{value: l, hasTotal: true, total: len(matched)}
	if next := start + pageSize; next < len(matched) {
		r.next, r.hasNext = next, true
	}
	return r, nil
}

func productMatches(pr *product, filter *obj) bool {
	if filter == nil {
		return true
	}
	for _, k := range filter.keys {
		op, name := splitRowOp(k)
		var v string
		switch strings.ToUpper(name) {
		case "ID":
			v = strconv.Itoa(pr.id)
		case "NAME":
			v = pr.name
		default:
			continue
		}
		if !rowOpMatch(op, v, str(filter.m[k]), strings.ToUpper(name) == "ID") {
			return false
		}
	}
	return true
}
