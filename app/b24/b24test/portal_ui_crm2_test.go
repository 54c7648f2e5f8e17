package b24test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pagesApp installs the test app, binds recorder to events and returns it.
func pagesApp(t *testing.T, opts Options, events ...string) (*Server, *Portal, *recorder) {
	t.Helper()
	s, p, tok := installed(t, opts)
	rc := &recorder{}
	app := httptest.NewServer(rc)
	t.Cleanup(app.Close)
	for _, ev := range events {
		mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": ev, "handler": app.URL}))
	}
	return s, p, rc
}

// wantRedirect checks a form post answered 303 to the card.
func wantRedirect(t *testing.T, pg uiPage, to string) {
	t.Helper()
	if pg.status != http.StatusSeeOther || pg.header.Get("Location") != to {
		t.Fatalf("post = %d %q, want 303 to %q: %.400s", pg.status, pg.header.Get("Location"), to, pg.body)
	}
}

// wantRefused checks a form post answered 400 with the message.
func wantRefused(t *testing.T, pg uiPage, message string) {
	t.Helper()
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.body, html.EscapeString(message)) {
		t.Fatalf("post = %d, want 400 saying %q: %.600s", pg.status, message, pg.body)
	}
}

func mustRecord(t *testing.T, p *Portal, entity string, id int) map[string]any {
	t.Helper()
	rec, ok := p.Record(entity, id)
	if !ok {
		t.Fatalf("%s %d does not exist", entity, id)
	}
	return rec
}

func TestPortalSmartProcessItemFormAddsEditsAndDeletes(t *testing.T) {
	s, p, rc := pagesApp(t, Options{SmartProcesses: 1, SmartProcessItems: 5, Deals: 3, Companies: 2, Contacts: 3},
		"ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMDELETE")
	if !strings.Contains(uiGet(t, s, p, "/crm/type/128/list/category/0/").body, `href="/crm/type/128/details/0/">Add</a>`) {
		t.Error("the list has no Add link")
	}
	blank := uiGet(t, s, p, "/crm/type/128/details/0/?user=3")
	wantStatus(t, blank, http.StatusOK)
	for _, want := range []string{`name="TITLE"`, `name="UF_CRM_1_PRIORITY"`, `name="UF_CRM_1_DUE_DATE" type="date"`, `name="UF_CRM_1_TAGS" type="text"`, `name="OBSERVERS" multiple`, `<option value="3" selected>`} {
		if !strings.Contains(blank.body, want) {
			t.Errorf("new item form lacks %q", want)
		}
	}
	if strings.Contains(blank.body, "/delete") {
		t.Error("the new item form offers to delete")
	}

	add := uiPost(t, s, p, "/crm/type/128/details/0/?user=3", url.Values{
		"TITLE": {"Desk order"}, "STAGE_ID": {"DT128_10:PREPARATION"}, "OPPORTUNITY": {"250"}, "CURRENCY_ID": {"EUR"},
		"ASSIGNED_BY_ID": {"3"}, "COMPANY_ID": {"2"}, "CONTACT_IDS": {"1", "3", ""}, "OBSERVERS": {"2", "4"},
		"UF_CRM_1_PRIORITY": {"1012"}, "UF_CRM_1_BUDGET": {"300|EUR"}, "UF_CRM_1_DUE_DATE": {"2026-03-01"},
		"UF_CRM_1_TAGS": {"urgent", "", "b2b"}, "UF_CRM_1_LINK": {"D_2"}, "UF_CRM_1_1747309727": {"4.5"},
	})
	wantRedirect(t, add, "/crm/type/128/details/6/?saved=1")
	got := mustRecord(t, p, "dynamic_128", 6)
	want := map[string]any{
		"TITLE": "Desk order", "STAGE_ID": "DT128_10:PREPARATION", "OPPORTUNITY": "250.00", "CURRENCY_ID": "EUR", "ASSIGNED_BY_ID": "3",
		"COMPANY_ID": "2", "CONTACT_IDS": []any{"1", "3"}, "OBSERVERS": []any{"2", "4"}, "UF_CRM_1_PRIORITY": "1012", "UF_CRM_1_BUDGET": "300|EUR",
		"UF_CRM_1_TAGS": []any{"urgent", "b2b"}, "UF_CRM_1_LINK": "D_2", "CREATED_BY": "3",
	}
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("added %s = %v, want %v", k, got[k], v)
		}
	}
	if due, _ := got["UF_CRM_1_DUE_DATE"].(string); !strings.HasPrefix(due, "2026-03-01") {
		t.Errorf("added UF_CRM_1_DUE_DATE = %v", got["UF_CRM_1_DUE_DATE"])
	}
	if ev := rc.wait(t, "ONCRMDYNAMICITEMADD"); ev.Get("data[FIELDS][ID]") != "6" || ev.Get("data[FIELDS][ENTITY_TYPE_ID]") != "128" {
		t.Errorf("add event = %v", ev)
	}

	// The form sent back as shown changes nothing but what was edited.
	card := uiGet(t, s, p, "/crm/type/128/details/6/?saved=1")
	if !strings.Contains(card.body, "Saved.") || !strings.Contains(card.body, `value="urgent"`) || !strings.Contains(card.body, `<option value="4" selected>`) {
		t.Errorf("saved card: %.300s", card.body)
	}
	edit := shownForm(t, card.body)
	if edit.Get("OBSERVERS") != "" || len(edit["OBSERVERS"]) != 3 {
		t.Fatalf("the form posts OBSERVERS as %q, want its marker and the two chosen", edit["OBSERVERS"])
	}
	edit.Set("TITLE", "Desk order, revised")
	edit["UF_CRM_1_TAGS"] = []string{"b2b"}
	wantRedirect(t, uiPost(t, s, p, "/crm/type/128/details/6/?user=2", edit), "/crm/type/128/details/6/?saved=1")
	after := mustRecord(t, p, "dynamic_128", 6)
	if after["TITLE"] != "Desk order, revised" || fmt.Sprint(after["UF_CRM_1_TAGS"]) != "[b2b]" || after["UPDATED_BY"] != "2" {
		t.Errorf("edited item = %v", after)
	}
	for _, k := range []string{"STAGE_ID", "OPPORTUNITY", "COMPANY_ID", "CONTACT_IDS", "OBSERVERS", "UF_CRM_1_BUDGET", "UF_CRM_1_DUE_DATE", "UF_CRM_1_LINK", "UF_CRM_1_1747309727"} {
		if !reflect.DeepEqual(after[k], got[k]) {
			t.Errorf("%s changed from %v to %v though the form left it", k, got[k], after[k])
		}
	}
	if ev := rc.wait(t, "ONCRMDYNAMICITEMUPDATE"); ev.Get("data[FIELDS][ID]") != "6" {
		t.Errorf("update event = %v", ev)
	}

	// A post that leaves fields out leaves them as they are.
	wantRedirect(t, uiPost(t, s, p, "/crm/type/128/details/6/", url.Values{"TITLE": {"Desk order, final"}}), "/crm/type/128/details/6/?saved=1")
	if final := mustRecord(t, p, "dynamic_128", 6); final["TITLE"] != "Desk order, final" || !reflect.DeepEqual(final["CONTACT_IDS"], after["CONTACT_IDS"]) || !reflect.DeepEqual(final["OBSERVERS"], after["OBSERVERS"]) || !reflect.DeepEqual(final["UF_CRM_1_TAGS"], after["UF_CRM_1_TAGS"]) {
		t.Errorf("a title-only post changed more: %v", final)
	}

	wantRedirect(t, uiPost(t, s, p, "/crm/type/128/details/2/delete", nil), "/crm/type/128/list/category/0/")
	if _, ok := p.Record("dynamic_128", 2); ok {
		t.Error("item 2 still exists")
	}
	if ev := rc.wait(t, "ONCRMDYNAMICITEMDELETE"); ev.Get("data[FIELDS][ID]") != "2" {
		t.Errorf("delete event = %v", ev)
	}
	wantStatus(t, uiPost(t, s, p, "/crm/type/128/details/2/delete", nil), http.StatusNotFound)
	wantStatus(t, uiPost(t, s, p, "/crm/type/129/details/0/", url.Values{"TITLE": {"x"}}), http.StatusNotFound)
}

func findAll(re, s string) [][]string { return regexp.MustCompile(re).FindAllStringSubmatch(s, -1) }

// shownForm is the edit form's values as a browser would post them
// unchanged.
func shownForm(t *testing.T, body string) url.Values {
	t.Helper()
	start := strings.Index(body, `<form class="edit"`)
	end := strings.Index(body[start:], "</form>")
	form := body[start : start+end]
	out := url.Values{}
	for _, m := range findAll(`<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"`, form) {
		out.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, sel := range findAll(`(?s)<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>`, form) {
		for _, o := range findAll(`<option value="([^"]*)" selected>`, sel[2]) {
			out.Add(sel[1], html.UnescapeString(o[1]))
		}
	}
	for _, m := range findAll(`(?s)<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`, form) {
		out.Add(m[1], html.UnescapeString(m[2]))
	}
	return out
}

func TestPortalQuoteAndInvoiceForms(t *testing.T) {
	s, p, rc := pagesApp(t, Options{Quotes: 3, SmartInvoices: 2, Deals: 2}, "ONCRMQUOTEUPDATE", "ONCRMDYNAMICITEMADD")
	card := uiGet(t, s, p, "/crm/type/7/details/1/")
	wantStatus(t, card, http.StatusOK)
	form := shownForm(t, card.body)
	form.Set("STATUS_ID", "APPROVED")
	form.Set("COMMENTS", "Signed on site")
	wantRedirect(t, uiPost(t, s, p, "/crm/type/7/details/1/?user=2", form), "/crm/type/7/details/1/?saved=1")
	if q := mustRecord(t, p, "quote", 1); q["STATUS_ID"] != "APPROVED" || q["COMMENTS"] != "Signed on site" || q["MODIFY_BY_ID"] != "2" {
		t.Errorf("quote = %v", q)
	}
	if ev := rc.wait(t, "ONCRMQUOTEUPDATE"); ev.Get("data[FIELDS][ID]") != "1" {
		t.Errorf("quote event = %v", ev)
	}

	quote := uiPost(t, s, p, "/crm/type/7/details/0/", url.Values{"TITLE": {"Estimate for deal 1"}, "STATUS_ID": {"SENT"}, "DEAL_ID": {"1"}, "OPPORTUNITY": {"880"}, "BEGINDATE": {"2026-02-02"}})
	wantRedirect(t, quote, "/crm/type/7/details/4/?saved=1")
	if q := mustRecord(t, p, "quote", 4); q["TITLE"] != "Estimate for deal 1" || q["STATUS_ID"] != "SENT" || q["DEAL_ID"] != "1" || q["OPPORTUNITY"] != "880.00" {
		t.Errorf("added quote = %v", q)
	}

	add := uiPost(t, s, p, "/crm/type/31/details/0/", url.Values{"TITLE": {"Invoice for deal 2"}, "STAGE_ID": {"DT31_3:S"}, "PARENT_ID_2": {"2"}, "ACCOUNT_NUMBER": {"INV-77"}})
	wantRedirect(t, add, "/crm/type/31/details/3/?saved=1")
	if inv := mustRecord(t, p, "smart_invoice", 3); inv["TITLE"] != "Invoice for deal 2" || inv["STAGE_ID"] != "DT31_3:S" || inv["PARENT_ID_2"] != "2" || inv["ACCOUNT_NUMBER"] != "INV-77" {
		t.Errorf("invoice = %v", inv)
	}
	if ev := rc.wait(t, "ONCRMDYNAMICITEMADD"); ev.Get("data[FIELDS][ENTITY_TYPE_ID]") != "31" {
		t.Errorf("invoice event = %v", ev)
	}
}

// Input the form could not have sent answers 400 with the reason, and the
// item stays as it was.
func TestPortalTypeFormRefusesBadInput(t *testing.T) {
	s, p, _ := pagesApp(t, Options{SmartProcesses: 1, SmartProcessItems: 3})
	before := mustRecord(t, p, "dynamic_128", 1)
	for _, c := range []struct {
		field, value, message string
	}{
		{"OPPORTUNITY", "lots", `Amount: "lots" is not a valid value`},
		{"UF_CRM_1_DUE_DATE", "31.02.2026", `Due date: "31.02.2026" is not a valid value`},
		{"STAGE_ID", "C1:WON", `Stage: "C1:WON" is not a valid value`},
		{"UF_CRM_1_PRIORITY", "9999", `Priority: "9999" is not a valid value`},
		{"COMPANY_ID", "-4", `Company: "-4" is not a valid value`},
		{"OBSERVERS", "77", `Observers: "77" is not a valid value`},
		{"UF_CRM_1_BUDGET", "ten|USD", `Budget: "ten|USD" is not a valid value`},
	} {
		form := url.Values{"TITLE": {"changed"}, c.field: {c.value}}
		wantRefused(t, uiPost(t, s, p, "/crm/type/128/details/1/", form), c.message)
		wantRefused(t, uiPost(t, s, p, "/crm/type/128/details/0/", form), c.message)
	}
	if after := mustRecord(t, p, "dynamic_128", 1); !reflect.DeepEqual(after, before) {
		t.Errorf("refused input changed the item:\n%v\n%v", before, after)
	}
	if _, ok := p.Record("dynamic_128", 4); ok {
		t.Error("a refused new item was added")
	}
}

func TestPortalProductRowsEdit(t *testing.T) {
	s, p, rc := pagesApp(t, Options{Deals: 3, Seed: 5}, "ONCRMDEALUPDATE")
	if err := p.SetProductRows("deal", 2, 1, nil); err != nil {
		t.Fatal(err)
	}
	rowsPath := "/crm/record/2/2/rows"
	wantRedirect(t, uiPost(t, s, p, rowsPath+"?user=2", url.Values{"op": {"add"}, "product": {"403"}, "quantity": {"2"}}), "/crm/deal/details/2/?saved=1")
	wantRedirect(t, uiPost(t, s, p, rowsPath, url.Values{"op": {"add"}, "product": {"405"}, "quantity": {"1"}}), "/crm/deal/details/2/?saved=1")
	rows, _ := p.ProductRows("deal", 2)
	if len(rows) != 2 || fmt.Sprint(rows[0]["PRODUCT_ID"]) != "403" || rows[0]["PRODUCT_NAME"] != `Monitor 27"` || fmt.Sprint(rows[0]["QUANTITY"]) != "2" || fmt.Sprint(rows[0]["PRICE"]) != "340" {
		t.Fatalf("rows after adding = %v", rows)
	}
	if d := mustRecord(t, p, "deal", 2); d["OPPORTUNITY"] != "729.50" || d["MODIFY_BY_ID"] != "1" {
		t.Errorf("deal after adding rows: OPPORTUNITY %v MODIFY_BY_ID %v", d["OPPORTUNITY"], d["MODIFY_BY_ID"])
	}
	if ev := rc.wait(t, "ONCRMDEALUPDATE"); ev.Get("data[FIELDS][ID]") != "2" {
		t.Errorf("event = %v", ev)
	}

	card := uiGet(t, s, p, "/crm/deal/details/2/")
	for _, want := range []string{`<tr data-row="0">`, `name="price" type="number" step="0.01" min="0" value="340.00"`, `<option value="418">Cloud storage 1 TB — 9.99 USD</option>`, "729.50"} {
		if !strings.Contains(card.body, want) {
			t.Errorf("card lacks %q", want)
		}
	}

	wantRedirect(t, uiPost(t, s, p, rowsPath, url.Values{"op": {"update"}, "row": {"0"}, "price": {"400"}, "quantity": {"3"}, "discount": {"10"}}), "/crm/deal/details/2/?saved=1")
	rows, _ = p.ProductRows("deal", 2)
	if fmt.Sprint(rows[0]["PRICE"]) != "360" || fmt.Sprint(rows[0]["QUANTITY"]) != "3" || fmt.Sprint(rows[0]["DISCOUNT_RATE"]) != "10" || fmt.Sprint(rows[0]["DISCOUNT_TYPE_ID"]) != "2" || fmt.Sprint(rows[0]["PRICE_BRUTTO"]) != "400" {
		t.Errorf("updated row = %v", rows[0])
	}
	wantRedirect(t, uiPost(t, s, p, rowsPath, url.Values{"op": {"remove"}, "row": {"1"}}), "/crm/deal/details/2/?saved=1")
	rows, _ = p.ProductRows("deal", 2)
	if len(rows) != 1 || fmt.Sprint(rows[0]["PRODUCT_ID"]) != "403" {
		t.Errorf("rows after removing = %v", rows)
	}
	if d := mustRecord(t, p, "deal", 2); d["OPPORTUNITY"] != "1080.00" {
		t.Errorf("OPPORTUNITY = %v, want 1080.00", d["OPPORTUNITY"])
	}

	for _, c := range []struct {
		form    url.Values
		message string
	}{
		{url.Values{"op": {"add"}, "product": {"999"}, "quantity": {"1"}}, "choose a product of the catalogue"},
		{url.Values{"op": {"add"}, "product": {"401"}, "quantity": {"0"}}, "the quantity must be a number above zero"},
		{url.Values{"op": {"update"}, "row": {"5"}, "price": {"1"}, "quantity": {"1"}, "discount": {"0"}}, "there is no such row"},
		{url.Values{"op": {"update"}, "row": {"0"}, "price": {"1"}, "quantity": {"1"}, "discount": {"150"}}, "the discount must be a percentage from 0 to 100"},
		{url.Values{"op": {"update"}, "row": {"0"}, "price": {"-1"}, "quantity": {"1"}, "discount": {"0"}}, "the price must be a number, zero or more"},
		{url.Values{"op": {"explode"}}, "unknown action"},
	} {
		wantRefused(t, uiPost(t, s, p, rowsPath, c.form), c.message)
	}
	if again, _ := p.ProductRows("deal", 2); !reflect.DeepEqual(again, rows) {
		t.Errorf("refused input changed the rows: %v", again)
	}
	if strings.Contains(uiGet(t, s, p, "/crm/contact/details/1/").body, `action="/crm/record/3/1/rows"`) {
		t.Error("a contact's card offers product rows")
	}
	wantStatus(t, uiPost(t, s, p, "/crm/record/2/99/rows", url.Values{"op": {"remove"}, "row": {"0"}}), http.StatusNotFound)
}

func TestPortalContactsLinkAndUnlink(t *testing.T) {
	s, p, rc := pagesApp(t, Options{Deals: 2, Contacts: 6, Companies: 2}, "ONCRMDEALUPDATE", "ONCRMCOMPANYUPDATE")
	linked := func(method string, id int) []string {
		var ids []string
		for _, it := range list(mustOK(t, hookCall(t, s, p, method, map[string]any{"id": id})).body["result"]) {
			ids = append(ids, fmt.Sprint(object(it)["CONTACT_ID"]))
		}
		return ids
	}
	start := linked("crm.deal.contact.items.get", 1)
	add := "6"
	for slices.Contains(start, add) {
		t.Fatalf("deal 1 already links contact %s", add)
	}
	wantRedirect(t, uiPost(t, s, p, "/crm/record/2/1/contacts?user=2", url.Values{"op": {"add"}, "contact": {add}}), "/crm/deal/details/1/?saved=1")
	if got := linked("crm.deal.contact.items.get", 1); !reflect.DeepEqual(got, append(slices.Clone(start), add)) {
		t.Errorf("deal 1 contacts = %v, want %v and %s", got, start, add)
	}
	if ev := rc.wait(t, "ONCRMDEALUPDATE"); ev.Get("data[FIELDS][ID]") != "1" {
		t.Errorf("event = %v", ev)
	}
	card := uiGet(t, s, p, "/crm/deal/details/1/")
	if !strings.Contains(card.body, `<li data-contact="6"><a href="/crm/contact/details/6/">`) {
		t.Error("the card does not list the linked contact")
	}
	wantRedirect(t, uiPost(t, s, p, "/crm/record/2/1/contacts", url.Values{"op": {"remove"}, "contact": {add}}), "/crm/deal/details/1/?saved=1")
	if got := linked("crm.deal.contact.items.get", 1); !reflect.DeepEqual(got, start) {
		t.Errorf("deal 1 contacts after unlinking = %v, want %v", got, start)
	}

	wantRedirect(t, uiPost(t, s, p, "/crm/record/4/2/contacts", url.Values{"op": {"add"}, "contact": {"5"}}), "/crm/company/details/2/?saved=1")
	if got := linked("crm.company.contact.items.get", 2); !slices.Contains(got, "5") {
		t.Errorf("company 2 contacts = %v, want 5 among them", got)
	}
	if ev := rc.wait(t, "ONCRMCOMPANYUPDATE"); ev.Get("data[FIELDS][ID]") != "2" {
		t.Errorf("company event = %v", ev)
	}

	before := mustRecord(t, p, "deal", 1)
	wantRefused(t, uiPost(t, s, p, "/crm/record/2/1/contacts", url.Values{"op": {"add"}, "contact": {"99"}}), "there is no contact 99")
	wantRefused(t, uiPost(t, s, p, "/crm/record/2/1/contacts", url.Values{"op": {"remove"}, "contact": {"99"}}), "contact 99 is not linked")
	wantRefused(t, uiPost(t, s, p, "/crm/record/2/1/contacts", url.Values{"op": {"add"}, "contact": {"x"}}), "the contact must be a contact's ID")
	wantRefused(t, uiPost(t, s, p, "/crm/record/3/1/contacts", url.Values{"op": {"add"}, "contact": {"2"}}), "a contact has no linked contacts")
	if after := mustRecord(t, p, "deal", 1); !reflect.DeepEqual(after, before) {
		t.Error("refused input changed the deal")
	}
}

// uiUpload posts a file as the card's upload form does.
func uiUpload(t *testing.T, s *Server, p *Portal, path, field, name string, data []byte) uiPage {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("field", field)
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, portalURL(p, path), &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return uiDo(t, s, req)
}

func TestPortalFilesUploadRemoveDownload(t *testing.T) {
	s, p, rc := pagesApp(t, Options{Deals: 2, SmartProcesses: 1, SmartProcessItems: 2}, "ONCRMDEALUPDATE", "ONCRMDYNAMICITEMUPDATE")
	var fileField *field
	for _, f := range entityTypes[2].got {
		if f.isFile() && f.multiple {
			fileField = f
		}
	}
	field := fileField.name
	before := storedIDs(mustRecord(t, p, "deal", 1)[field])
	filesOf := func(entity string, id int, field string) []string {
		v := mustRecord(t, p, entity, id)[field]
		var ids []string
		for _, x := range list(v) {
			ids = append(ids, idText(object(x)["id"]))
		}
		if o := object(v); o != nil {
			ids = append(ids, idText(o["id"]))
		}
		return ids
	}
	start := filesOf("deal", 1, field)
	wantRedirect(t, uiUpload(t, s, p, "/crm/record/2/1/files?user=3", field, "offer.txt", []byte("the offer")), "/crm/deal/details/1/?saved=1")
	now := filesOf("deal", 1, field)
	if len(now) != len(start)+1 || !reflect.DeepEqual(now[:len(start)], start) {
		t.Fatalf("files = %v, want %v and one more (stored %v)", now, start, before)
	}
	id := now[len(now)-1]
	if ev := rc.wait(t, "ONCRMDEALUPDATE"); ev.Get("data[FIELDS][ID]") != "1" {
		t.Errorf("event = %v", ev)
	}
	card := uiGet(t, s, p, "/crm/deal/details/1/")
	link := "/crm/record/2/1/files/" + field + "/" + id
	if !strings.Contains(card.body, `href="`+link+`" download>offer.txt</a>`) {
		t.Fatalf("card lacks the download link %s", link)
	}
	dl := uiGet(t, s, p, link)
	if dl.status != http.StatusOK || dl.body != "the offer" || !strings.Contains(dl.header.Get("Content-Disposition"), `filename=offer.txt`) {
		t.Errorf("download = %d %q %q", dl.status, dl.body, dl.header.Get("Content-Disposition"))
	}
	wantRedirect(t, uiPost(t, s, p, "/crm/record/2/1/files/remove", url.Values{"field": {field}, "file": {id}}), "/crm/deal/details/1/?saved=1")
	if got := filesOf("deal", 1, field); !reflect.DeepEqual(got, start) {
		t.Errorf("files after removing = %v, want %v", got, start)
	}
	wantStatus(t, uiGet(t, s, p, link), http.StatusNotFound)

	wantRefused(t, uiUpload(t, s, p, "/crm/record/2/1/files", field, "", nil), "choose a file to upload")
	wantRefused(t, uiUpload(t, s, p, "/crm/record/2/1/files", "TITLE", "a.txt", []byte("x")), `there is no file field "TITLE"`)
	wantRefused(t, uiPost(t, s, p, "/crm/record/2/1/files/remove", url.Values{"field": {field}, "file": {id}}), "the field holds no file")
	if got := filesOf("deal", 1, field); !reflect.DeepEqual(got, start) {
		t.Errorf("refused input changed the files: %v", got)
	}

	// A smart-process item's single file field takes the upload in
	// crm.item's form, replacing its file.
	wantRedirect(t, uiUpload(t, s, p, "/crm/record/128/1/files", "UF_CRM_1_FILE1", "plan.pdf", []byte("%PDF-1.4")), "/crm/type/128/details/1/?saved=1")
	fid := idText(object(mustRecord(t, p, "dynamic_128", 1)["UF_CRM_1_FILE1"])["id"])
	if ev := rc.wait(t, "ONCRMDYNAMICITEMUPDATE"); ev.Get("data[FIELDS][ID]") != "1" {
		t.Errorf("item event = %v", ev)
	}
	if dl := uiGet(t, s, p, "/crm/record/128/1/files/UF_CRM_1_FILE1/"+fid); dl.status != http.StatusOK || dl.body != "%PDF-1.4" {
		t.Errorf("item download = %d %q", dl.status, dl.body)
	}
	wantRedirect(t, uiPost(t, s, p, "/crm/record/128/1/files/remove", url.Values{"field": {"UF_CRM_1_FILE1"}, "file": {fid}}), "/crm/type/128/details/1/?saved=1")
	if v := mustRecord(t, p, "dynamic_128", 1)["UF_CRM_1_FILE1"]; v != nil && v != "" {
		t.Errorf("item file after removing = %v", v)
	}
}

func TestPortalMoveDealAndStageHistory(t *testing.T) {
	s, p, rc := pagesApp(t, Options{Deals: 12, Seed: 7}, "ONCRMDEALMOVETOCATEGORY", "ONCRMDEALUPDATE")
	id := 0
	for i := 1; i <= 12 && id == 0; i++ {
		if d := mustRecord(t, p, "deal", i); d["CATEGORY_ID"] == "0" {
			id = i
		}
	}
	card := fmt.Sprintf("/crm/deal/details/%d/", id)
	pg := uiGet(t, s, p, card)
	if !strings.Contains(pg.body, `<select name="move"`) || strings.Contains(pg.body, `name="stage"`) {
		t.Fatalf("card before choosing a pipeline: %.300s", pg.body)
	}
	chosen := uiGet(t, s, p, card+"?move=1")
	stage := dealCategories[1].stages[1]
	if !strings.Contains(chosen.body, `<option value="`+stage.statusID+`">`+html.EscapeString(stage.name)+`</option>`) || !strings.Contains(chosen.body, `name="category" value="1"`) {
		t.Fatalf("card after choosing pipeline 1 lacks its stages")
	}
	wantRedirect(t, uiPost(t, s, p, fmt.Sprintf("/crm/record/2/%d/move?user=2", id), url.Values{"category": {"1"}, "stage": {stage.statusID}}), card+"?saved=1")
	if d := mustRecord(t, p, "deal", id); d["CATEGORY_ID"] != "1" || d["STAGE_ID"] != stage.statusID || d["MOVED_BY_ID"] != "2" {
		t.Errorf("moved deal = %v", d)
	}
	if ev := rc.wait(t, "ONCRMDEALMOVETOCATEGORY"); ev.Get("data[FIELDS][ID]") != strconv.Itoa(id) || ev.Get("data[FIELDS][STAGE_ID]") != stage.statusID {
		t.Errorf("move event = %v", ev)
	}

	// A stage change on the form adds a row to the card's stage history,
	// the rows crm.stagehistory.list answers.
	form := shownForm(t, uiGet(t, s, p, card).body)
	next := dealCategories[1].stages[2]
	form.Set("STAGE_ID", next.statusID)
	wantRedirect(t, uiPost(t, s, p, card, form), card+"?saved=1")
	rc.wait(t, "ONCRMDEALUPDATE")
	hist := list(object(mustOK(t, hookCall(t, s, p, "crm.stagehistory.list", map[string]any{"entityTypeId": 2, "filter": map[string]any{"OWNER_ID": id}, "order": map[string]any{"ID": "ASC"}})).body["result"])["items"])
	if len(hist) == 0 || object(hist[len(hist)-1])["STAGE_ID"] != next.statusID {
		t.Fatalf("stage history = %v", hist)
	}
	body := uiGet(t, s, p, card).body
	if !strings.Contains(body, "Stage history") {
		t.Fatal("the card has no stage history")
	}
	for _, h := range hist {
		row := fmt.Sprintf(`<tr data-history="%v">`, object(h)["ID"])
		if !strings.Contains(body, row) {
			t.Errorf("the card's history lacks %s", row)
		}
	}
	if !strings.Contains(body, "<td>Moved</td><td>"+html.EscapeString(next.name)+"</td>") {
		t.Error("the history does not show the move to the new stage")
	}

	before := mustRecord(t, p, "deal", id)
	wantRefused(t, uiPost(t, s, p, fmt.Sprintf("/crm/record/2/%d/move", id), url.Values{"category": {"0"}, "stage": {stage.statusID}}), "is not in pipeline 0")
	wantRefused(t, uiPost(t, s, p, fmt.Sprintf("/crm/record/2/%d/move", id), url.Values{"category": {"x"}}), "choose a pipeline")
	wantRefused(t, uiPost(t, s, p, fmt.Sprintf("/crm/record/2/%d/move", id), url.Values{"category": {"1"}}), "is in pipeline 1 already")
	if after := mustRecord(t, p, "deal", id); !reflect.DeepEqual(after, before) {
		t.Error("a refused move changed the deal")
	}
}

// The sections speak the user's language.
func TestPortalSectionsAreLocalised(t *testing.T) {
	s, p, _ := pagesApp(t, Options{Deals: 2, Seed: 3})
	if err := p.SetUserLanguage(1, "de"); err != nil {
		t.Fatal(err)
	}
	body := uiGet(t, s, p, "/crm/deal/details/1/").body
	for _, w := range []string{"<h2>Produkte</h2>", "<h2>Kontakte</h2>", "<h2>Phasenverlauf</h2>", "<h2>Pipeline</h2>", "<td>Erstellt</td>"} {
		if !strings.Contains(body, w) {
			t.Errorf("German card lacks %s", w)
		}
	}
}

// idText writes a JSON-decoded id as its digits.
func idText(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// Changes on the card's sections are queued for event.offline.get as REST
// changes are, with the person who made them.
func TestPortalSectionChangesReachTheOfflineQueue(t *testing.T) {
	s, p, call := offlineCaller(t, Options{Deals: 2, Contacts: 4}, "ONCRMDEALUPDATE", "ONCRMDEALMOVETOCATEGORY")
	wantRedirect(t, uiPost(t, s, p, "/crm/record/2/1/rows?user=2", url.Values{"op": {"add"}, "product": {"401"}, "quantity": {"1"}}), "/crm/deal/details/1/?saved=1")
	got := records(t, call("event.offline.get", map[string]any{"clear": 0}))
	if len(got) != 1 || got[0]["EVENT_NAME"] != "ONCRMDEALUPDATE" || fmt.Sprint(object(object(got[0]["EVENT_DATA"])["FIELDS"])["ID"]) != "1" || fmt.Sprint(object(got[0]["EVENT_ADDITIONAL"])["user_id"]) != "2" {
		t.Errorf("offline records = %v", got)
	}
	target := "1"
	if mustRecord(t, p, "deal", 1)["CATEGORY_ID"] == "1" {
		target = "2"
	}
	wantRedirect(t, uiPost(t, s, p, "/crm/record/2/1/move?user=3", url.Values{"category": {target}}), "/crm/deal/details/1/?saved=1")
	got = records(t, call("event.offline.get", map[string]any{"clear": 0})) // the first is reserved already
	if len(got) != 1 || got[0]["EVENT_NAME"] != "ONCRMDEALMOVETOCATEGORY" || fmt.Sprint(object(got[0]["EVENT_ADDITIONAL"])["user_id"]) != "3" {
		t.Errorf("offline records after the move = %v", got)
	}
}
