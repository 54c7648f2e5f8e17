package jobs

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/history"
)

// TestListSelectNamesMultipleFields: the legacy masks leave multiple fields
// out, so the baseline names the multiple user fields and multi-fields the
// portal's field list has.
func TestListSelectNamesMultipleFields(t *testing.T) {
	schema := &history.Schema{Fields: map[string]history.Field{
		"TITLE":       {Name: "TITLE", Type: history.TypeString},
		"PHONE":       {Name: "PHONE", Type: history.TypeMultifield, Multiple: true},
		"LINK":        {Name: "LINK", Type: history.TypeMultifield, Multiple: true},
		"COMPANY_IDS": {Name: "COMPANY_IDS", Type: history.TypeCompany, Multiple: true},
		"UF_CRM_B":    {Name: "UF_CRM_B", Type: history.TypeString, Multiple: true, Custom: true},
		"UF_CRM_A":    {Name: "UF_CRM_A", Type: history.TypeEnumeration, Multiple: true, Custom: true},
		"UF_CRM_C":    {Name: "UF_CRM_C", Type: history.TypeString, Custom: true},
	}}
	for _, tt := range []struct {
		entity string
		schema *history.Schema
		want   []string
	}{
		{"contact", schema, []string{"*", "UF_*", "PHONE", "EMAIL", "WEB", "IM", "LINK", "UF_CRM_A", "UF_CRM_B"}},
		{"deal", schema, []string{"*", "UF_*", "LINK", "PHONE", "UF_CRM_A", "UF_CRM_B"}},
		{"deal", nil, []string{"*", "UF_*"}},
	} {
		if got := listSelect(tt.entity, tt.schema); !slices.Equal(got, tt.want) {
			t.Errorf("listSelect(%s) = %v, want %v", tt.entity, got, tt.want)
		}
	}
}
