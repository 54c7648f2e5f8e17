package timeline

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// Links to estimates, invoices and smart-process items: a CRM link value
// with a smart process's short code (T9c_3: item 3 of type 156) and a
// crm.item parent link (PARENT_ID_156) name the item by its title when
// Trail holds it, else by a readable kind and number.
func TestLinksToEveryType(t *testing.T) {
	l := labels(t)
	s, err := history.ParseFields([]byte(`{
	 "UF_CRM_9":{"type":"crm","isDynamic":true,"title":"UF_CRM_9","listLabel":"Linked"},
	 "PARENT_ID_156":{"type":"crm_entity","title":"Shipments"},
	 "QUOTE_ID":{"type":"crm_quote","title":"Estimate"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range s.Fields {
		l.Schema.Fields[name] = f
	}
	l.links["dynamic_156:3"] = "Quay survey"
	l.links["quote:4"] = "Spring offer"
	p := Printer{Empty: "—", Loc: time.UTC, Records: map[string]string{"quote": "Estimate", AnyItem: "Item"}}
	for _, tt := range []struct{ field, text, want string }{
		{"UF_CRM_9", "T9c_3", "Quay survey"},
		{"UF_CRM_9", "T9c_8", "Item #8"},
		{"UF_CRM_9", "Q_4", "Spring offer"},
		{"PARENT_ID_156", "3", "Quay survey"},
		{"PARENT_ID_156", "9", "Item #9"},
		{"QUOTE_ID", "4", "Spring offer"},
		{"QUOTE_ID", "5", "Estimate #5"},
	} {
		if got := l.Display(tt.field, val(t, history.Value{Kind: history.KindID, Text: tt.text}), p); got != tt.want {
			t.Errorf("Display(%s, %s) = %q, want %q", tt.field, tt.text, got, tt.want)
		}
	}
	// The titles to load are asked of the right type.
	refs := Refs([]db.HistoryRow{
		{Field: "UF_CRM_9", NewValue: val(t, history.Value{Kind: history.KindID, Text: "T9c_3"})},
		{Field: "PARENT_ID_156", OldValue: val(t, history.Value{Kind: history.KindID, Text: "9"})},
	}, l)
	if got := refs["dynamic_156"]; len(got) != 2 || got[0] != 3 || got[1] != 9 {
		t.Errorf("refs %v, want items 3 and 9 of dynamic_156", refs)
	}
}
