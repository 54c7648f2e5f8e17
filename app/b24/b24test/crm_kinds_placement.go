package b24test

import (
	"slices"
	"strconv"
	"strings"
)

// typePlacementKinds are the card placements each estimate, smart invoice
// and smart-process type has
// (https://apidocs.bitrix24.com/api-reference/widgets/crm/detail-tab.html).
var typePlacementKinds = []string{"DETAIL_TAB", "DETAIL_TOOLBAR", "LIST_MENU", "DETAIL_ACTIVITY"}

// typePlacements are the placements of the types beyond the legacy four:
// CRM_QUOTE_…, CRM_SMART_INVOICE_… and CRM_DYNAMIC_{entityTypeId}_… of the
// portal's smart processes.
func (p *Portal) typePlacements() []string {
	prefixes := []string{"CRM_QUOTE_", "CRM_SMART_INVOICE_"}
	p.mu.Lock()
	for _, et := range p.sortedSPAs() {
		prefixes = append(prefixes, "CRM_DYNAMIC_"+strconv.Itoa(et.id)+"_")
	}
	p.mu.Unlock()
	var out []string
	for _, pre := range prefixes {
		for _, k := range typePlacementKinds {
			out = append(out, pre+k)
		}
	}
	return out
}

// typePlacement reports whether code is one of typePlacements.
func (p *Portal) typePlacement(code string) bool {
	if !strings.HasPrefix(code, "CRM_QUOTE_") && !strings.HasPrefix(code, "CRM_SMART_INVOICE_") && !strings.HasPrefix(code, "CRM_DYNAMIC_") {
		return false
	}
	return slices.Contains(p.typePlacements(), code)
}

// placementType is the entityTypeId a CRM detail tab code names: the type
// identifier of CRM_DYNAMIC_183_DETAIL_TAB is 183; 0 for another code.
func (p *Portal) placementType(code string) int {
	for id, c := range map[int]string{1: "CRM_LEAD_DETAIL_TAB", 2: "CRM_DEAL_DETAIL_TAB", 3: "CRM_CONTACT_DETAIL_TAB", 4: "CRM_COMPANY_DETAIL_TAB", typeQuote: "CRM_QUOTE_DETAIL_TAB", typeSmartInvoice: "CRM_SMART_INVOICE_DETAIL_TAB"} {
		if c == code {
			return id
		}
	}
	rest, ok := strings.CutPrefix(code, "CRM_DYNAMIC_")
	if !ok {
		return 0
	}
	id, err := strconv.Atoi(strings.TrimSuffix(rest, "_DETAIL_TAB"))
	if err != nil || !strings.HasSuffix(rest, "_DETAIL_TAB") || p.crmTypeLocked(id) == nil {
		return 0
	}
	return id
}
