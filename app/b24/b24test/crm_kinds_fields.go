package b24test

import (
	"regexp"
	"strconv"
	"strings"
)

// ufItemName is the crm.item name of a user field
// (https://apidocs.bitrix24.com/api-reference/crm/universal/index.html):
// UF_CRM_{n}_{POSTFIX} becomes ufCrm{n}{Postfix} when the postfix is only
// letters (words joined), ufCrm{n}_{digits} when it is only digits, and
// otherwise only UF_CRM_ turns into ufCrm_. A name another field already
// has keeps its UPPER_CASE form.
func ufItemName(upper string, taken map[string]bool) string {
	name := "ufCrm_" + strings.TrimPrefix(upper, "UF_CRM_")
	if m := ufDigits.FindStringSubmatch(upper); m != nil {
		name = "ufCrm" + m[1] + "_" + m[2]
	} else if m := ufLetters.FindStringSubmatch(upper); m != nil {
		name = "ufCrm" + m[1]
		for _, w := range strings.Split(m[2], "_") {
			name += w[:1] + strings.ToLower(w[1:])
		}
	}
	if taken[name] {
		return upper
	}
	return name
}

var (
	ufDigits  = regexp.MustCompile(`^UF_CRM_(\d+)_(\d+)$`)
	ufLetters = regexp.MustCompile(`^UF_CRM_(\d+)_([A-Z]+(?:_[A-Z]+)*)$`)
)

// newKindType builds a type of crm.item only: fields keep their
// UPPER_CASE name (upperName) and get their crm.item name explicitly or by
// the rules of ufItemName.
func newKindType(id int, name string, kind *typeKind, fields []*field) *entityType {
	taken := map[string]bool{}
	for _, f := range fields {
		if !f.uf {
			if f.item == "" {
				f.item = itemName(f.name)
			}
			taken[f.item] = true
		}
	}
	for _, f := range fields {
		if f.uf {
			f.item = ufItemName(f.name, taken)
			taken[f.item] = true
		}
	}
	et := newEntityType(id, name, false, fields)
	et.kind = kind
	return et
}

// as names a field's crm.item form.
func as(item string, f *field) *field { f.item = item; return f }

// Flags of a smart process (crm.type is*Enabled) that shape its fields.
const (
	flagCategories  = "isCategoriesEnabled"
	flagStages      = "isStagesEnabled"
	flagDates       = "isBeginCloseDatesEnabled"
	flagClient      = "isClientEnabled"
	flagProducts    = "isLinkWithProductsEnabled"
	flagMyCompany   = "isMycompanyEnabled"
	flagSource      = "isSourceEnabled"
	flagObservers   = "isObserversEnabled"
	flagUseInUF     = "isUseInUserfieldEnabled"
	flagDocuments   = "isDocumentsEnabled"
	flagRecycle     = "isRecyclebinEnabled"
	flagAutomation  = "isAutomationEnabled"
	flagBizProc     = "isBizProcEnabled"
	flagOpenPerms   = "isSetOpenPermissions"
	flagPayments    = "isPaymentsEnabled"
	flagCounters    = "isCountersEnabled"
	stageFieldTitle = "Stage"
)

// typeFlags are the is*Enabled switches in the order crm.type lists them.
var typeFlags = []string{flagCategories, flagStages, flagDates, flagClient, flagUseInUF, flagProducts, flagMyCompany, flagDocuments, flagSource, flagObservers, flagRecycle, flagAutomation, flagBizProc, flagOpenPerms, flagPayments, flagCounters}

// dynamicFields are the standard fields of a smart process or smart
// invoice, as crm.item.fields lists them for the switches that are on
// (https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-fields.html).
func dynamicFields(etID int, k *typeKind) []*field {
	on := func(flag string) bool { return k.flags[flag] }
	statusType := ""
	if pl := defaultPipelineOf(k); pl != nil {
		statusType = stageEntity(etID, pl.id)
	}
	fs := []*field{
		as("id", ro(fld("ID", "integer", "ID", genID))),
		as("xmlId", fld("XML_ID", "string", "External ID", genEmpty)),
		as("title", fld("TITLE", "string", "Name", genKindTitle(k))),
		as("createdBy", ro(fld("CREATED_BY", "user", "Created by", genUser(2)))),
		as("updatedBy", ro(fld("UPDATED_BY", "user", "Updated by", genUser(3)))),
		as("movedBy", ro(fld("MOVED_BY", "user", "Modified by", genUser(9)))),
		as("createdTime", ro(fld("CREATED_TIME", "datetime", "Created on", genCreated))),
		as("updatedTime", ro(fld("UPDATED_TIME", "datetime", "Updated on", genModified))),
		as("movedTime", ro(fld("MOVED_TIME", "datetime", "Modified on", genMoved))),
		as("categoryId", fld("CATEGORY_ID", "crm_category", "Pipeline", genKindCategory(k))),
		as("opened", fld("OPENED", "char", "Available to everyone", genYN(0, 80))),
	}
	if on(flagStages) {
		fs = append(fs,
			as("stageId", status("STAGE_ID", statusType, stageFieldTitle, genKindStage(k))),
			as("previousStageId", ro(status("PREVIOUS_STAGE_ID", statusType, "Previous stage", genEmpty))),
		)
	}
	if on(flagDates) {
		fs = append(fs, as("begindate", fld("BEGINDATE", "date", "Start date", genBeginDate)), as("closedate", fld("CLOSEDATE", "date", "Finish date", genCloseDate)))
	}
	if on(flagClient) {
		fs = append(fs,
			as("companyId", parent(fld("COMPANY_ID", "crm_company", "Company", genRef(7, 4)), 4)),
			as("contactId", deprecated(fld("CONTACT_ID", "crm_contact", "Contact", genRef(8, 3)))),
			as("contactIds", multi(fld("CONTACT_IDS", "crm_contact", "Contacts", genRefs(8, 3)))),
		)
	}
	if on(flagProducts) {
		fs = append(fs,
			as("opportunity", fld("OPPORTUNITY", "double", "Amount", kindAmount)),
			as("isManualOpportunity", fld("IS_MANUAL_OPPORTUNITY", "char", "Manual amount", kindManual)),
			as("taxValue", fld("TAX_VALUE", "double", "Tax", genRowsTax(kindAmount, kindManual, genTax))),
			as("currencyId", fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency)),
		)
	}
	if on(flagMyCompany) {
		fs = append(fs, as("mycompanyId", fld("MYCOMPANY_ID", "crm_company", "Your company details", genEmpty)))
	}
	if on(flagSource) {
		fs = append(fs, as("sourceId", status("SOURCE_ID", "SOURCE", "Source", genPick(4, sourceIDs))), as("sourceDescription", fld("SOURCE_DESCRIPTION", "string", "Source information", genEmpty)))
	}
	fs = append(fs, as("assignedById", fld("ASSIGNED_BY_ID", "user", "Responsible person", genUser(1))))
	if on(flagObservers) {
		fs = append(fs, as("observers", multi(fld("OBSERVERS", "user", "Observers", genObservers))))
	}
	fs = append(fs,
		as("webformId", fld("WEBFORM_ID", "integer", "Created by CRM form", genEmpty)),
		as("lastActivityBy", ro(fld("LAST_ACTIVITY_BY", "user", "Last activity by", genUser(17)))),
		as("lastActivityTime", ro(fld("LAST_ACTIVITY_TIME", "datetime", "Last activity", genLastActivity))),
	)
	for i, pt := range k.parents {
		f := fld("PARENT_ID_"+strconv.Itoa(pt), "crm_entity", parentTitle(pt), genRef(700+uint64(i), pt))
		fs = append(fs, as("parentId"+strconv.Itoa(pt), parent(f, pt)))
	}
	return fs
}

// parentTitle is the title of a parentId{N} field: the parent type's name.
func parentTitle(entityTypeID int) string {
	if t, ok := map[int]string{1: "Lead", 2: "Deal", 3: "Contact", 4: "Company", typeQuote: "Estimate", typeSmartInvoice: "Invoice"}[entityTypeID]; ok {
		return t
	}
	return "Parent"
}

func defaultPipelineOf(k *typeKind) *pipeline {
	for _, pl := range k.pipelines {
		if pl.isDefault {
			return pl
		}
	}
	return nil
}

// spaUserFields are the seeded user fields of smart process n (its crm.type
// id), one of each kind: their names show every naming rule.
func spaUserFields(n int) []*field {
	p := "UF_CRM_" + strconv.Itoa(n) + "_"
	items := make([]enumItem, 3)
	for i, v := range []string{"Low", "Medium", "High"} {
		items[i] = enumItem{id: strconv.Itoa(1000 + n*10 + i), value: v}
	}
	return []*field{
		{name: p + "CONTRACT", typ: "string", uf: true, label: "Contract", gen: genUFString},
		{name: p + "1747309727", typ: "double", uf: true, label: "Score", gen: genUFDouble},
		{name: p + "PRIORITY", typ: "enumeration", uf: true, label: "Priority", items: items, gen: genUFEnum(items)},
		{name: p + "BUDGET", typ: "money", uf: true, label: "Budget", gen: genUFMoney},
		{name: p + "DUE_DATE", typ: "date", uf: true, label: "Due date", gen: genUFDate},
		{name: p + "TAGS", typ: "string", uf: true, multiple: true, label: "Tags", gen: genUFTags},
		{name: p + "FILE1", typ: "file", uf: true, label: "Attachment", gen: genUFFile},
		{name: p + "LINK", typ: "crm", uf: true, label: "Related deal", gen: genUFCRM},
	}
}

// newQuoteType is the estimate (7): one status dictionary, no pipelines
// (https://apidocs.bitrix24.com/api-reference/crm/quote/index.html).
func newQuoteType() *entityType {
	k := &typeKind{title: "Estimate", statusEntity: "QUOTE_STATUS"}
	fs := []*field{
		ro(fld("ID", "integer", "ID", genID)),
		fld("TITLE", "string", "Name", genQuoteTitle),
		as("number", fld("QUOTE_NUMBER", "string", "Estimate #", genQuoteNumber)),
		as("stageId", status("STATUS_ID", "QUOTE_STATUS", "Status", genPick(80, quoteStatusIDs))),
		fld("OPPORTUNITY", "double", "Amount", quoteAmount),
		fld("IS_MANUAL_OPPORTUNITY", "char", "Manual amount", kindManual),
		fld("TAX_VALUE", "double", "Tax", genRowsTax(quoteAmount, kindManual, genTax)),
		fld("CURRENCY_ID", "crm_currency", "Currency", genCurrency),
		parent(fld("COMPANY_ID", "crm_company", "Company", genRef(7, 4)), 4),
		deprecated(fld("CONTACT_ID", "crm_contact", "Contact", genRef(8, 3))),
		multi(fld("CONTACT_IDS", "crm_contact", "Contacts", genRefs(8, 3))),
		parent(fld("DEAL_ID", "crm_deal", "Deal", genRef(81, 2)), 2),
		parent(fld("LEAD_ID", "crm_lead", "Lead", genRef(10, 1)), 1),
		fld("MYCOMPANY_ID", "crm_company", "Your company details", genEmpty),
		fld("BEGINDATE", "date", "Date", genBeginDate),
		fld("CLOSEDATE", "date", "Expiration date", genCloseDate),
		fld("ACTUAL_DATE", "date", "Valid until", genCloseDate),
		fld("OPENED", "char", "Available to everyone", genYN(0, 80)),
		ro(fld("CLOSED", "char", "Closed", genQuoteClosed)),
		fld("COMMENTS", "string", "Comment", genComment),
		fld("CONTENT", "string", "Content", genEmpty),
		fld("TERMS", "string", "Terms", genEmpty),
	}
	fs = append(fs, audit("Responsible person")...)
	fs = append(fs, created()...)
	fs = append(fs,
		&field{name: "UF_CRM_1700000040", typ: "string", uf: true, label: "Delivery terms", gen: genUFString},
		&field{name: "UF_CRM_1700000041", typ: "money", uf: true, label: "Discount", gen: genUFMoney},
	)
	return newKindType(typeQuote, "quote", k, fs)
}

var quoteStatusIDs = []string{"DRAFT", "SENT", "RECEIVED", "APPROVED", "DECLAINED"}

// newSmartInvoiceType is the new invoice (31): one pipeline, links to a
// deal (parentId2) and an estimate (parentId7)
// (https://apidocs.bitrix24.com/api-reference/crm/universal/invoice.html).
func newSmartInvoiceType() *entityType {
	k := &typeKind{title: "Invoices", code: "SMART_INVOICE", parents: []int{2, typeQuote}, flags: map[string]bool{
		flagCategories: false, flagStages: true, flagDates: true, flagClient: true, flagProducts: true,
		flagMyCompany: true, flagSource: true, flagObservers: true, flagDocuments: true, flagRecycle: true,
		flagAutomation: true, flagBizProc: true, flagPayments: true,
	}}
	k.pipelines = []*pipeline{newPipeline(typeSmartInvoice, smartInvoiceCategory, "Invoices", true, invoiceStages...)}
	fs := dynamicFields(typeSmartInvoice, k)
	fs = append(fs,
		as("accountNumber", fld("ACCOUNT_NUMBER", "string", "Invoice #", genInvoiceNumber)),
		as("comments", fld("COMMENTS", "string", "Comment", genComment)),
		&field{name: "UF_CRM_SMART_INVOICE_1700000050", typ: "string", uf: true, label: "PO number", gen: genUFString},
		&field{name: "UF_CRM_SMART_INVOICE_1700000051", typ: "file", uf: true, label: "Signed invoice", gen: genUFFile},
	)
	return newKindType(typeSmartInvoice, "smart_invoice", k, fs)
}

// newSPAType builds a smart process with entityTypeId id from its
// switches and user fields.
func newSPAType(id int, k *typeKind, ufs []*field) *entityType {
	fs := append(dynamicFields(id, k), ufs...)
	et := newKindType(id, "dynamic_"+strconv.Itoa(id), k, fs)
	et.upper = "DYNAMIC_" + strconv.Itoa(id)
	et.ufEntity = "CRM_" + strconv.Itoa(k.settingsID)
	return et
}
