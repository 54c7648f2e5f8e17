package server_test

import (
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A deal's amount shows in the currency the deal had when the amount
// changed, on the tab and in the CSV: the old amount in the old currency
// and the new in the new when both change at once.
func TestAmountsShowTheirCurrency(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Deals: 2, Seed: 5}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	changes := func(deal int64) int {
		seen := map[int64]bool{}
		for _, r := range s.History(t, id, crm.Deal, deal) {
			seen[r.ChangeID] = true
		}
		return len(seen)
	}
	deal, err := p.AddRecord("deal", p.AdminID(), map[string]any{"TITLE": "Priced", "CURRENCY_ID": "EUR", "OPPORTUNITY": "12500"})
	if err != nil {
		t.Fatal(err)
	}
	for n, edit := range []map[string]any{
		{"OPPORTUNITY": "11800"},
		{"OPPORTUNITY": "13000", "CURRENCY_ID": "USD"},
	} {
		trailtest.Eventually(t, "the deal's earlier changes", func() bool { return changes(int64(deal)) == n+1 })
		if err := p.UpdateRecord("deal", deal, p.AdminID(), edit); err != nil {
			t.Fatal(err)
		}
	}
	trailtest.Eventually(t, "the deal's three changes", func() bool { return changes(int64(deal)) == 3 })

	f, status, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	var amounts []string // newest first
	for _, part := range strings.Split(body, `data-field="OPPORTUNITY"`)[1:] {
		amounts = append(amounts, part[:strings.Index(part, "</tr>")])
	}
	if len(amounts) != 3 {
		t.Fatalf("%d amount changes on the tab:\n%s", len(amounts), trailtest.Between(body, `<ol id="timeline"`, `</ol>`))
	}
	for i, want := range [][2]string{{"11\u00a0800 EUR", "13\u00a0000 USD"}, {"12\u00a0500 EUR", "11\u00a0800 EUR"}, {"12\u00a0500 EUR", "12\u00a0500 EUR"}} {
		if !strings.Contains(amounts[i], want[0]) || !strings.Contains(amounts[i], want[1]) {
			t.Errorf("amount change %d shows %q, want %q -> %q", i, amounts[i], want[0], want[1])
		}
	}

	status, out := f.Get("/tab/deal/" + itoaInt(deal) + "/export.csv")
	if status != 200 {
		t.Fatalf("export = %d", status)
	}
	for _, want := range []string{"11\u00a0800 EUR,13\u00a0000 USD", "12\u00a0500 EUR,11\u00a0800 EUR"} {
		if !strings.Contains(out, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, out)
		}
	}
}
