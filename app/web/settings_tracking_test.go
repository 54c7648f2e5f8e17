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
	if _, ok := crmTypesOf([]string{"deal", "invoice"}); ok {
		t.Error("an unknown type was accepted")
	}
	if got, ok := crmTypesOf(nil); !ok || len(got) != 0 {
		t.Errorf("no types = %v, %v", got, ok)
	}
}
