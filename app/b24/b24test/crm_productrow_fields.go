package b24test

import (
	"fmt"
	"strconv"
	"strings"
)

// rowField is one field of crm_item_product_row with its legacy name
// (https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-fields.html).
type rowField struct {
	item, legacy, typ, title      string
	readOnly, immutable, required bool
}

var rowFields = []rowField{
	{item: "id", legacy: "ID", typ: "integer", title: "ID", readOnly: true},
	{item: "ownerId", legacy: "OWNER_ID", typ: "integer", title: "Owner ID", immutable: true, required: true},
	{item: "ownerType", legacy: "OWNER_TYPE", typ: "string", title: "Owner type", immutable: true, required: true},
	{item: "productId", legacy: "PRODUCT_ID", typ: "integer", title: "Product", required: true},
	{item: "productName", legacy: "PRODUCT_NAME", typ: "string", title: "Product name"},
	{item: "price", legacy: "PRICE", typ: "double", title: "Price"},
	{item: "priceAccount", legacy: "PRICE_ACCOUNT", typ: "double", title: "Price in report currency", readOnly: true},
	{item: "priceExclusive", legacy: "PRICE_EXCLUSIVE", typ: "double", title: "Price with discount, without tax", readOnly: true},
	{item: "priceNetto", legacy: "PRICE_NETTO", typ: "double", title: "Price without discount and tax", readOnly: true},
	{item: "priceBrutto", legacy: "PRICE_BRUTTO", typ: "double", title: "Price with tax, without discount", readOnly: true},
	{item: "quantity", legacy: "QUANTITY", typ: "double", title: "Quantity"},
	{item: "discountTypeId", legacy: "DISCOUNT_TYPE_ID", typ: "integer", title: "Discount type"},
	{item: "discountRate", legacy: "DISCOUNT_RATE", typ: "double", title: "Discount rate"},
	{item: "discountSum", legacy: "DISCOUNT_SUM", typ: "double", title: "Discount sum"},
	{item: "taxRate", legacy: "TAX_RATE", typ: "double", title: "Tax rate"},
	{item: "taxIncluded", legacy: "TAX_INCLUDED", typ: "char", title: "Tax included"},
	{item: "customized", legacy: "CUSTOMIZED", typ: "char", title: "Customized"},
	{item: "measureCode", legacy: "MEASURE_CODE", typ: "integer", title: "Unit of measurement code"},
	{item: "measureName", legacy: "MEASURE_NAME", typ: "string", title: "Unit of measurement"},
	{item: "sort", legacy: "SORT", typ: "integer", title: "Sort"},
	{item: "xmlId", legacy: "XML_ID", typ: "string", title: "External ID"},
	{item: "type", legacy: "TYPE", typ: "integer", title: "Type", readOnly: true},
	{item: "storeId", legacy: "STORE_ID", typ: "integer", title: "Warehouse", readOnly: true},
}

func rowFieldNamed(name string, legacy bool) *rowField {
	for i := range rowFields {
		f := &rowFields[i]
		if (!legacy && strings.EqualFold(name, f.item)) || (legacy && strings.EqualFold(name, f.legacy)) {
			return f
		}
	}
	return nil
}

// rowInput is the outcome of reading a row's input fields.
type rowInput struct {
	given   map[string]bool // item names of the fields set
	refused []string        // unknown or read-only keys
}

// applyRowInput writes the given fields onto r; legacy takes the
// UPPER_CASE names. Unknown and read-only keys are left for the caller to
// refuse or ignore.
func applyRowInput(r *productRow, in *obj, legacy bool) (rowInput, error) {
	res := rowInput{given: map[string]bool{}}
	for _, k := range in.keys {
		f := rowFieldNamed(k, legacy)
		if f == nil || f.readOnly {
			res.refused = append(res.refused, k)
			continue
		}
		v := in.m[k]
		if asObj(v) != nil {
			return res, fmt.Errorf("invalid value for field %q", k)
		}
		s := strings.TrimSpace(str(v))
		if err := setRowField(r, f, s); err != nil {
			return res, fmt.Errorf("invalid value for field %q", k)
		}
		res.given[f.item] = true
	}
	return res, nil
}

func setRowField(r *productRow, f *rowField, s string) error {
	switch f.typ {
	case "string":
		switch f.item {
		case "ownerType":
			r.ownerType = s
		case "productName":
			r.productName = s
		case "measureName":
			r.measureName = s
		case "xmlId":
			r.xmlID = s
		}
	case "char":
		yes, err := rowFlag(s)
		if err != nil {
			return err
		}
		if f.item == "taxIncluded" {
			r.taxIncluded = yes
		}
	case "integer":
		n := 0
		if s != "" {
			var err error
			if n, err = strconv.Atoi(s); err != nil {
				return err
			}
		}
		switch f.item {
		case "ownerId":
			r.ownerID = n
		case "productId":
			r.productID = n
		case "discountTypeId":
			r.discountType = n
		case "measureCode":
			r.measureCode = n
		case "sort":
			r.sort = n
		}
	case "double":
		if f.item == "taxRate" && s == "" {
			r.taxRate = nil
			return nil
		}
		x := 0.0
		if s != "" {
			var err error
			if x, err = strconv.ParseFloat(s, 64); err != nil {
				return err
			}
		}
		switch f.item {
		case "price":
			r.price = round2(x)
		case "quantity":
			r.quantity = x
		case "discountRate":
			r.discountRate = round2(x)
		case "discountSum":
			r.discountSum = round2(x)
		case "taxRate":
			r.taxRate = &x
		}
	}
	return nil
}

func rowFlag(s string) (bool, error) {
	switch strings.ToUpper(s) {
	case "Y", "1", "TRUE":
		return true, nil
	case "N", "0", "", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("not Y or N: %q", s)
}

// newRow is a row before its input: the defaults of
// crm.deal.productrows.set (quantity 1, percentage discount, tax not
// included).
func newRow() productRow {
	return productRow{quantity: 1, discountType: discountPercentage}
}

// completeRow checks the discount and fills in what the catalogue knows:
// the product's name, unit and type.
func completeRow(r *productRow, in rowInput) error {
	if r.discountType != discountAbsolute && r.discountType != discountPercentage {
		return fmt.Errorf("invalid value for field %q", "discountTypeId")
	}
	if r.discountType == discountPercentage && (r.discountRate < 0 || r.discountRate > 100) {
		return fmt.Errorf("invalid value for field %q", "discountRate")
	}
	pr := productByID(r.productID)
	if pr != nil && r.productName == "" {
		r.productName = pr.name
	}
	if r.measureCode == 0 {
		r.measureCode = defaultMeasure
		if pr != nil {
			r.measureCode = pr.measure
		}
	}
	if !in.given["measureName"] || r.measureName == "" {
		r.measureName = measures[r.measureCode]
	}
	r.typ = 1
	if pr != nil {
		r.typ = pr.rowType()
	}
	return nil
}

// legacyDiscountError is the check crm.deal.productrows.set makes: a
// discount type given needs its amount. It returns "" when the row passes.
func legacyDiscountError(r productRow, in rowInput) string {
	switch {
	case !in.given["discountTypeId"]:
		return ""
	case r.discountType == discountPercentage && !in.given["discountRate"]:
		return "Discount Rate (DISCOUNT_RATE) is required if Percentage Discount Type (DISCOUNT_TYPE_ID) is defined"
	case r.discountType == discountAbsolute && !in.given["discountSum"]:
		return "Discount Sum (DISCOUNT_SUM) is required if Monetary Discount Type (DISCOUNT_TYPE_ID) is defined"
	}
	return ""
}

func optFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// itemObj renders a row as crm.item.productrow answers it.
func (r productRow) itemObj() *obj {
	f := r.figures()
	return objOf(
		"id", r.id, "ownerId", r.ownerID, "ownerType", r.ownerType,
		"productId", r.productID, "productName", r.productName,
		"price", r.price, "priceAccount", r.price,
		"priceExclusive", round2(f.exclusive), "priceNetto", round2(f.netto), "priceBrutto", round2(f.brutto),
		"quantity", r.quantity,
		"discountTypeId", r.discountType, "discountRate", round2(f.discountRate), "discountSum", round2(f.discountSum),
		"taxRate", optFloat(r.taxRate), "taxIncluded", yn(r.taxIncluded), "customized", "Y",
		"measureCode", r.measureCode, "measureName", r.measureName,
		"sort", r.sort, "xmlId", nullIfEmpty(r.xmlID), "type", r.typ, "storeId", 0,
	)
}

// legacyObj renders a row as crm.deal.productrows.get does, with its mixed
// typing: ids as strings, prices as numbers, PRICE_ACCOUNT as a string.
func (r productRow) legacyObj() *obj {
	f := r.figures()
	original := r.productName
	if pr := productByID(r.productID); pr != nil {
		original = pr.name
	}
	return objOf(
		"ID", strconv.Itoa(r.id), "OWNER_ID", strconv.Itoa(r.ownerID), "OWNER_TYPE", r.ownerType,
		"PRODUCT_ID", r.productID, "PRODUCT_NAME", r.productName, "ORIGINAL_PRODUCT_NAME", original,
		"PRODUCT_DESCRIPTION", nil,
		"PRICE", r.price, "PRICE_EXCLUSIVE", round2(f.exclusive), "PRICE_NETTO", round2(f.netto),
		"PRICE_BRUTTO", round2(f.brutto), "PRICE_ACCOUNT", strconv.FormatFloat(r.price, 'f', 2, 64),
		"QUANTITY", r.quantity,
		"DISCOUNT_TYPE_ID", r.discountType, "DISCOUNT_RATE", round2(f.discountRate), "DISCOUNT_SUM", round2(f.discountSum),
		"TAX_RATE", optFloat(r.taxRate), "TAX_INCLUDED", yn(r.taxIncluded), "CUSTOMIZED", "Y",
		"MEASURE_CODE", r.measureCode, "MEASURE_NAME", r.measureName, "SORT", r.sort,
		"XML_ID", nullIfEmpty(r.xmlID), "TYPE", r.typ, "STORE_ID", 0,
		"RESERVE_ID", nil, "DATE_RESERVE_END", nil, "RESERVE_QUANTITY", nil,
	)
}

// rowValue is a row field's value for filtering and ordering.
func (r productRow) rowValue(item string) (string, bool) {
	v, ok := r.itemObj().get(item)
	if !ok {
		return "", false
	}
	return str(v), true
}

func rowFieldDescriptions() *obj {
	o := newObj()
	for _, f := range rowFields {
		d := objOf("type", f.typ, "isRequired", f.required, "isReadOnly", f.readOnly, "isImmutable", f.immutable,
			"isMultiple", false, "isDynamic", false, "title", f.title)
		if f.item == "customized" {
			d.set("isDeprecated", true)
		}
		o.set(f.item, d)
	}
	return o
}
