package timeline

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// An amount shows in the currency the record had when the amount changed:
// the change's own currency change, else what the next currency change
// found, else the record's currency now. Money user fields keep their own.
func TestAmountsShowTheirCurrency(t *testing.T) {
	l := labels(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	num := func(s string) history.Value { return history.Value{Kind: history.KindNumber, Text: s} }
	id := func(s string) history.Value { return history.Value{Kind: history.KindID, Text: s} }
	row := func(change int64, hours int, field string, old, new history.Value) db.HistoryRow {
		return db.HistoryRow{ChangeID: change, Action: "updated", Field: field, ChangeKind: "changed",
			ChangedAt: at.Add(time.Duration(hours) * time.Hour), OldValue: val(t, old), NewValue: val(t, new)}
	}
	currencies := []db.HistoryRow{
		row(2, 2, "CURRENCY_ID", id("EUR"), id("USD")),
		row(4, 3, "CURRENCY_ID", id("USD"), id("GBP")), // same time as change 3, but after it
	}
	page := []db.HistoryRow{ // newest first, as the tab reads them
		row(5, 4, "UF_CRM_3", history.Value{Kind: history.KindMoney, Text: "100|USD"}, history.Value{Kind: history.KindMoney, Text: "200.5|EUR"}),
		row(5, 4, "OPPORTUNITY", num("11800"), history.Value{}),
		row(4, 3, "CURRENCY_ID", id("USD"), id("GBP")),
		row(3, 3, "OPPORTUNITY", num("13000"), num("11800")),
		row(2, 2, "CURRENCY_ID", id("EUR"), id("USD")),
		row(2, 2, "OPPORTUNITY", num("12500"), num("13000")),
		row(1, 1, "TAX_VALUE", history.Value{}, num("2500.5")),
		row(1, 1, "PROBABILITY", num("10"), num("20")),
	}
	p := Printer{Empty: "—"}

	plain := Build(page, l, p)
	if c := plain[3].Changes[1]; c.Old != "12\u00a0500" || c.New != "13\u00a0000" {
		t.Errorf("without the record's currencies an amount shows bare: %+v", c)
	}

	l.record = &currencyTrail{changes: currencies, now: map[string]string{"CURRENCY_ID": "GBP"}}
	es := Build(page, l, p)
	want := map[int64][][2]string{
		5: {{"100 USD", "200.50 EUR"}, {"11\u00a0800 GBP", "—"}},
		4: {{"", ""}},
		3: {{"13\u00a0000 USD", "11\u00a0800 USD"}},
		2: {{"Euro", "US Dollar"}, {"12\u00a0500 EUR", "13\u00a0000 USD"}},
		1: {{"—", "2\u00a0500.50 EUR"}, {"10", "20"}},
	}
	for _, e := range es {
		for i, c := range e.Changes {
			w := want[e.ChangeID][i]
			if c.Field == "CURRENCY_ID" {
				continue // named as before
			}
			if c.Old != w[0] || c.New != w[1] {
				t.Errorf("change %d %s: %q -> %q, want %q -> %q", e.ChangeID, c.Field, c.Old, c.New, w[0], w[1])
			}
		}
	}
}
