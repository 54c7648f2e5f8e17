package web

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/crm"
)

func TestKnownEntities(t *testing.T) {
	got, ok := crmTypesOf([]string{"company", "deal", "deal"})
	if !ok || !slices.Equal(got, []crm.Type{crm.Deal, crm.Company}) {
		t.Errorf("crmTypesOf = %v, %v; want deal, company in display order", got, ok)
	}
	for _, other := range []string{"invoice", "quote", "smart_invoice", "dynamic_156", "7"} {
		if _, ok := crmTypesOf([]string{"deal", other}); ok {
			t.Errorf("%q, a type Trail does not record, was accepted", other)
		}
	}
	if got, ok := crmTypesOf(nil); !ok || len(got) != 0 {
		t.Errorf("no types = %v, %v", got, ok)
	}
}

// The vocabulary names quotes, smart invoices and smart processes; the
// frame entry and the tab still take only the types Trail records.
func TestPlacementsOfRecordedTypesOnly(t *testing.T) {
	for code, want := range map[string]string{
		"CRM_DEAL_DETAIL_TAB": "deal", "CRM_COMPANY_DETAIL_TAB": "company",
		"CRM_QUOTE_DETAIL_TAB": "", "CRM_SMART_INVOICE_DETAIL_TAB": "", "CRM_DYNAMIC_156_DETAIL_TAB": "", "CRM_ORDER_DETAIL_TAB": "",
	} {
		if got := entityOfPlacement(code); got != want {
			t.Errorf("entityOfPlacement(%q) = %q, want %q", code, got, want)
		}
	}
	for ctx, want := range map[string]string{"deal:5": "deal", "2:5": "deal", "quote:5": "", "dynamic_156:5": ""} {
		if got, _ := parseContext(ctx); got != want {
			t.Errorf("parseContext(%q) = %q, want %q", ctx, got, want)
		}
	}
}
