package server_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

var restoredAsRe = regexp.MustCompile(`restored as #(\d+)`)

// deleteRecord deletes a record in the portal as user and waits until
// Trail recorded the deletion by that user. The offline queue names the user;
// the portal tells Trail to read it at most once a second (minTimeout), so
// another record is touched until a notice follows the deletion.
func (r *reverts) deleteRecord(t *testing.T, entity string, id, user int) {
	t.Helper()
	if err := r.p.DeleteRecord(entity, id, user); err != nil {
		t.Fatal(err)
	}
	poked := time.Now()
	trailtest.Eventually(t, "the deletion recorded with its author", func() bool {
		for _, h := range r.History(t, r.id, crmType(t, entity), int64(id)) {
			if h.Action == history.Deleted.String() && h.AuthorID != nil && *h.AuthorID == int64(user) {
				return true
			}
		}
		if time.Since(poked) > 1100*time.Millisecond {
			poked = time.Now()
			if err := r.p.UpdateRecord("contact", 5, r.p.AdminID(), map[string]any{"COMMENTS": poked.String()}); err != nil {
				t.Fatal(err)
			}
		}
		return false
	})
}

// contactsOf is the deal's contacts as the portal's own
// crm.deal.contact.items.get lists them.
func (r *reverts) contactsOf(t *testing.T, deal int) []string {
	t.Helper()
	var out struct {
		Result []struct {
			ContactID json.Number `json:"CONTACT_ID"`
		}
	}
	if err := json.Unmarshal(r.read(t, "crm.deal.contact.items.get", url.Values{"id": {itoaInt(deal)}}), &out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range out.Result {
		ids = append(ids, c.ContactID.String())
	}
	return sorted(ids)
}

// dealsAfter counts the portal's deals with an id above id.
func (r *reverts) dealsAfter(t *testing.T, id int) int {
	t.Helper()
	var out struct{ Result []json.RawMessage }
	if err := json.Unmarshal(r.read(t, "crm.deal.list", url.Values{"filter[>ID]": {itoaInt(id)}, "select[]": {"ID"}}), &out); err != nil {
		t.Fatal(err)
	}
	return len(out.Result)
}

// productRowsOf is the deal's product rows as the portal's own
// crm.deal.productrows.get returns them, each as product:price×quantity.
func (r *reverts) productRowsOf(t *testing.T, deal int) []string {
	t.Helper()
	var out struct {
		Result []struct {
			ProductID   json.Number `json:"PRODUCT_ID"`
			ProductName string      `json:"PRODUCT_NAME"`
			Price       json.Number `json:"PRICE"`
			Quantity    json.Number `json:"QUANTITY"`
		}
	}
	if err := json.Unmarshal(r.read(t, "crm.deal.productrows.get", url.Values{"id": {itoaInt(deal)}}), &out); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, x := range out.Result {
		p, _ := strconv.ParseFloat(x.Price.String(), 64)
		q, _ := strconv.ParseFloat(x.Quantity.String(), 64)
		rows = append(rows, x.ProductID.String()+" "+x.ProductName+" "+strconv.FormatFloat(p, 'f', 2, 64)+"×"+strconv.FormatFloat(q, 'f', 2, 64))
	}
	return sorted(rows)
}

// TestRestoreDeletedDeal: a deal with two contacts, a company and product
// rows is deleted in the portal; it is listed with who deleted it and
// when, its last state and history open, and it is restored: the portal's
// own get, contact links and product rows of the new deal equal the old
// ones, the new deal's history starts with the restore, a double submit
// creates one deal, and a second restore is refused pointing at the new
// one. The restore is audited.
func TestRestoreDeletedDeal(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal, deleter = 7, 2
	admin := r.p.AdminID()
	r.edit(t, "deal", deal, admin, map[string]any{"TITLE": "Deal to bring back", "COMPANY_ID": "2", "CONTACT_IDS": []string{"1", "3"},
		"COMMENTS": "kept through deletion"})
	last := r.lastChange(t, crm.Deal, deal)
	if err := r.p.SetProductRows("deal", deal, admin, []map[string]any{
		{"PRODUCT_ID": 1, "PRICE": 10, "QUANTITY": 3}, {"PRODUCT_ID": 2, "PRICE": 25.5, "QUANTITY": 1},
	}); err != nil {
		t.Fatal(err)
	}
	r.nextChange(t, crm.Deal, deal, last)
	wantGet, wantContacts, wantRows := r.get(t, "deal", deal), r.contactsOf(t, deal), r.productRowsOf(t, deal)
	if len(wantContacts) != 2 || len(wantRows) != 2 {
		t.Fatalf("setup: contacts %v, rows %v", wantContacts, wantRows)
	}
	r.deleteRecord(t, "deal", deal, deleter)
	highest := 0
	for id := 1; id <= 100; id++ {
		if _, ok := r.p.Record("deal", id); ok {
			highest = id
		}
	}

	f, status, _ := r.OpenApp(t, r.p, admin)
	if status != 200 {
		t.Fatalf("settings = %d", status)
	}
	list := f.Must(200, "GET", "/settings/deleted", nil)
	row := trailtest.Between(list, `data-record="/settings/deleted/deal/`+itoaInt(deal)+`"`, `</tr>`)
	deleterName := userName(t, r.p, deleter)
	if row == "" || !strings.Contains(row, "Deal to bring back") || !strings.Contains(row, deleterName) {
		t.Fatalf("the list lacks the deleted deal with who deleted it (%s):\n%s", deleterName, list)
	}
	if other := f.Must(200, "GET", "/settings/deleted", url.Values{"type": {"contact"}}); strings.Contains(other, "Deal to bring back") {
		t.Errorf("the contacts' list shows the deal")
	}
	view := f.Must(200, "GET", "/settings/deleted/deal/"+itoaInt(deal), nil)
	if !strings.Contains(view, "kept through deletion") || !strings.Contains(view, `class="entry deleted"`) {
		t.Errorf("the record's view lacks its last state or history:\n%s", view)
	}

	page := f.Must(200, "GET", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", nil)
	m := keyRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no preview:\n%s", page)
	}
	if rows := trailtest.Between(page, `data-field="PRODUCT_ROWS"`, `</tr>`); !strings.Contains(rows, "Product") || strings.Contains(rows, "&#34;") {
		t.Errorf("the preview's product rows are not shown as rows: %s", rows)
	}
	for field, reason := range map[string]string{"ID": "system", "DATE_CREATE": "system"} {
		if got := trailtest.Between(trailtest.Between(page, `data-field="`+field+`"`, `</tr>`), `class="reason">`, `<`); got == "" {
			t.Errorf("%s: skipped without a reason (%s)", field, reason)
		}
	}
	// A double submit: one answer names the new deal, the other the same
	// one or that it is being written.
	var wg sync.WaitGroup
	answers, statuses := make([]string, 2), make([]int, 2)
	for i := range answers {
		page := r.Page(t, f.Session) // one page each: a page is not safe for concurrent use
		wg.Go(func() {
			statuses[i], answers[i] = page.Do("POST", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", url.Values{"key": {m[1]}})
		})
	}
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 200 {
		t.Fatalf("submits answered %v", statuses)
	}
	newID := restoredOnce(t, answers)
	if again := f.Must(200, "POST", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", url.Values{"key": {m[1]}}); !strings.Contains(again, "restored as #"+itoaInt(newID)) {
		t.Errorf("the submit once more = %s, want the first one's outcome", again)
	}
	if n := r.dealsAfter(t, highest); n != 1 {
		t.Fatalf("%d deals created, want 1", n)
	}

	gotGet := r.get(t, "deal", newID)
	fields := []string{"TITLE", "COMMENTS", "COMPANY_ID", "STAGE_ID", "CATEGORY_ID", "CURRENCY_ID", "OPPORTUNITY", "ASSIGNED_BY_ID", "TYPE_ID", "SOURCE_ID"}
	r.same(t, "deal", wantGet, gotGet, fields)
	if got := r.contactsOf(t, newID); !slices.Equal(got, wantContacts) {
		t.Errorf("contacts = %v, want %v", got, wantContacts)
	}
	if got := r.productRowsOf(t, newID); !slices.Equal(got, wantRows) {
		t.Errorf("product rows = %v, want %v", got, wantRows)
	}

	// The new deal's history starts with its restore.
	trailtest.Eventually(t, "the restored deal's creation recorded", func() bool {
		h := r.History(t, r.id, crm.Deal, int64(newID))
		return len(h) > 0 && h[0].Action == history.Created.String() && h[0].RestoredFrom != nil
	})
	first := r.History(t, r.id, crm.Deal, int64(newID))[0]
	if *first.RestoredFrom != deal || first.AuthorID == nil || *first.AuthorID != int64(admin) {
		t.Errorf("creation: restored from %d by %v, want %d by %d", *first.RestoredFrom, first.AuthorID, deal, admin)
	}
	tab, status, _ := r.OpenTab(t, r.p, admin, "CRM_DEAL_DETAIL_TAB", itoaInt(newID))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	tabPage := tab.Must(200, "GET", "/tab/deal/"+itoaInt(newID)+"/entries", nil)
	if !strings.Contains(tabPage, "restored from deleted record #"+itoaInt(deal)) || !strings.Contains(tabPage, `hx-get="/deleted/deal/`+itoaInt(deal)) {
		t.Errorf("the tab does not link the restore back:\n%s", tabPage)
	}

	// Restoring again is refused, pointing at the restored record.
	again := f.Must(409, "GET", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", nil)
	if !strings.Contains(again, "#"+itoaInt(newID)) {
		t.Errorf("a second restore = %q, want it to name #%d", again, newID)
	}
	if list := f.Must(200, "GET", "/settings/deleted", nil); !strings.Contains(list, "restored as #"+itoaInt(newID)) {
		t.Errorf("the list does not show the restore:\n%s", list)
	}
	if n := r.dealsAfter(t, highest); n != 1 {
		t.Fatalf("%d deals created, want 1", n)
	}
	audit := f.Must(200, "GET", "/settings/reverts", nil)
	if !strings.Contains(audit, "/crm/deal/details/"+itoaInt(deal)+"/") || !strings.Contains(audit, `data-field="CONTACT_IDS" data-outcome="written"`) ||
		!strings.Contains(audit, "restored as #"+itoaInt(newID)) {
		t.Errorf("the audit lacks the restore:\n%s", audit)
	}
}

// TestRestoreDeletedRights: the settings' list, a record and its restore
// are the administrators': employees (one with every record, one with
// their own only) get their own page instead, are refused the settings'
// routes, and nothing is created.
func TestRestoreDeletedRights(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal = 4
	r.deleteRecord(t, "deal", deal, r.p.AdminID())
	for _, user := range []int{2, r.p.OwnRecordsUserID()} {
		if _, status, page := r.OpenApp(t, r.p, user); status != 200 || strings.Contains(page, "/settings/") {
			t.Errorf("user %d opens the settings: %d", user, status)
		}
		var open int
		for id := 1; id <= 20 && open == 0; id++ {
			if rec, ok := r.p.Record("deal", id); ok && (user != r.p.OwnRecordsUserID() || rec["ASSIGNED_BY_ID"] == itoaInt(user)) {
				open = id
			}
		}
		if open == 0 {
			if err := r.p.UpdateRecord("deal", 9, 1, map[string]any{"ASSIGNED_BY_ID": itoaInt(user)}); err != nil {
				t.Fatal(err)
			}
			open = 9
		}
		tab, status, _ := r.OpenTab(t, r.p, user, "CRM_DEAL_DETAIL_TAB", itoaInt(open))
		if status != 200 {
			t.Fatalf("user %d tab = %d", user, status)
		}
		for _, c := range []struct{ method, path string }{
			{"GET", "/settings/deleted"}, {"GET", "/settings/deleted/deal/4"},
			{"GET", "/settings/deleted/deal/4/restore"}, {"POST", "/settings/deleted/deal/4/restore"},
		} {
			if status, body := tab.Do(c.method, c.path, url.Values{"key": {"x"}}); status != 403 {
				t.Errorf("user %d: %s %s = %d %s", user, c.method, c.path, status, body)
			}
		}
	}
	if n := r.Count(t, "SELECT count(*) FROM reverts WHERE recreate"); n != 0 {
		t.Errorf("%d restores stored", n)
	}
}

// TestRestoreDeletedIsolation: portal A's administrator neither lists nor
// opens nor restores portal B's deleted deal, even with B's preview key.
func TestRestoreDeletedIsolation(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 6, Contacts: 2, Companies: 2, Seed: 21}})
	a, b := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, p := range []*b24test.Portal{a, b} {
		if _, err := p.Install(); err != nil {
			t.Fatal(err)
		}
	}
	bID := s.Installed(t, b)
	s.Installed(t, a)
	if err := b.UpdateRecord("deal", 5, 1, map[string]any{"TITLE": "B's own deal"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "B's change", func() bool { return len(s.History(t, bID, crm.Deal, 5)) == 1 })
	if err := b.DeleteRecord("deal", 5, 1); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "B's deletion", func() bool {
		snap := s.Snapshot(t, bID, crm.Deal, 5)
		return snap != nil && snap.DeletedAt != nil
	})
	fb, _, _ := s.OpenApp(t, b, b.AdminID())
	m := keyRe.FindStringSubmatch(fb.Must(200, "GET", "/settings/deleted/deal/5/restore", nil))
	if m == nil {
		t.Fatal("B's admin gets no preview")
	}

	fa, _, _ := s.OpenApp(t, a, a.AdminID())
	if list := fa.Must(200, "GET", "/settings/deleted", nil); strings.Contains(list, "B's own deal") || strings.Contains(list, "/settings/deleted/deal/5") {
		t.Errorf("A's list shows B's deleted deal:\n%s", list)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/settings/deleted/deal/5"}, {"GET", "/settings/deleted/deal/5/entries"},
		{"GET", "/settings/deleted/deal/5/restore"}, {"POST", "/settings/deleted/deal/5/restore"},
	} {
		status, body := fa.Do(c.method, c.path, url.Values{"key": {m[1]}})
		if status != 404 || strings.Contains(body, "B's own deal") {
			t.Errorf("A's admin: %s %s = %d %s", c.method, c.path, status, body)
		}
	}
	if n := s.Count(t, "SELECT count(*) FROM reverts WHERE recreate AND state <> '"+db.RevertPreviewed+"'"); n != 0 {
		t.Errorf("%d restores went ahead", n)
	}
	if _, ok := b.Record("deal", 7); ok {
		t.Errorf("a deal was created in B")
	}
}

// userName is a portal user's first name, which Trail shows.
func userName(t *testing.T, p *b24test.Portal, id int) string {
	t.Helper()
	for _, u := range p.Users() {
		if u.ID == id {
			return u.Name
		}
	}
	t.Fatalf("no user %d", id)
	return ""
}

// TestRestoreDeletedRefused: the restore is written with the person's own
// token, so Bitrix24's add right decides. An administrator demoted on the
// portal (and whose role may not add deals) while their settings page is
// open is refused by the portal: its reason is shown and audited, nothing
// is created, and the deleted deal can still be restored by an
// administrator who may add.
func TestRestoreDeletedRefused(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal, user = 5, 2
	r.deleteRecord(t, "deal", deal, r.p.AdminID())
	if err := r.p.SetAdmin(user, true); err != nil {
		t.Fatal(err)
	}
	f, status, _ := r.OpenApp(t, r.p, user)
	if status != 200 {
		t.Fatalf("settings of the new administrator = %d", status)
	}
	if err := r.p.SetAdmin(user, false); err != nil {
		t.Fatal(err)
	}
	if err := r.p.DenyAdd(user, "deal", true); err != nil {
		t.Fatal(err)
	}
	page := f.Must(200, "GET", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", nil)
	m := keyRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no preview:\n%s", page)
	}
	before := r.dealsAfter(t, 0)
	done := f.Must(200, "POST", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", url.Values{"key": {m[1]}})
	if !strings.Contains(done, "Bitrix24 refused") || !strings.Contains(done, "Access denied") || outcome(done, "TITLE") != db.OutcomeRefused {
		t.Errorf("the portal's refusal is not shown:\n%s", done)
	}
	if n := r.dealsAfter(t, 0); n != before {
		t.Errorf("%d deals after a refused restore, want %d", n, before)
	}

	admin, _, _ := r.OpenApp(t, r.p, r.p.AdminID())
	audit := admin.Must(200, "GET", "/settings/reverts", nil)
	if !strings.Contains(audit, "Access denied") || !strings.Contains(audit, "/crm/deal/details/"+itoaInt(deal)+"/") {
		t.Errorf("the audit lacks the refused restore:\n%s", audit)
	}
	if list := admin.Must(200, "GET", "/settings/deleted", nil); strings.Contains(list, "restored as") {
		t.Errorf("a refused restore is listed as done:\n%s", list)
	}
	page = admin.Must(200, "GET", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", nil)
	m = keyRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the administrator gets no preview after a refusal:\n%s", page)
	}
	if done := admin.Must(200, "POST", "/settings/deleted/deal/"+itoaInt(deal)+"/restore", url.Values{"key": {m[1]}}); !restoredAsRe.MatchString(done) {
		t.Errorf("the administrator's restore:\n%s", done)
	}
	if n := r.dealsAfter(t, 0); n != before+1 {
		t.Errorf("%d deals, want %d", n, before+1)
	}
}

// TestRestoreDeletedContact: a deleted contact comes back with its phones
// and e-mails as new items and its companies, but not the company deleted
// meanwhile: that link is listed as skipped with the reason.
func TestRestoreDeletedContact(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const contact = 2
	admin := r.p.AdminID()
	r.edit(t, "contact", contact, admin, map[string]any{"NAME": "Vera", "LAST_NAME": "Restored", "COMPANY_IDS": []string{"1", "2"},
		"PHONE": []map[string]any{{"VALUE": "+100", "VALUE_TYPE": "WORK"}, {"VALUE": "+200", "VALUE_TYPE": "MOBILE"}},
		"EMAIL": []map[string]any{{"VALUE": "vera@example.com", "VALUE_TYPE": "WORK"}}})
	want := r.get(t, "contact", contact)
	r.deleteRecord(t, "company", 2, admin)
	r.deleteRecord(t, "contact", contact, admin)

	f, _, _ := r.OpenApp(t, r.p, admin)
	page := f.Must(200, "GET", "/settings/deleted/contact/"+itoaInt(contact)+"/restore", nil)
	m := keyRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no preview:\n%s", page)
	}
	if !strings.Contains(page, `data-field="COMPANY_IDS" data-outcome="" class="skipped"`) || !strings.Contains(page, "no longer exists") {
		t.Errorf("the deleted company is not listed as skipped:\n%s", page)
	}
	done := f.Must(200, "POST", "/settings/deleted/contact/"+itoaInt(contact)+"/restore", url.Values{"key": {m[1]}})
	n := restoredAsRe.FindStringSubmatch(done)
	if n == nil {
		t.Fatalf("not restored:\n%s", done)
	}
	id, _ := strconv.Atoi(n[1])
	r.same(t, "contact", want, r.get(t, "contact", id), []string{"NAME", "LAST_NAME", "PHONE", "EMAIL", "ASSIGNED_BY_ID", "TYPE_ID"})
	var links struct {
		Result []struct {
			CompanyID json.Number `json:"COMPANY_ID"`
		}
	}
	if err := json.Unmarshal(r.read(t, "crm.contact.company.items.get", url.Values{"id": {itoaInt(id)}}), &links); err != nil {
		t.Fatal(err)
	}
	if len(links.Result) != 1 || links.Result[0].CompanyID.String() != "1" {
		t.Errorf("companies %+v, want company 1 only", links.Result)
	}
	if outcome(done, "NAME") != db.OutcomeWritten {
		t.Errorf("NAME: %q", outcome(done, "NAME"))
	}
}

// TestDeletedInvoiceRestorable: a deleted smart invoice is listed and
// opens with its last state and history, offered for restore; a restore
// of a record Trail holds no deletion of is refused and creates nothing.
func TestDeletedInvoiceRestorable(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 2, SmartInvoices: 3, Seed: 21}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	id := s.Installed(t, p)
	r := &reverts{stack: s, p: p, id: id}
	trailtest.Eventually(t, "the invoices' baseline", func() bool { return s.Snapshot(t, id, crm.SmartInvoice, 2) != nil })
	r.deleteRecord(t, "smart_invoice", 2, p.AdminID())
	f, _, _ := s.OpenApp(t, p, p.AdminID())
	if list := f.Must(200, "GET", "/settings/deleted", url.Values{"type": {"smart_invoice"}}); !strings.Contains(list, "/settings/deleted/smart_invoice/2") {
		t.Fatalf("the list lacks the invoice:\n%s", list)
	}
	view := f.Must(200, "GET", "/settings/deleted/smart_invoice/2", nil)
	if strings.Contains(view, "cannot be restored yet") || !strings.Contains(view, "/settings/deleted/smart_invoice/2/restore") || !strings.Contains(view, `class="entry deleted"`) {
		t.Errorf("the invoice's view:\n%s", view)
	}
	if page := f.Must(200, "GET", "/settings/deleted/smart_invoice/2/restore", nil); keyRe.FindStringSubmatch(page) == nil {
		t.Errorf("no preview of the invoice's restore:\n%s", page)
	}
	if status, _ := f.Do("POST", "/settings/deleted/smart_invoice/3/restore", url.Values{"key": {"x"}}); status < 400 || status >= 500 {
		t.Errorf("restoring an invoice that is not deleted = %d", status)
	}
	if _, ok := p.Record("smart_invoice", 4); ok {
		t.Error("an invoice was created")
	}
}

// restoredOnce is the record the answers of concurrent submits of one
// restore name: each names the same one or says it is being created, and
// at least one names it.
func restoredOnce(t *testing.T, answers []string) int {
	t.Helper()
	var newID int
	for _, a := range answers {
		n := restoredAsRe.FindStringSubmatch(a)
		if n == nil {
			if !strings.Contains(a, `class="applying"`) {
				t.Fatalf("the answer names no new record:\n%s", a)
			}
			continue
		}
		id, _ := strconv.Atoi(n[1])
		if newID != 0 && id != newID {
			t.Fatalf("two submits made %d and %d", newID, id)
		}
		newID = id
	}
	if newID == 0 {
		t.Fatalf("no answer names the new record:\n%s", answers)
	}
	return newID
}
