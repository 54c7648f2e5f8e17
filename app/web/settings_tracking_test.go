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
	got, ok = crmTypesOf([]string{"dynamic_156", "quote", "smart_invoice", "deal"})
	if !ok || !slices.Equal(got, []crm.Type{crm.Deal, crm.Quote, crm.SmartInvoice, crm.Type(156)}) {
		t.Errorf("crmTypesOf = %v, %v; want deal, quote, smart_invoice, dynamic_156", got, ok)
	}
	// Names of no type are refused here; whether the portal has a type is
	// the admin service's to check (TestSaveTrackingRefusesTypesThePortalLacks).
	for _, other := range []string{"invoice", "5", "dynamic_12", "dynamic_0156", "order"} {
		if _, ok := crmTypesOf([]string{"deal", other}); ok {
			t.Errorf("%q, not a type Trail can record, was accepted", other)
		}
	}
	if got, ok := crmTypesOf(nil); !ok || len(got) != 0 {
		t.Errorf("no types = %v, %v", got, ok)
	}
}

// The frame entry and the tab take the detail tabs of every type Trail can
// record: estimates, smart invoices and smart processes too.
func TestPlacementsOfRecordedTypesOnly(t *testing.T) {
	for code, want := range map[string]string{
		"CRM_DEAL_DETAIL_TAB": "deal", "CRM_COMPANY_DETAIL_TAB": "company",
		"CRM_QUOTE_DETAIL_TAB": "quote", "CRM_SMART_INVOICE_DETAIL_TAB": "smart_invoice", "CRM_DYNAMIC_156_DETAIL_TAB": "dynamic_156",
		"CRM_ORDER_DETAIL_TAB": "", "CRM_INVOICE_DETAIL_TAB": "", "CRM_DYNAMIC_12_DETAIL_TAB": "",
	} {
		if got := entityOfPlacement(code); got != want {
			t.Errorf("entityOfPlacement(%q) = %q, want %q", code, got, want)
		}
	}
	for ctx, want := range map[string]string{"deal:5": "deal", "2:5": "deal", "quote:5": "quote", "dynamic_156:5": "dynamic_156", "order:5": ""} {
		if got, _ := parseContext(ctx); got != want {
			t.Errorf("parseContext(%q) = %q, want %q", ctx, got, want)
		}
	}
}
