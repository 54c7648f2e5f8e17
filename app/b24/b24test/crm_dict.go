package b24test

import "strconv"

// statusEntry is one row of crm.status.list.
type statusEntry struct {
	entityID  string
	statusID  string
	name      string
	sort      int
	semantics string // "" in progress, S success, F failure
	category  int
	color     string
	system    bool
}

// dealCategory is a deal pipeline.
type dealCategory struct {
	id     int
	name   string
	stages []statusEntry
}

func stages(category int, spec ...string) []statusEntry {
	entity, prefix := "DEAL_STAGE", ""
	if category > 0 {
		entity = "DEAL_STAGE_" + strconv.Itoa(category)
		prefix = "C" + strconv.Itoa(category) + ":"
	}
	colors := []string{"#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#FFA900", "#7BD500", "#FF5752", "#FF5752"}
	var out []statusEntry
	for i := 0; i+1 < len(spec); i += 2 {
		code := spec[i]
		sem := ""
		switch code {
		case "WON":
			sem = "S"
		case "LOSE", "APOLOGY":
			sem = "F"
		}
		out = append(out, statusEntry{
			entityID: entity, statusID: prefix + code, name: spec[i+1], sort: (i/2 + 1) * 10,
			semantics: sem, category: category, color: colors[(i/2)%len(colors)],
			system: code == "NEW" || code == "WON" || code == "LOSE",
		})
	}
	return out
}

// dealCategories are three pipelines: the default one and two more.
var dealCategories = []dealCategory{
	{0, "General", stages(0, "NEW", "New", "PREPARATION", "Preparing documents", "PREPAYMENT_INVOICE", "Invoice", "EXECUTING", "In progress", "FINAL_INVOICE", "Final invoice", "WON", "Deal won", "LOSE", "Deal lost", "APOLOGY", "Analyze failure")},
	{1, "Wholesale", stages(1, "NEW", "New", "PREPARATION", "Quote sent", "EXECUTING", "Shipping", "WON", "Deal won", "LOSE", "Deal lost")},
	{2, "Partners", stages(2, "NEW", "New", "NEGOTIATION", "Negotiation", "WON", "Deal won", "LOSE", "Deal lost")},
}

func simpleStatuses(entity string, spec ...string) []statusEntry {
	var out []statusEntry
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, statusEntry{entityID: entity, statusID: spec[i], name: spec[i+1], sort: (i/2 + 1) * 10})
	}
	return out
}

var (
	sourceIDs      = []string{"CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "RECOMMENDATION", "TRADE_SHOW", "OTHER"}
	dealTypeIDs    = []string{"SALE", "COMPLEX", "GOODS", "SERVICES", "SERVICE"}
	leadStatusIDs  = []string{"NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"}
	contactTypeIDs = []string{"CLIENT", "SUPPLIER", "PARTNER", "OTHER"}
	companyTypeIDs = []string{"CUSTOMER", "SUPPLIER", "COMPETITOR", "PARTNER", "OTHER"}
	industryIDs    = []string{"IT", "TELECOM", "MANUFACTURING", "BANKING", "CONSULTING", "FINANCE", "GOVERNMENT", "DELIVERY", "ENTERTAINMENT", "NOTPROFIT", "OTHER"}
	employeeIDs    = []string{"EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"}
	currencies     = []string{"USD", "EUR", "EUR", "USD", "RUB", "GBP"}
)

// statusDictionaries are every crm.status.list row, in the order Bitrix24
// lists them.
func statusDictionaries() []statusEntry {
	var all []statusEntry
	for _, c := range dealCategories {
		all = append(all, c.stages...)
	}
	all = append(all, simpleStatuses("SOURCE", "CALL", "Call", "EMAIL", "E-Mail", "WEB", "Website", "ADVERTISING", "Advertising", "PARTNER", "Existing client", "RECOMMENDATION", "By recommendation", "TRADE_SHOW", "Show/Exhibition", "OTHER", "Other")...)
	all = append(all, simpleStatuses("DEAL_TYPE", "SALE", "Sales", "COMPLEX", "Integrated sale", "GOODS", "Merchandise sale", "SERVICES", "Service sale", "SERVICE", "After-sale service")...)
	leads := simpleStatuses("STATUS", "NEW", "Unassigned", "IN_PROCESS", "In progress", "PROCESSED", "Processed", "CONVERTED", "Good lead", "JUNK", "Junk lead")
	leads[3].semantics, leads[4].semantics = "S", "F"
	all = append(all, leads...)
	all = append(all, simpleStatuses("CONTACT_TYPE", "CLIENT", "Clients", "SUPPLIER", "Suppliers", "PARTNER", "Partners", "OTHER", "Other")...)
	all = append(all, simpleStatuses("COMPANY_TYPE", "CUSTOMER", "Client", "SUPPLIER", "Supplier", "COMPETITOR", "Competitor", "PARTNER", "Partner", "OTHER", "Other")...)
	all = append(all, simpleStatuses("INDUSTRY", "IT", "Information Technology", "TELECOM", "Telecommunication", "MANUFACTURING", "Manufacturing", "BANKING", "Banking Services", "CONSULTING", "Consulting", "FINANCE", "Finance", "GOVERNMENT", "Government", "DELIVERY", "Delivery", "ENTERTAINMENT", "Entertainment", "NOTPROFIT", "Not for profit", "OTHER", "Other")...)
	all = append(all, simpleStatuses("HONORIFIC", "HNR_EN_1", "Mr.", "HNR_EN_2", "Mrs.", "HNR_EN_3", "Ms.", "HNR_EN_4", "Dr.")...)
	all = append(all, simpleStatuses("EMPLOYEES", "EMPLOYEES_1", "less than 50", "EMPLOYEES_2", "50-250", "EMPLOYEES_3", "250-500", "EMPLOYEES_4", "over 500")...)
	return all
}

var allStatuses = statusDictionaries()

func (e statusEntry) obj(id int) *obj {
	o := objOf(
		"ID", strconv.Itoa(id),
		"ENTITY_ID", e.entityID,
		"STATUS_ID", e.statusID,
		"NAME", e.name,
		"NAME_INIT", map[bool]string{true: e.name, false: ""}[e.system],
		"SORT", strconv.Itoa(e.sort),
		"SYSTEM", map[bool]string{true: "Y", false: "N"}[e.system],
	)
	if isStageEntity(e.entityID) {
		sem := e.semantics
		if sem == "" {
			sem = "process"
		} else if sem == "S" {
			sem = "success"
		} else {
			sem = "failure"
		}
		o.set("CATEGORY_ID", strconv.Itoa(e.category))
		o.set("COLOR", e.color)
		o.set("SEMANTICS", map[string]any{"S": "S", "F": "F"}[e.semantics])
		o.set("EXTRA", objOf("SEMANTICS", sem, "COLOR", e.color))
	}
	return o
}

// leadSemantic returns the STATUS_SEMANTIC_ID (P, S, F) of a lead status.
func leadSemantic(statusID string) string {
	switch statusID {
	case "CONVERTED":
		return "S"
	case "JUNK":
		return "F"
	}
	return "P"
}

// stageSemantic returns the STAGE_SEMANTIC_ID (P, S, F) of a deal stage.
func stageSemantic(stageID string) string {
	for _, c := range dealCategories {
		for _, s := range c.stages {
			if s.statusID == stageID {
				if s.semantics == "" {
					return "P"
				}
				return s.semantics
			}
		}
	}
	return "P"
}
