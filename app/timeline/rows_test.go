package timeline

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

func row(id, text string) history.Value {
	return history.Value{Kind: history.KindRow, ID: id, Text: text}
}

// A product row's change is titled by its product and says only what
// changed; a row added or removed says all it held.
func TestBuildProductRows(t *testing.T) {
	l := labels(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rows := []db.HistoryRow{
		{ChangeID: 1, Action: "updated", Entity: crm.Deal, EntityID: 4, Field: history.ProductRows, ChangeKind: "item_changed", ChangedAt: at,
			OldValue: val(t, row("7", `{"name":"Sofa","price":"100","quantity":"2","unit":"pcs"}`)),
			NewValue: val(t, row("7", `{"name":"Sofa","price":"100","quantity":"3","unit":"pcs"}`))},
		{ChangeID: 1, Action: "updated", Entity: crm.Deal, EntityID: 4, Field: history.ProductRows, ChangeKind: "added", ChangedAt: at,
			NewValue: val(t, row("8", `{"name":"Chair","price":"1500","quantity":"1","discount":"10%","tax":"20","tax_included":"Y"}`))},
		{ChangeID: 1, Action: "updated", Entity: crm.Deal, EntityID: 4, Field: "UF_CRM_9", ChangeKind: "changed", ChangedAt: at,
			OldValue: val(t, history.Value{Kind: history.KindFile, Text: "31"}), NewValue: val(t, history.Value{Kind: history.KindFile, Text: "32"})},
	}
	es := Build(rows, l, Printer{Empty: "—"})
	if len(es) != 1 || len(es[0].Changes) != 3 {
		t.Fatalf("entries = %+v", es)
	}
	changed, added, file := es[0].Changes[0], es[0].Changes[1], es[0].Changes[2]
	if changed.Title != "Product: Sofa" || changed.Old != "quantity 2 pcs" || changed.New != "quantity 3 pcs" {
		t.Errorf("row changed = %q: %q -> %q", changed.Title, changed.Old, changed.New)
	}
	if added.Title != "Product: Chair" || added.New != "quantity 1, price 1\u00a0500, discount 10%, tax 20% (included)" {
		t.Errorf("row added = %q: %q", added.Title, added.New)
	}
	if len(file.OldFiles) != 1 || file.OldFiles[0].Href != "/tab/deal/4/file/UF_CRM_9/31" || len(file.NewFiles) != 1 || file.NewFiles[0].Label != "#32" {
		t.Errorf("file change links %+v -> %+v", file.OldFiles, file.NewFiles)
	}
}
