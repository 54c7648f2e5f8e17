package browser

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// A person adds a product to a deal, attaches a file to it and moves it to
// another pipeline on the portal's card in Chromium; the product's amount
// reaches Trail's history through the deal's update event.
func TestDealCardSectionsInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 30, Contacts: 3, Seed: 13})
	p := s.Emu.Portals()[0]
	deal := 0
	for i := 1; i <= 30 && deal == 0; i++ {
		if rec, _ := p.Record("deal", i); rec["CATEGORY_ID"] == "0" && rec["IS_MANUAL_OPPORTUNITY"] != "Y" {
			deal = i
		}
	}
	if err := p.SetProductRows("deal", deal, 1, nil); err != nil {
		t.Fatal(err)
	}
	id := s.PortalID(t, p)
	card := s.portalURL(0, "/crm/deal/details/"+strconv.Itoa(deal)+"/?user=1")
	tab := newTab(t)

	do(t, tab, "add a product row",
		chromedp.Navigate(card),
		chromedp.WaitVisible(chromedp.CSS("form.add-row select")),
		chromedp.SetValue(chromedp.CSS("form.add-row select"), "412"),
		chromedp.SetValue(chromedp.CSS(`form.add-row input[name="quantity"]`), "2"),
		chromedp.Submit(chromedp.CSS("form.add-row")),
		chromedp.WaitVisible(chromedp.CSS("p.ok")),
	)
	waitText(t, tab, ".rows tbody", "Server rack 42U")
	if rec, _ := p.Record("deal", deal); rec["OPPORTUNITY"] != "4900.00" {
		t.Errorf("OPPORTUNITY = %v after adding two racks, want 4900.00", rec["OPPORTUNITY"])
	}

	upload := filepath.Join(t.TempDir(), "contract.txt")
	if err := os.WriteFile(upload, []byte("signed"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "upload a file",
		chromedp.SetUploadFiles(chromedp.CSS(`.file-field input[type="file"]`), []string{upload}),
		chromedp.Submit(chromedp.CSS(`.file-field form[enctype="multipart/form-data"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.ok")),
	)
	waitText(t, tab, ".files", "contract.txt")
	if rec, _ := p.Record("deal", deal); rec["UF_CRM_1700000006"] == nil {
		t.Error("the deal holds no file after the upload")
	}

	do(t, tab, "choose a pipeline, then a stage",
		chromedp.SetValue(chromedp.CSS(`.move select[name="move"]`), "1"),
		chromedp.Submit(chromedp.CSS(`.move form[method="get"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.move select[name="stage"]`)),
		chromedp.SetValue(chromedp.CSS(`.move select[name="stage"]`), "C1:PREPARATION"),
		chromedp.Submit(chromedp.CSS(`.move form[method="post"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.ok")),
	)
	if rec, _ := p.Record("deal", deal); rec["CATEGORY_ID"] != "1" || rec["STAGE_ID"] != "C1:PREPARATION" {
		t.Errorf("deal after the move: pipeline %v stage %v", rec["CATEGORY_ID"], rec["STAGE_ID"])
	}

	// Trail hears of row changes as deal updates.
	trailtest.Eventually(t, "the amount change in Trail's history", func() bool {
		return changed(s.History(t, id, crm.Deal, int64(deal)), "OPPORTUNITY")
	})
}

// changed reports whether a history row records the field.
func changed(rows []db.HistoryRow, field string) bool {
	return slices.ContainsFunc(rows, func(r db.HistoryRow) bool { return r.Field == field })
}
