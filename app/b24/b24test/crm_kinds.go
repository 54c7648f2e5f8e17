package b24test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// typeKind is what a type reached only through crm.item.* carries beyond
// its fields: estimates (7), smart invoices (31) and smart processes
// (https://apidocs.bitrix24.com/api-reference/crm/universal/index.html).
// Lead, deal, contact and company have none.
type typeKind struct {
	settingsID int    // crm.type id of a smart process; 0 otherwise
	title      string // the type's name
	code       string // crm.type code
	flags      map[string]bool
	parents    []int       // entityTypeIds this type links to through parentId{N}
	ufs        []*ufConfig // user fields of a smart process
	pipelines  []*pipeline
	// statusEntity is the one stage dictionary of a type without
	// pipelines (QUOTE_STATUS).
	statusEntity string
	createdBy    int
	createdTime  string
	updatedBy    int
	updatedTime  string
}

// pipeline is one category of a type with its stages.
type pipeline struct {
	id        int
	name      string
	sort      int
	isDefault bool
	stages    []statusEntry
}

// dynamic reports whether the type's item events are ONCRMDYNAMICITEM*:
// smart invoices and smart processes.
func (k *typeKind) dynamic(entityTypeID int) bool {
	return entityTypeID == typeSmartInvoice || k.settingsID != 0
}

const (
	typeQuote        = 7
	typeSmartInvoice = 31
)

// universalTypes are the built-in types other than the legacy four,
// shared by every portal.
var universalTypes = map[int]*entityType{
	typeQuote:        newQuoteType(),
	typeSmartInvoice: newSmartInvoiceType(),
}

// crmType finds a type by entityTypeId: lead, deal, contact and company,
// estimates and smart invoices are shared by every portal; a smart process
// belongs to one. Every "which type is this" of the emulator goes through
// here. p.mu must be held.
func (p *Portal) crmType(entityTypeID int) *entityType {
	if et := entityTypes[entityTypeID]; et != nil {
		return et
	}
	if et := universalTypes[entityTypeID]; et != nil {
		return et
	}
	return p.spas[entityTypeID]
}

// crmTypeLocked is crmType for a caller that does not hold p.mu.
func (p *Portal) crmTypeLocked(entityTypeID int) *entityType {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crmType(entityTypeID)
}

// shortCode is the type's short code (ownerType, link prefix): L, D, C,
// CO, Q, SI, or T and the hex entityTypeId of a smart process (128 → T80).
func shortCode(entityTypeID int) string {
	switch entityTypeID {
	case 1:
		return "L"
	case 2:
		return "D"
	case 3:
		return "C"
	case 4:
		return "CO"
	case 5:
		return "I"
	case typeQuote:
		return "Q"
	case typeSmartInvoice:
		return "SI"
	}
	return "T" + strconv.FormatInt(int64(entityTypeID), 16)
}

// entityByName finds a type by the name the Go and control API take:
// deal, lead, contact, company, quote, smart_invoice, dynamic_{entityTypeId},
// or an entityTypeId.
func (p *Portal) entityByName(entity string) (*entityType, error) {
	if et := entityTypeByName(entity); et != nil {
		return et, nil
	}
	id, err := strconv.Atoi(strings.TrimPrefix(entity, "dynamic_"))
	if err != nil {
		for n, et := range universalTypes {
			if et.name == entity {
				id = n
			}
		}
	}
	et := p.crmTypeLocked(id)
	spa := et != nil && et.kind != nil && et.kind.settingsID != 0
	if et != nil && (spa || !strings.HasPrefix(entity, "dynamic_")) {
		return et, nil
	}
	return nil, fmt.Errorf("b24test: unknown entity %q (want deal, lead, contact, company, quote, smart_invoice or dynamic_{entityTypeId})", entity)
}

// crmTypeByCode finds a type by its short code (ownerType of product rows,
// the prefix of CRM-link values: D, Q, SI, T80); p.mu must be held.
func (p *Portal) crmTypeByCode(code string) *entityType {
	for _, id := range []int{1, 2, 3, 4, typeQuote, typeSmartInvoice} {
		if shortCode(id) == code {
			return p.crmType(id)
		}
	}
	hex, ok := strings.CutPrefix(code, "T")
	if !ok || hex != strings.ToLower(hex) {
		return nil
	}
	id, err := strconv.ParseInt(hex, 16, 32)
	if err != nil || shortCode(int(id)) != code {
		return nil
	}
	return p.crmType(int(id))
}

// typeName is entityTypeName: LEAD … QUOTE, SMART_INVOICE, DYNAMIC_{id}.
func typeName(et *entityType) string {
	if et.kind != nil && et.kind.settingsID != 0 {
		return "DYNAMIC_" + strconv.Itoa(et.id)
	}
	return et.upper
}

// stageEntity is the crm.status ENTITY_ID of a pipeline's stages.
func stageEntity(entityTypeID, category int) string {
	switch entityTypeID {
	case 2:
		if category == 0 {
			return "DEAL_STAGE"
		}
		return "DEAL_STAGE_" + strconv.Itoa(category)
	case typeQuote:
		return "QUOTE_STATUS"
	case typeSmartInvoice:
		return "SMART_INVOICE_STAGE_" + strconv.Itoa(category)
	}
	return "DYNAMIC_" + strconv.Itoa(entityTypeID) + "_STAGE_" + strconv.Itoa(category)
}

// stagePrefix is the PREFIX of a pipeline's stage ids: DT31_3,
// DT128_10.
func stagePrefix(entityTypeID, category int) string {
	return "DT" + strconv.Itoa(entityTypeID) + "_" + strconv.Itoa(category)
}

// newPipeline builds a pipeline of a smart process or smart invoice
// from stage codes: the success and failure codes are marked.
func newPipeline(entityTypeID, id int, name string, isDefault bool, spec ...string) *pipeline {
	entity, prefix := stageEntity(entityTypeID, id), stagePrefix(entityTypeID, id)+":"
	colors := []string{"#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#7BD500", "#FF5752"}
	pl := &pipeline{id: id, name: name, sort: 500, isDefault: isDefault}
	for i := 0; i+1 < len(spec); i += 2 {
		code := spec[i]
		sem := ""
		switch code {
		case "SUCCESS", "P":
			sem = "S"
		case "FAIL", "D":
			sem = "F"
		}
		pl.stages = append(pl.stages, statusEntry{
			entityID: entity, statusID: prefix + code, name: spec[i+1], sort: (i/2 + 1) * 10,
			semantics: sem, category: id, color: colors[(i/2)%len(colors)], system: i == 0 || sem != "",
		})
	}
	return pl
}

// spaStages are the stages a new smart-process pipeline gets.
var spaStages = []string{"NEW", "Start", "PREPARATION", "Preparation", "CLIENT", "Client approval", "SUCCESS", "Success", "FAIL", "Fail"}

// invoiceStages are the smart invoice's stages.
var invoiceStages = []string{"N", "New", "S", "Sent", "P", "Paid", "D", "Unpaid"}

// quoteStatuses are the estimate's statuses (QUOTE_STATUS).
func quoteStatuses() []statusEntry {
	out := simpleStatuses("QUOTE_STATUS", "DRAFT", "New", "SENT", "Sent to client", "RECEIVED", "Received", "APPROVED", "Approved", "DECLAINED", "Declined")
	out[3].semantics, out[4].semantics = "S", "F"
	for i := range out {
		out[i].system = i == 0 || out[i].semantics != ""
	}
	return out
}

// smartInvoiceCategory is the id of the smart invoices' one pipeline;
// category ids are shared by every type, and deals hold 0–2.
const smartInvoiceCategory = 3

// pipelineOf finds a pipeline of a type; ok is false for a type without
// pipelines or an unknown id.
func pipelineOf(et *entityType, category int) (*pipeline, bool) {
	if et.kind == nil {
		return nil, false
	}
	for _, pl := range et.kind.pipelines {
		if pl.id == category {
			return pl, true
		}
	}
	return nil, false
}

// defaultPipeline is the type's default pipeline, or nil.
func defaultPipeline(et *entityType) *pipeline {
	if et.kind == nil {
		return nil
	}
	for _, pl := range et.kind.pipelines {
		if pl.isDefault {
			return pl
		}
	}
	return nil
}

// kindStages are every stage of the type, in pipeline order.
func kindStages(et *entityType) []statusEntry {
	if et.kind == nil {
		return nil
	}
	if et.kind.statusEntity == "QUOTE_STATUS" {
		return quoteStatuses()
	}
	var out []statusEntry
	for _, pl := range et.kind.pipelines {
		out = append(out, pl.stages...)
	}
	return out
}

// kindSemantic is the stageSemanticId (P, S, F) of a stage of the type.
func kindSemantic(et *entityType, stageID string) string {
	for _, s := range kindStages(et) {
		if s.statusID == stageID && s.semantics != "" {
			return s.semantics
		}
	}
	return "P"
}

// portalStatuses are the crm.status.list rows of a portal: the shared
// dictionaries, then those of estimates, smart invoices and the portal's
// smart processes. p.mu must be held.
func (p *Portal) portalStatuses() []statusEntry {
	out := append([]statusEntry(nil), allStatuses...)
	out = append(out, kindStages(universalTypes[typeQuote])...)
	out = append(out, kindStages(universalTypes[typeSmartInvoice])...)
	for _, et := range p.sortedSPAs() {
		out = append(out, kindStages(et)...)
	}
	return out
}

// sortedSPAs are the portal's smart processes by entityTypeId; p.mu held.
func (p *Portal) sortedSPAs() []*entityType {
	out := make([]*entityType, 0, len(p.spas))
	for _, et := range p.spas {
		out = append(out, et)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out
}

// isStageEntity reports whether a crm.status ENTITY_ID is a pipeline's
// stages (deal, smart invoice, smart process) or the estimate statuses,
// whose rows carry CATEGORY_ID, COLOR and SEMANTICS.
func isStageEntity(entity string) bool {
	return entity == "DEAL_STAGE" || strings.HasPrefix(entity, "DEAL_STAGE_") || entity == "QUOTE_STATUS" ||
		strings.HasPrefix(entity, "SMART_INVOICE_STAGE_") || strings.HasPrefix(entity, "DYNAMIC_") && strings.Contains(entity, "_STAGE_")
}
