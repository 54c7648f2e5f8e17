package b24test

import (
	"strconv"
	"strings"
)

// entityType is one CRM object type with its field set.
type entityType struct {
	id       int    // entityTypeId: 1 lead, 2 deal, 3 contact, 4 company
	name     string // "deal"
	upper    string // "DEAL", used in event names
	ufEntity string // "CRM_DEAL"
	fields   []*field
	byName   map[string]*field // legacy UPPER_CASE name
	byItem   map[string]*field // crm.item camelCase name
	hasFM    bool              // has PHONE/EMAIL multifields
}

// field describes one field; values are held in the legacy form (strings,
// nil, []string for multiple user fields, []fmValue for multifields) and
// converted for crm.item on the way out.
type field struct {
	name       string // legacy name
	item       string // crm.item name
	typ        string // crm_rest_field_description type
	title      string
	readOnly   bool
	immutable  bool
	required   bool
	multiple   bool
	uf         bool
	statusType string
	items      []enumItem // enumeration values
	label      string     // user field label
	gen        genFunc
}

type enumItem struct {
	id    string
	value string
}

// fmValue is one phone or e-mail.
type fmValue struct {
	id        string
	valueType string
	value     string
	typeID    string
}

// typed reports whether crm.item returns the field as a number.
func (f *field) numeric() bool {
	switch f.typ {
	case "integer", "user", "crm_category", "crm_company", "crm_contact", "crm_lead", "double":
		return true
	case "enumeration":
		return true
	}
	return false
}

func (f *field) isTime() bool { return f.typ == "datetime" || f.typ == "date" }

func (f *field) isFM() bool { return f.typ == "crm_multifield" }

// itemName derives the crm.item name of a legacy field.
func itemName(legacy string) string {
	if n, ok := itemNames[legacy]; ok {
		return n
	}
	if rest, ok := strings.CutPrefix(legacy, "UF_CRM_"); ok {
		return "ufCrm_" + rest
	}
	parts := strings.Split(strings.ToLower(legacy), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

var itemNames = map[string]string{
	"ASSIGNED_BY_ID": "assignedById",
	"CREATED_BY_ID":  "createdBy",
	"MODIFY_BY_ID":   "updatedBy",
	"MOVED_BY_ID":    "movedBy",
	"DATE_CREATE":    "createdTime",
	"DATE_MODIFY":    "updatedTime",
	"BEGINDATE":      "begindate",
	"CLOSEDATE":      "closedate",
	"BIRTHDATE":      "birthdate",
	"STATUS_ID":      "stageId",
	"COMPANY_TYPE":   "typeId",
}

func newEntityType(id int, name string, hasFM bool, fields []*field) *entityType {
	et := &entityType{
		id: id, name: name, upper: strings.ToUpper(name), ufEntity: "CRM_" + strings.ToUpper(name),
		fields: fields, byName: map[string]*field{}, byItem: map[string]*field{}, hasFM: hasFM,
	}
	for _, f := range fields {
		if f.item == "" {
			f.item = itemName(f.name)
		}
		et.byName[f.name] = f
		et.byItem[f.item] = f
	}
	return et
}

// field finds a field by its legacy name, or for crm.item by its camelCase
// name (the legacy name is accepted too, as useOriginalUfNames needs).
func (et *entityType) field(name string, item bool) *field {
	if item {
		if f := et.byItem[name]; f != nil {
			return f
		}
		return et.byName[strings.ToUpper(name)]
	}
	return et.byName[strings.ToUpper(name)]
}

// entityTypes are built once; generators close over nothing portal-specific.
var entityTypes = map[int]*entityType{
	1: newEntityType(1, "lead", true, leadFields()),
	2: newEntityType(2, "deal", false, dealFields()),
	3: newEntityType(3, "contact", true, contactFields()),
	4: newEntityType(4, "company", true, companyFields()),
}

func entityTypeByName(name string) *entityType {
	for _, et := range entityTypes {
		if et.name == name {
			return et
		}
	}
	return nil
}

func ro(f *field) *field { f.readOnly = true; return f }

func fld(name, typ, title string, gen genFunc) *field {
	return &field{name: name, typ: typ, title: title, gen: gen}
}

func status(name, statusType, title string, gen genFunc) *field {
	return &field{name: name, typ: "crm_status", statusType: statusType, title: title, gen: gen}
}

// commonTail are the ownership, audit and multifield fields.
func commonTail(fm bool) []*field {
	fs := []*field{
		fld("OPENED", "char", "Available to everyone", genYN(0, 80)),
		fld("COMMENTS", "string", "Comment", genComment),
		fld("ASSIGNED_BY_ID", "user", "Responsible person", genUser(1)),
		ro(fld("CREATED_BY_ID", "user", "Created by", genUser(2))),
		ro(fld("MODIFY_BY_ID", "user", "Modified by", genUser(3))),
		ro(fld("DATE_CREATE", "datetime", "Created on", genCreated)),
		ro(fld("DATE_MODIFY", "datetime", "Modified on", genModified)),
		status("SOURCE_ID", "SOURCE", "Source", genPick(4, sourceIDs)),
	}
	if fm {
		fs = append(fs,
			ro(fld("HAS_PHONE", "char", "Has phone", genHas("PHONE"))),
			ro(fld("HAS_EMAIL", "char", "Has email", genHas("EMAIL"))),
			&field{name: "PHONE", typ: "crm_multifield", title: "Phone", multiple: true, gen: genPhones},
			&field{name: "EMAIL", typ: "crm_multifield", title: "E-mail", multiple: true, gen: genEmails},
		)
	}
	return fs
}

// userFields are five UF_CRM_* fields of several types; enumeration item
// ids are unique per portal, as in Bitrix24.
func userFields(base string, enumBase int, labels [5]string) []*field {
	items := make([]enumItem, 3)
	for i, v := range []string{"Low", "Medium", "High"} {
		items[i] = enumItem{id: strconv.Itoa(enumBase + i), value: v}
	}
	return []*field{
		{name: "UF_CRM_" + base + "1", typ: "string", uf: true, label: labels[0], gen: genUFString},
		{name: "UF_CRM_" + base + "2", typ: "enumeration", uf: true, label: labels[1], items: items, gen: genUFEnum(items)},
		{name: "UF_CRM_" + base + "3", typ: "double", uf: true, label: labels[2], gen: genUFDouble},
		{name: "UF_CRM_" + base + "4", typ: "date", uf: true, label: labels[3], gen: genUFDate},
		{name: "UF_CRM_" + base + "5", typ: "string", uf: true, multiple: true, label: labels[4], gen: genUFTags},
	}
}

func dealFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Name", genDealTitle),
		status("TYPE_ID", "DEAL_TYPE", "Type", genPick(5, dealTypeIDs)),
		{name: "CATEGORY_ID", typ: "crm_category", title: "Pipeline", immutable: true, gen: genCategory},
		{name: "STAGE_ID", typ: "crm_status", statusType: "DEAL_STAGE", title: "Deal Stage", gen: genStage},
		ro(fld("STAGE_SEMANTIC_ID", "string", "Stage group", genSemantic)),
		ro(fld("IS_NEW", "char", "New deal", genIsNew)),
		fld("PROBABILITY", "integer", "Probability", genProbability),
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
		fld("OPPORTUNITY", "double", "Amount", genMoney(100, 500000)),
		fld("IS_MANUAL_OPPORTUNITY", "char", "IS_MANUAL_OPPORTUNITY", genYN(6, 30)),
		fld("TAX_VALUE", "double", "Tax rate", genTax),
		fld("COMPANY_ID", "crm_company", "Company", genRef(7, 4)),
		fld("CONTACT_ID", "crm_contact", "Contact", genRef(8, 3)),
		fld("BEGINDATE", "date", "Start date", genBeginDate),
		fld("CLOSEDATE", "date", "Estimated close date", genCloseDate),
		fld("CLOSED", "char", "Closed", genClosed),
		ro(fld("MOVED_BY_ID", "user", "Moved by", genUser(9))),
		ro(fld("MOVED_TIME", "datetime", "Moved on", genMoved)),
		fld("LEAD_ID", "crm_lead", "Lead", genRef(10, 1)),
	}
	fs = append(fs, commonTail(false)...)
	return append(fs, userFields("170000000", 45, [5]string{"Delivery address", "Priority", "Margin", "Contract date", "Tags"})...)
}

func leadFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Lead name", genLeadTitle),
		fld("NAME", "string", "First name", genFirstName),
		fld("LAST_NAME", "string", "Last name", genLastName),
		status("STATUS_ID", "STATUS", "Stage", genPick(11, leadStatusIDs)),
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
		fld("OPPORTUNITY", "double", "Amount", genMoney(50, 100000)),
		fld("COMPANY_TITLE", "string", "Company name", genCompanyTitle),
		fld("POST", "string", "Position", genPost),
	}
	fs = append(fs, commonTail(true)...)
	return append(fs, userFields("170000010", 55, [5]string{"Campaign", "Temperature", "Budget", "Callback date", "Interests"})...)
}

func contactFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("NAME", "string", "First name", genFirstName),
		fld("SECOND_NAME", "string", "Second name", genEmpty),
		fld("LAST_NAME", "string", "Last name", genLastName),
		fld("POST", "string", "Position", genPost),
		status("TYPE_ID", "CONTACT_TYPE", "Contact type", genPick(12, contactTypeIDs)),
		fld("COMPANY_ID", "crm_company", "Company", genRef(13, 4)),
		fld("BIRTHDATE", "date", "Date of birth", genBirthdate),
	}
	fs = append(fs, commonTail(true)...)
	return append(fs, userFields("170000020", 65, [5]string{"Preferred channel", "Loyalty", "Lifetime value", "Last meeting", "Hobbies"})...)
}

func companyFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Company name", genCompanyTitle),
		status("COMPANY_TYPE", "COMPANY_TYPE", "Company type", genPick(14, companyTypeIDs)),
		status("INDUSTRY", "INDUSTRY", "Industry", genPick(15, industryIDs)),
		status("EMPLOYEES", "EMPLOYEES", "Employees", genPick(16, employeeIDs)),
		fld("REVENUE", "double", "Annual revenue", genMoney(10000, 90000000)),
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
	}
	fs = append(fs, commonTail(true)...)
	return append(fs, userFields("170000030", 75, [5]string{"Tax number", "Segment", "Credit limit", "Contract since", "Regions"})...)
}
