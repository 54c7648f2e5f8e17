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
	got      []*field          // the fields crm.X.get returns
	byName   map[string]*field // legacy UPPER_CASE name
	byItem   map[string]*field // crm.item camelCase name
	hasFM    bool              // has PHONE, EMAIL, WEB, IM and LINK multifields
	kind     *typeKind         // estimates, smart invoices, smart processes; nil for the legacy four
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
	deprecated bool
	unlisted   bool // described and written, but not returned by get or list
	parentType int  // settings.parentEntityTypeId of a link field
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

// fmValue is one value of a multifield (phone, e-mail, website,
// messenger, link).
type fmValue struct {
	id        string
	valueType string
	value     string
	typeID    string
}

// typed reports whether crm.item returns the field as a number.
func (f *field) numeric() bool {
	switch f.typ {
	case "integer", "user", "crm_category", "crm_company", "crm_contact", "crm_lead", "crm_quote", "double", "crm_deal", "crm_entity":
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

	"STATUS_SEMANTIC_ID": "stageSemanticId",
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
		if !f.unlisted {
			et.got = append(et.got, f)
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

func deprecated(f *field) *field { f.deprecated = true; return f }

func multi(f *field) *field { f.multiple = true; return f }

// links is the multiple link list (CONTACT_IDS, COMPANY_IDS, a company's
// CONTACT_ID) that crm.X.fields describes and add/update take, but that the
// crm.X.get examples do not return; crm.item returns it.
func links(f *field) *field { f.multiple, f.unlisted = true, true; return f }

func parent(f *field, entityTypeID int) *field { f.parentType = entityTypeID; return f }

func fld(name, typ, title string, gen genFunc) *field {
	return &field{name: name, typ: typ, title: title, gen: gen}
}

func status(name, statusType, title string, gen genFunc) *field {
	return &field{name: name, typ: "crm_status", statusType: statusType, title: title, gen: gen}
}

// audit are the ownership and audit fields every type carries.
func audit(responsible string) []*field {
	return []*field{
		fld("ASSIGNED_BY_ID", "user", responsible, genUser(1)),
		ro(fld("CREATED_BY_ID", "user", "Created By", genUser(2))),
		ro(fld("MODIFY_BY_ID", "user", "Modified By", genUser(3))),
	}
}

func created() []*field {
	return []*field{
		ro(fld("DATE_CREATE", "datetime", "Creation Date", genCreated)),
		ro(fld("DATE_MODIFY", "datetime", "Modification Date", genModified)),
	}
}

// address are the nine keys of an address block; prefix is "ADDRESS" or
// "REG_ADDRESS", titles the nine titles in order.
func address(prefix string, titles [9]string, filled bool) []*field {
	suffixes := [9]string{"", "_2", "_CITY", "_POSTAL_CODE", "_REGION", "_PROVINCE", "_COUNTRY", "_COUNTRY_CODE", "_LOC_ADDR_ID"}
	fs := make([]*field, len(suffixes))
	for i, sfx := range suffixes {
		gen, typ := genEmpty, "string"
		if filled {
			gen = genAddress(i)
		}
		if sfx == "_LOC_ADDR_ID" {
			typ = "integer"
		}
		fs[i] = fld(prefix+sfx, typ, titles[i], gen)
	}
	return fs
}

var (
	personAddress  = [9]string{"Address", "Address (Line 2)", "City", "Postal Code", "Region", "Province", "Country", "Country Code", "Location Address ID"}
	companyAddress = [9]string{"Physical Address", "Address (line 2)", "City", "Postal Code", "Region", "Province", "Country", "Country Code", "Location Address ID"}
	legalAddress   = [9]string{"Legal Address", "Legal Address (line 2)", "Legal Address City", "Legal Address Postal Code", "Legal Address Region", "Legal Address Province", "Legal Address Country", "Legal Address Country Code", "Legal Address Location ID"}
)

// origin are the external-source and UTM fields every type carries.
func origin() []*field {
	return []*field{
		fld("ORIGINATOR_ID", "string", "External Source", genOriginator),
		fld("ORIGIN_ID", "string", "Identifier in External Source", genOriginID),
	}
}

func utm() []*field {
	return []*field{
		fld("UTM_SOURCE", "string", "Advertising System", genUTM(0)),
		fld("UTM_MEDIUM", "string", "Traffic Type", genUTM(1)),
		fld("UTM_CAMPAIGN", "string", "Campaign Identifier", genUTM(2)),
		fld("UTM_CONTENT", "string", "Campaign Content", genUTM(3)),
		fld("UTM_TERM", "string", "Campaign Search Term", genUTM(4)),
	}
}

func lastActivity(readOnly bool) []*field {
	fs := []*field{
		fld("LAST_ACTIVITY_TIME", "datetime", "Last Activity", genLastActivity),
		fld("LAST_ACTIVITY_BY", "user", "Last Activity By", genUser(17)),
	}
	for _, f := range fs {
		f.readOnly = readOnly
	}
	return fs
}

// communication are the derived HAS_* flags; multifields the five
// multifield kinds.
func communication() []*field {
	return []*field{
		ro(fld("HAS_PHONE", "char", "Phone Set", genHas("PHONE"))),
		ro(fld("HAS_EMAIL", "char", "E-mail Set", genHas("EMAIL"))),
		ro(fld("HAS_IMOL", "char", "Open Line Set", genHas("IMOL"))),
	}
}

func multifields() []*field {
	return []*field{
		multi(fld("PHONE", "crm_multifield", "Phone", genPhones)),
		multi(fld("EMAIL", "crm_multifield", "E-mail", genEmails)),
		multi(fld("WEB", "crm_multifield", "Website", genWebs)),
		multi(fld("IM", "crm_multifield", "Messenger", genIMs)),
		multi(fld("LINK", "crm_multifield", "LINK", genFMNone)),
	}
}

// multifieldKinds are the TYPE_ID values of multifields.
var multifieldKinds = []string{"PHONE", "EMAIL", "WEB", "IM", "LINK"}

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

// The standard field sets follow the crm.*.fields examples
// (https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-fields.html
// and the lead, contact and company pages), in their order.

func dealFields() []*field {
	// TAX_VALUE is the tax in the generated product rows, which follow the amount.
	amount, manual := genMoney(100, 500000), genYN(6, 30)
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Title", genDealTitle),
		status("TYPE_ID", "DEAL_TYPE", "Type", genPick(5, dealTypeIDs)),
		{name: "CATEGORY_ID", typ: "crm_category", title: "Sales Funnel", immutable: true, gen: genCategory},
		{name: "STAGE_ID", typ: "crm_status", statusType: "DEAL_STAGE", title: "Deal Stage", gen: genStage},
		ro(fld("STAGE_SEMANTIC_ID", "string", "Stage Group", genSemantic)),
		ro(fld("IS_NEW", "char", "New Deal", genIsNew)),
		fld("IS_RECURRING", "char", "Recurring Deal", genYN(18, 0)),
		fld("IS_RETURN_CUSTOMER", "char", "Repeat Deal", genYN(19, 20)),
		fld("IS_REPEATED_APPROACH", "char", "Repeated Approach", genYN(20, 5)),
		fld("PROBABILITY", "integer", "Probability", genProbability),
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
		fld("OPPORTUNITY", "double", "Amount", amount),
		fld("IS_MANUAL_OPPORTUNITY", "char", "IS_MANUAL_OPPORTUNITY", manual),
		fld("TAX_VALUE", "double", "Tax Rate", genRowsTax(amount, manual, genTax)),
		parent(fld("COMPANY_ID", "crm_company", "Company", genRef(7, 4)), 4),
		deprecated(fld("CONTACT_ID", "crm_contact", "Contact", genRef(8, 3))),
		links(fld("CONTACT_IDS", "crm_contact", "Contacts", genLinks(8, 3))),
		parent(ro(fld("QUOTE_ID", "crm_quote", "Estimate", genEmpty)), 7),
		fld("BEGINDATE", "date", "Start Date", genBeginDate),
		fld("CLOSEDATE", "date", "Close Date", genCloseDate),
		fld("OPENED", "char", "Available to All", genYN(0, 80)),
		fld("CLOSED", "char", "Closed", genClosed),
		fld("COMMENTS", "string", "Comment", genComment),
	}
	fs = append(fs, audit("Responsible")...)
	fs = append(fs, ro(fld("MOVED_BY_ID", "user", "MOVED_BY_ID", genUser(9))))
	fs = append(fs, created()...)
	fs = append(fs,
		ro(fld("MOVED_TIME", "datetime", "MOVED_TIME", genMoved)),
		status("SOURCE_ID", "SOURCE", "Source", genPick(4, sourceIDs)),
		fld("SOURCE_DESCRIPTION", "string", "Additional Info about Source", genEmpty),
		parent(ro(fld("LEAD_ID", "crm_lead", "Lead", genRef(10, 1))), 1),
		fld("ADDITIONAL_INFO", "string", "Additional Information", genEmpty),
		fld("LOCATION_ID", "location", "Location", genEmpty),
	)
	fs = append(fs, origin()...)
	fs = append(fs, utm()...)
	fs = append(fs, lastActivity(true)...)
	fs = append(fs, userFields("170000000", 45, [5]string{"Delivery address", "Priority", "Margin", "Contract date", "Tags"})...)
	return append(fs, fileFields("170000000", "Signed contract", "Attachments")...)
}

func leadFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Lead Title", genLeadTitle),
		status("HONORIFIC", "HONORIFIC", "Salutation", genHonorific),
		fld("NAME", "string", "First Name", genFirstName),
		fld("SECOND_NAME", "string", "Middle Name", genEmpty),
		fld("LAST_NAME", "string", "Last Name", genLastName),
		fld("BIRTHDATE", "date", "Birthdate", genBirthdate),
		fld("COMPANY_TITLE", "string", "Company Name", genCompanyTitle),
		status("SOURCE_ID", "SOURCE", "Source", genPick(4, sourceIDs)),
		fld("SOURCE_DESCRIPTION", "string", "Source Description", genEmpty),
		status("STATUS_ID", "STATUS", "Stage", genPick(11, leadStatusIDs)),
		fld("STATUS_DESCRIPTION", "string", "Stage Description", genEmpty),
		ro(fld("STATUS_SEMANTIC_ID", "string", "Status Semantic", genLeadSemantic)),
		fld("POST", "string", "Position", genPost),
	}
	fs = append(fs, address("ADDRESS", personAddress, true)...)
	fs = append(fs,
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
		fld("OPPORTUNITY", "double", "Amount", genMoney(50, 100000)),
		fld("IS_MANUAL_OPPORTUNITY", "char", "IS_MANUAL_OPPORTUNITY", genYN(6, 30)),
		fld("OPENED", "char", "Available to All", genYN(0, 80)),
		fld("COMMENTS", "string", "Comments", genComment),
	)
	fs = append(fs, communication()...)
	fs = append(fs, audit("Responsible User")...)
	fs = append(fs, ro(fld("MOVED_BY_ID", "user", "MOVED_BY_ID", genUser(9))))
	fs = append(fs, created()...)
	fs = append(fs,
		ro(fld("MOVED_TIME", "datetime", "MOVED_TIME", genMoved)),
		parent(fld("COMPANY_ID", "crm_company", "Company", genRef(13, 4)), 4),
		deprecated(fld("CONTACT_ID", "crm_contact", "Contact", genRef(8, 3))),
		links(fld("CONTACT_IDS", "crm_contact", "CONTACT_IDS", genLinks(8, 3))),
		ro(fld("IS_RETURN_CUSTOMER", "char", "Returning Lead", genYN(19, 10))),
		ro(fld("DATE_CLOSED", "datetime", "Closing Date", genLeadClosed)),
	)
	fs = append(fs, origin()...)
	fs = append(fs, utm()...)
	fs = append(fs, lastActivity(true)...)
	fs = append(fs, multifields()...)
	return append(fs, userFields("170000010", 55, [5]string{"Campaign", "Temperature", "Budget", "Callback date", "Interests"})...)
}

func contactFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		status("HONORIFIC", "HONORIFIC", "Salutation", genHonorific),
		fld("NAME", "string", "First Name", genFirstName),
		fld("SECOND_NAME", "string", "Middle Name", genEmpty),
		fld("LAST_NAME", "string", "Last Name", genLastName),
		fld("PHOTO", "file", "Photo", genEmpty),
		fld("BIRTHDATE", "date", "Birthdate", genBirthdate),
		status("TYPE_ID", "CONTACT_TYPE", "Contact Type", genPick(12, contactTypeIDs)),
		status("SOURCE_ID", "SOURCE", "Source", genPick(4, sourceIDs)),
		fld("SOURCE_DESCRIPTION", "string", "Additional Source Information", genEmpty),
		fld("POST", "string", "Position", genPost),
	}
	fs = append(fs, address("ADDRESS", personAddress, true)...)
	fs = append(fs,
		fld("COMMENTS", "string", "Comment", genComment),
		fld("OPENED", "char", "Available to All", genYN(0, 80)),
		fld("EXPORT", "char", "Participates in Contact Export", genYN(21, 90)),
	)
	fs = append(fs, communication()...)
	fs = append(fs, audit("Responsible Person")...)
	fs = append(fs, created()...)
	fs = append(fs,
		deprecated(fld("COMPANY_ID", "crm_company", "Company", genContactCompany)),
		links(fld("COMPANY_IDS", "crm_company", "COMPANY_IDS", genContactCompanies)),
		parent(ro(fld("LEAD_ID", "crm_lead", "Lead", genRef(10, 1))), 1),
	)
	fs = append(fs, origin()...)
	fs = append(fs, fld("ORIGIN_VERSION", "string", "Original Version", genEmpty))
	fs = append(fs, utm()...)
	fs = append(fs, lastActivity(true)...)
	fs = append(fs, multifields()...)
	fs = append(fs, userFields("170000020", 65, [5]string{"Preferred channel", "Loyalty", "Lifetime value", "Last meeting", "Hobbies"})...)
	return append(fs, fileFields("170000020", "Passport scan", "Documents")...)
}

func companyFields() []*field {
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Company Name", genCompanyTitle),
		status("COMPANY_TYPE", "COMPANY_TYPE", "Company Type", genPick(14, companyTypeIDs)),
		fld("LOGO", "file", "Logo", genEmpty),
	}
	fs = append(fs, address("ADDRESS", companyAddress, true)...)
	fs = append(fs, fld("ADDRESS_LEGAL", "string", "Legal Address", genEmpty))
	fs = append(fs, address("REG_ADDRESS", legalAddress, false)...)
	fs = append(fs,
		fld("BANKING_DETAILS", "string", "Banking Details", genEmpty),
		status("INDUSTRY", "INDUSTRY", "Industry", genPick(15, industryIDs)),
		status("EMPLOYEES", "EMPLOYEES", "Number of Employees", genPick(16, employeeIDs)),
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
		fld("REVENUE", "double", "Annual Revenue", genMoney(10000, 90000000)),
		fld("OPENED", "char", "Available to Everyone", genYN(0, 80)),
		fld("COMMENTS", "string", "Comment", genComment),
	)
	fs = append(fs, communication()...)
	fs = append(fs, fld("IS_MY_COMPANY", "char", "My Company", genNo))
	fs = append(fs, audit("Responsible Person")...)
	fs = append(fs, created()...)
	contacts := links(fld("CONTACT_ID", "crm_contact", "Contact", genCompanyContacts))
	contacts.item = "contactIds"
	fs = append(fs, contacts, parent(ro(fld("LEAD_ID", "crm_lead", "Lead", genRef(10, 1))), 1))
	fs = append(fs, origin()...)
	fs = append(fs, fld("ORIGIN_VERSION", "string", "Original Version", genEmpty))
	fs = append(fs, utm()...)
	fs = append(fs, lastActivity(false)...)
	fs = append(fs, ro(fld("LAST_COMMUNICATION_TIME", "string", "Last Communication Date", genLastCommunication)))
	fs = append(fs, multifields()...)
	return append(fs, userFields("170000030", 75, [5]string{"Tax number", "Segment", "Credit limit", "Contract since", "Regions"})...)
}
