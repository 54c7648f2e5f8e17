package history

import "strings"

// builtinTypes are the types of the standard deal, lead, contact and company
// fields (from the *.fields answers documented for each entity). They let a
// snapshot be compared correctly before the portal's metadata has been read,
// or after a field vanished from it. Fields not listed here, and user fields,
// fall back to inference from the value's shape.
var builtinTypes = map[string]Type{
	"ID":          TypeInteger,
	"PROBABILITY": TypeInteger,

	"OPPORTUNITY":         TypeDouble,
	"TAX_VALUE":           TypeDouble,
	"OPPORTUNITY_ACCOUNT": TypeDouble,
	"TAX_VALUE_ACCOUNT":   TypeDouble,
	"REVENUE":             TypeDouble,

	"CURRENCY_ID":         TypeCurrency,
	"ACCOUNT_CURRENCY_ID": TypeCurrency,
	"CATEGORY_ID":         TypeCategory,

	"STAGE_ID":     TypeStatus,
	"STATUS_ID":    TypeStatus,
	"TYPE_ID":      TypeStatus,
	"SOURCE_ID":    TypeStatus,
	"COMPANY_TYPE": TypeStatus,
	"INDUSTRY":     TypeStatus,
	"EMPLOYEES":    TypeStatus,
	"HONORIFIC":    TypeStatus,

	"OPENED":                TypeChar,
	"CLOSED":                TypeChar,
	"EXPORT":                TypeChar,
	"IS_NEW":                TypeChar,
	"IS_RECURRING":          TypeChar,
	"IS_RETURN_CUSTOMER":    TypeChar,
	"IS_REPEATED_APPROACH":  TypeChar,
	"IS_MANUAL_OPPORTUNITY": TypeChar,
	"IS_MY_COMPANY":         TypeChar,
	"HAS_PHONE":             TypeChar,
	"HAS_EMAIL":             TypeChar,
	"HAS_IMOL":              TypeChar,

	"BEGINDATE": TypeDate,
	"CLOSEDATE": TypeDate,
	"BIRTHDATE": TypeDate,

	"DATE_CREATE":        TypeDateTime,
	"DATE_MODIFY":        TypeDateTime,
	"DATE_CLOSED":        TypeDateTime,
	"MOVED_TIME":         TypeDateTime,
	"LAST_ACTIVITY_TIME": TypeDateTime,

	"ASSIGNED_BY_ID":   TypeUser,
	"CREATED_BY_ID":    TypeUser,
	"MODIFY_BY_ID":     TypeUser,
	"MOVED_BY_ID":      TypeUser,
	"LAST_ACTIVITY_BY": TypeUser,

	"COMPANY_ID": TypeCompany,
	"CONTACT_ID": TypeContact,
	"LEAD_ID":    TypeLead,
	"QUOTE_ID":   TypeQuote,

	"PHOTO": TypeFile,
	"LOGO":  TypeFile,
}

// builtinMultiple are the standard fields whose value is a list.
var builtinMultiple = map[string]Type{
	"CONTACT_IDS": TypeContact,
	"COMPANY_IDS": TypeCompany,
	ProductRows:   TypeProductRow,
	"PHONE":       TypeMultifield,
	"EMAIL":       TypeMultifield,
	"WEB":         TypeMultifield,
	"IM":          TypeMultifield,
	"LINK":        TypeMultifield,
}

func builtinField(name string) Field {
	if t, ok := builtinTypes[name]; ok {
		return Field{Name: name, Type: t}
	}
	if t, ok := builtinMultiple[name]; ok {
		return Field{Name: name, Type: t, Multiple: true}
	}
	if strings.HasPrefix(name, "PARENT_ID_") {
		return Field{Name: name, Type: TypeEntity}
	}
	return Field{Name: name}
}

// amountCurrencies name, for each standard amount field, the field holding
// its currency: a deal's or lead's OPPORTUNITY and TAX_VALUE are in the
// record's CURRENCY_ID, a company's REVENUE too, the *_ACCOUNT copies in the
// portal's reporting currency.
// https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-fields.html
var amountCurrencies = map[string]string{
	"OPPORTUNITY":         "CURRENCY_ID",
	"TAX_VALUE":           "CURRENCY_ID",
	"REVENUE":             "CURRENCY_ID",
	"OPPORTUNITY_ACCOUNT": "ACCOUNT_CURRENCY_ID",
	"TAX_VALUE_ACCOUNT":   "ACCOUNT_CURRENCY_ID",
}

// CurrencyField is the field that holds the currency of the amount field
// name, or "" when name is not an amount in a currency of the record's.
// Money user fields carry their own ("100|USD").
func CurrencyField(name string) string { return amountCurrencies[name] }

// CurrencyFields are the fields that hold the currencies of amounts.
func CurrencyFields() []string { return []string{"CURRENCY_ID", "ACCOUNT_CURRENCY_ID"} }
