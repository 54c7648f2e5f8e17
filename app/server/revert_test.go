package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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

// reverts is one installed portal whose records have a history.
type reverts struct {
	*stack
	p  *b24test.Portal
	id int64
}

func newReverts(t *testing.T) *reverts {
	t.Helper()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 20, Contacts: 5, Companies: 3, Leads: 5, Seed: 21}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	return &reverts{stack: s, p: p, id: s.Installed(t, p)}
}

// edit changes a record as user and waits until Trail recorded it; it
// returns the change's id.
func (r *reverts) edit(t *testing.T, entity string, id, user int, fields map[string]any) int64 {
	t.Helper()
	typ := crmType(t, entity)
	before := r.lastChange(t, typ, int64(id))
	if err := r.p.UpdateRecord(entity, id, user, fields); err != nil {
		t.Fatal(err)
	}
	return r.nextChange(t, typ, int64(id), before)
}

func (r *reverts) lastChange(t *testing.T, typ crm.Type, id int64) int64 {
	t.Helper()
	var last int64
	for _, h := range r.History(t, r.id, typ, id) {
		last = max(last, h.ChangeID)
	}
	return last
}

// nextChange waits for a change of the record after the change before.
func (r *reverts) nextChange(t *testing.T, typ crm.Type, id, before int64) int64 {
	t.Helper()
	var next int64
	trailtest.Eventually(t, "the change recorded", func() bool {
		next = r.lastChange(t, typ, id)
		return next > before
	})
	return next
}

// get is the record as the portal's own REST get returns it to the admin.
func (r *reverts) get(t *testing.T, entity string, id int) history.Snapshot {
	t.Helper()
	b := r.read(t, "crm."+entity+".get", url.Values{"id": {itoaInt(id)}})
	var out struct{ Result json.RawMessage }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("crm.%s.get: %v %s", entity, err, b)
	}
	s, err := history.ParseSnapshot(out.Result)
	if err != nil {
		t.Fatalf("crm.%s.get: %v %s", entity, err, b)
	}
	return s
}

// read calls a method of the portal as its administrator. The test
// shares the portal's rate limit with Trail: a refused call (503
// QUERY_LIMIT_EXCEEDED) is made again once the bucket drains.
func (r *reverts) read(t *testing.T, method string, q url.Values) []byte {
	t.Helper()
	tok, err := r.p.IssueTokens(r.p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	q.Set("auth", tok.AccessToken)
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := r.Emu.Client().Get(r.p.ClientEndpoint() + method + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return b
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("%s: %d %s", method, resp.StatusCode, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// same compares fields of two states as Trail reads them (normalised).
func (r *reverts) same(t *testing.T, entity string, want, got history.Snapshot, fields []string) {
	t.Helper()
	schema := r.schema(t, crmType(t, entity))
	for _, f := range fields {
		w, g := history.Normalize(schema.Field(f), want[f]), history.Normalize(schema.Field(f), got[f])
		if f == "PHONE" || f == "EMAIL" { // re-added items get new ids
			w, g = withoutIDs(w), withoutIDs(g)
		}
		if !w.Equal(g) {
			t.Errorf("%s %s = %v after the revert, want %v", entity, f, g, w)
		}
	}
}

func withoutIDs(v history.Value) history.Value {
	var texts []string
	for _, e := range v.List {
		texts = append(texts, e.ValueType+":"+e.Text)
	}
	return history.Value{Kind: history.KindText, Text: strings.Join(sorted(texts), ",")}
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func (r *reverts) schema(t *testing.T, typ crm.Type) *history.Schema {
	t.Helper()
	raw, err := db.LoadMeta(t.Context(), r.DB.Bun, r.id, db.MetaFields(typ))
	if err != nil {
		t.Fatal(err)
	}
	s, err := history.ParseFields(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	keyRe     = regexp.MustCompile(`name="key" value="([^"]+)"`)
	checkedRe = regexp.MustCompile(`name="field" value="([A-Z0-9_]+)" checked`)
)

// preview opens the revert preview of a change (of one field when field
// is set) and returns the page, its key and the fields ticked by default.
func preview(t *testing.T, f *trailtest.Frame, entity string, id int, change int64, field string) (string, string, []string) {
	t.Helper()
	q := url.Values{}
	if field != "" {
		q.Set("field", field)
	}
	body := f.Must(200, "GET", "/tab/"+entity+"/"+itoaInt(id)+"/revert/"+itoa64(change), q)
	var key string
	if m := keyRe.FindStringSubmatch(body); m != nil {
		key = m[1]
	}
	var ticked []string
	for _, m := range checkedRe.FindAllStringSubmatch(body, -1) {
		ticked = append(ticked, m[1])
	}
	return body, key, ticked
}

func submit(t *testing.T, f *trailtest.Frame, entity string, id int, change int64, key string, fields []string) string {
	t.Helper()
	return f.Must(200, "POST", "/tab/"+entity+"/"+itoaInt(id)+"/revert/"+itoa64(change), url.Values{"key": {key}, "field": fields})
}

func itoa64(n int64) string { return itoaInt(int(n)) }

// outcome is the outcome a revert's answer shows for a field.
func outcome(body, field string) string {
	return trailtest.Between(body, `data-field="`+field+`" data-outcome="`, `"`)
}

// TestRevertRoundTrip: every kind of field a deal has goes old → new →
// revert → old, as the portal's own get reads it; the revert is recorded
// as a change by the person who made it, with the source "revert" and the
// change it put back.
func TestRevertRoundTrip(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	deal := 0
	for id := 1; id <= 20 && deal == 0; id++ {
		if rec, ok := r.p.Record("deal", id); ok && rec["CATEGORY_ID"] == "0" {
			deal = id
		}
	}
	fields := map[string]any{
		"TITLE": "Reverted title", "COMMENTS": "a comment", "OPPORTUNITY": "777.25", "CURRENCY_ID": "EUR",
		"BEGINDATE": "2026-03-04", "STAGE_ID": "PREPARATION", "ASSIGNED_BY_ID": "3", "COMPANY_ID": "2", "OPENED": "N",
		dealUFString: "street 5", dealUFEnum: "47", dealUFDouble: "9.75", dealUFDate: "2026-07-08", dealUFTags: []string{"red", "blue"},
	}
	r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "warm-up"}) // the record is known before the change
	before := r.get(t, "deal", deal)
	change := r.edit(t, "deal", deal, 2, fields)
	var names []string // the fields the change changed
	for _, h := range r.History(t, r.id, crm.Deal, int64(deal)) {
		if h.ChangeID == change && !slices.Contains(names, h.Field) {
			names = append(names, h.Field)
		}
	}
	if len(names) < 12 {
		t.Fatalf("the change changed only %v", names)
	}

	f, status, _ := r.OpenTab(t, r.p, r.p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	page, key, ticked := preview(t, f, "deal", deal, change, "")
	if key == "" || len(ticked) != len(names) {
		t.Fatalf("preview ticks %v of %v:\n%s", ticked, names, page)
	}
	body := submit(t, f, "deal", deal, change, key, ticked)
	for _, n := range names {
		if o := outcome(body, n); o != db.OutcomeWritten {
			t.Errorf("%s: outcome %q, want written", n, o)
		}
	}
	r.same(t, "deal", before, r.get(t, "deal", deal), names)

	// Trail records the revert as the admin's change, marked as a revert.
	reverted := r.nextChange(t, crm.Deal, int64(deal), change)
	for _, h := range r.History(t, r.id, crm.Deal, int64(deal)) {
		if h.ChangeID != reverted {
			continue
		}
		if h.Source != "revert" || h.RevertsChangeID == nil || *h.RevertsChangeID != change || h.AuthorID == nil || *h.AuthorID != int64(r.p.AdminID()) {
			t.Errorf("revert's row %s: source %q, reverts %v, author %v", h.Field, h.Source, h.RevertsChangeID, h.AuthorID)
		}
	}
	if entries := f.Must(200, "GET", "/tab/deal/"+itoaInt(deal)+"/entries", nil); !strings.Contains(entries, "by a revert") ||
		!strings.Contains(entries, `href="#change-`+itoa64(change)+`"`) || !strings.Contains(entries, `id="change-`+itoa64(change)+`"`) {
		t.Errorf("the tab does not show the change as a revert linked to the change it put back:\n%s", entries)
	}

	// A pipeline move is put back with crm.item.update (categoryId).
	last := r.lastChange(t, crm.Deal, int64(deal))
	before = r.get(t, "deal", deal)
	if err := r.p.MoveDeal(deal, 1, "", 2); err != nil {
		t.Fatal(err)
	}
	move := r.nextChange(t, crm.Deal, int64(deal), last)
	_, key, ticked = preview(t, f, "deal", deal, move, "")
	body = submit(t, f, "deal", deal, move, key, ticked)
	if outcome(body, "CATEGORY_ID") != db.OutcomeWritten {
		t.Fatalf("pipeline revert: %s", body)
	}
	r.same(t, "deal", before, r.get(t, "deal", deal), []string{"CATEGORY_ID", "STAGE_ID"})
}

// TestRevertOneField: a field of a change is put back alone; multi-fields
// of a contact are restored by item id (a removed phone comes back, an
// added e-mail goes, an edited one gets its old value), and a lead's field
// round-trips too.
func TestRevertOneField(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const contact = 2
	r.edit(t, "contact", contact, 2, map[string]any{"NAME": "warm-up", "EMAIL": []map[string]any{{"VALUE": "first@example.com", "VALUE_TYPE": "WORK"}}})
	before := r.get(t, "contact", contact)
	phones, _ := before["PHONE"], before["EMAIL"]
	var ph []struct{ ID string }
	_ = json.Unmarshal(phones, &ph)
	var em []struct{ ID string }
	_ = json.Unmarshal(before["EMAIL"], &em)
	if len(ph) == 0 || len(em) == 0 {
		t.Fatalf("contact %d needs a phone and an e-mail: %s %s", contact, before["PHONE"], before["EMAIL"])
	}
	change := r.edit(t, "contact", contact, 2, map[string]any{
		"NAME":  "Changed name",
		"PHONE": []map[string]any{{"ID": ph[0].ID, "DELETE": "Y"}},
		"EMAIL": []map[string]any{{"ID": em[0].ID, "VALUE": "changed@example.com", "VALUE_TYPE": "HOME"}, {"VALUE": "added@example.com", "VALUE_TYPE": "WORK"}},
	})
	f, status, _ := r.OpenTab(t, r.p, 2, "CRM_CONTACT_DETAIL_TAB", itoaInt(contact))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	for _, field := range []string{"PHONE", "EMAIL"} {
		_, key, ticked := preview(t, f, "contact", contact, change, field)
		if len(ticked) != 1 || ticked[0] != field {
			t.Fatalf("preview of %s ticks %v", field, ticked)
		}
		if body := submit(t, f, "contact", contact, change, key, ticked); outcome(body, field) != db.OutcomeWritten {
			t.Fatalf("%s: %s", field, body)
		}
	}
	now := r.get(t, "contact", contact)
	r.same(t, "contact", before, now, []string{"PHONE", "EMAIL"})
	if string(now["NAME"]) != `"Changed name"` {
		t.Errorf("NAME = %s: a field not reverted must stay", now["NAME"])
	}

	// A lead's field, by an employee, attributed to that employee.
	const lead = 3
	r.edit(t, "lead", lead, 3, map[string]any{"TITLE": "warm-up"})
	leadBefore := r.get(t, "lead", lead)
	lc := r.edit(t, "lead", lead, 3, map[string]any{"TITLE": "Lead changed", "COMMENTS": "lead comment"})
	lf, _, _ := r.OpenTab(t, r.p, 2, "CRM_LEAD_DETAIL_TAB", itoaInt(lead))
	_, key, _ := preview(t, lf, "lead", lead, lc, "TITLE")
	submit(t, lf, "lead", lead, lc, key, []string{"TITLE"})
	r.same(t, "lead", leadBefore, r.get(t, "lead", lead), []string{"TITLE"})
	next := r.nextChange(t, crm.Lead, lead, lc)
	for _, h := range r.History(t, r.id, crm.Lead, lead) {
		if h.ChangeID == next && (h.AuthorID == nil || *h.AuthorID != 2 || h.Source != "revert") {
			t.Errorf("the employee's revert is recorded as by %v, source %q", h.AuthorID, h.Source)
		}
	}
}

// TestRevertConflicts: a field edited again since the change is flagged
// and unticked; a field edited in the portal between preview and submit is
// not written (the edit is kept); two submits of one preview write once.
func TestRevertConflicts(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal = 7
	r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "one"})
	first := r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "two", "COMMENTS": "c2"})
	r.edit(t, "deal", deal, 3, map[string]any{"TITLE": "three"})

	f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	page, key, ticked := preview(t, f, "deal", deal, first, "")
	if len(ticked) != 1 || ticked[0] != "COMMENTS" || !strings.Contains(page, "changed again since") {
		t.Fatalf("conflicting TITLE must be flagged and unticked; ticked %v:\n%s", ticked, page)
	}

	// An edit between the preview and the submit wins.
	raced := r.lastChange(t, crm.Deal, deal)
	if err := r.p.UpdateRecord("deal", deal, 3, map[string]any{"COMMENTS": "edited meanwhile"}); err != nil {
		t.Fatal(err)
	}
	body := submit(t, f, "deal", deal, first, key, ticked)
	if outcome(body, "COMMENTS") != db.OutcomeConflict {
		t.Fatalf("raced field: %s", body)
	}
	r.nextChange(t, crm.Deal, deal, raced) // the edit recorded, before the next one
	if got := string(r.get(t, "deal", deal)["COMMENTS"]); got != `"edited meanwhile"` {
		t.Errorf("COMMENTS = %s: the portal's edit must stay", got)
	}

	// Double submit: two posts of one preview, one write.
	last := r.edit(t, "deal", deal, 2, map[string]any{"COMMENTS": "to undo"})
	_, key, ticked = preview(t, f, "deal", deal, last, "")
	writesBefore := updates(r.p)
	var wg sync.WaitGroup
	bodies, statuses := make([]string, 2), make([]int, 2)
	for i := range bodies {
		page := r.Page(t, f.Session) // one page each: a page is not safe for concurrent use
		form := url.Values{"key": {key}, "field": ticked}
		wg.Go(func() {
			statuses[i], bodies[i] = page.Do("POST", "/tab/deal/"+itoaInt(deal)+"/revert/"+itoa64(last), form)
		})
	}
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 200 {
		t.Fatalf("submits answered %v", statuses)
	}
	if outcome(bodies[0], "COMMENTS") != db.OutcomeWritten && outcome(bodies[1], "COMMENTS") != db.OutcomeWritten {
		t.Fatalf("neither submit wrote: %q %q", bodies[0], bodies[1])
	}
	r.nextChange(t, crm.Deal, deal, last)
	if n := updates(r.p) - writesBefore; n != 1 {
		t.Errorf("two submits sent %d update events, want 1", n)
	}
	if n := r.Count(t, "SELECT count(*) FROM reverts WHERE portal_id = $1 AND key = $2", r.id, key); n != 1 {
		t.Errorf("%d audit rows for one preview", n)
	}
}

// updates counts the portal's deal update events delivered so far.
func updates(p *b24test.Portal) int {
	n := 0
	for _, d := range p.Deliveries() {
		if d.Event == "ONCRMDEALUPDATE" {
			n++
		}
	}
	return n
}

// TestRevertRights: the portal decides with the user's own token. The
// own-records user loses a deal reassigned to someone else and cannot
// revert that: the portal's reason is shown and audited; the admin sees
// the audit on the settings page.
func TestRevertRights(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	own := r.p.OwnRecordsUserID()
	deal := 0
	for id := 1; id <= 20 && deal == 0; id++ {
		if rec, ok := r.p.Record("deal", id); ok && rec["ASSIGNED_BY_ID"] == itoaInt(own) {
			deal = id
		}
	}
	if deal == 0 {
		if err := r.p.UpdateRecord("deal", 9, 1, map[string]any{"ASSIGNED_BY_ID": itoaInt(own)}); err != nil {
			t.Fatal(err)
		}
		deal = 9
	}
	r.edit(t, "deal", deal, 1, map[string]any{"TITLE": "warm-up"})
	f, status, _ := r.OpenTab(t, r.p, own, "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("own-records user's tab = %d", status)
	}
	change := r.edit(t, "deal", deal, 1, map[string]any{"ASSIGNED_BY_ID": "2"})
	body, key, _ := preview(t, f, "deal", deal, change, "")
	if key != "" || outcome(body, "ASSIGNED_BY_ID") != db.OutcomeRefused || !strings.Contains(body, "Access denied") {
		t.Fatalf("the portal's refusal must be shown:\n%s", body)
	}
	if got := string(r.get(t, "deal", deal)["ASSIGNED_BY_ID"]); got != `"2"` {
		t.Errorf("ASSIGNED_BY_ID = %s: nothing may be written", got)
	}

	admin, _, _ := r.OpenApp(t, r.p, r.p.AdminID())
	page := admin.Must(200, "GET", "/settings/reverts", nil)
	if !strings.Contains(page, "Access denied") || !strings.Contains(page, "/crm/deal/details/"+itoaInt(deal)) {
		t.Errorf("the audit list lacks the refused revert:\n%s", page)
	}
}

// rowsOf is a record's product rows as the portal lists them, each as
// Trail reads it, without the row ids (a set gives every row a new one).
func (r *reverts) rowsOf(t *testing.T, entity string, id int) []string {
	t.Helper()
	q := url.Values{"filter[=ownerType]": {map[string]string{"deal": "D", "lead": "L"}[entity]}, "filter[=ownerId]": {itoaInt(id)}}
	var out struct{ Result json.RawMessage }
	if err := json.Unmarshal(r.read(t, "crm.item.productrow.list", q), &out); err != nil {
		t.Fatal(err)
	}
	raw, err := history.RowsValue(out.Result)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, v := range history.Normalize(history.Field{Name: history.ProductRows, Type: history.TypeProductRow, Multiple: true}, raw).List {
		texts = append(texts, v.Text)
	}
	return sorted(texts)
}

// revertAll previews a change and submits every field it ticks.
func revertAll(t *testing.T, f *trailtest.Frame, entity string, id int, change int64) string {
	t.Helper()
	page, key, ticked := preview(t, f, entity, id, change, "")
	if key == "" {
		t.Fatalf("no preview:\n%s", page)
	}
	return submit(t, f, entity, id, change, key, ticked)
}

// TestRevertRowsLinksFiles: product rows come back as a set, linked
// contacts as a list, an added file goes; a replaced file the portal no
// longer holds is skipped with the reason.
func TestRevertRowsLinksFiles(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal = 4
	r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "warm-up"})
	f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))

	rowsBefore := r.rowsOf(t, "deal", deal)
	last := r.lastChange(t, crm.Deal, deal)
	if err := r.p.SetProductRows("deal", deal, 2, []map[string]any{
		{"PRODUCT_ID": 1, "PRICE": 10, "QUANTITY": 3}, {"PRODUCT_NAME": "Installation", "PRICE": 99.5, "QUANTITY": 1, "DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": 10},
	}); err != nil {
		t.Fatal(err)
	}
	rowsChange := r.nextChange(t, crm.Deal, deal, last)
	if body := revertAll(t, f, "deal", deal, rowsChange); outcome(body, history.ProductRows) != db.OutcomeWritten {
		t.Fatalf("rows: %s", body)
	}
	if got := r.rowsOf(t, "deal", deal); !slices.Equal(got, rowsBefore) {
		t.Errorf("rows after the revert %v, want %v", got, rowsBefore)
	}
	r.nextChange(t, crm.Deal, deal, rowsChange) // the revert recorded, before the next edit

	before := r.Snapshot(t, r.id, crm.Deal, deal)
	links := r.edit(t, "deal", deal, 2, map[string]any{"CONTACT_IDS": []string{"3", "4"}})
	if body := revertAll(t, f, "deal", deal, links); outcome(body, "CONTACT_IDS") != db.OutcomeWritten {
		t.Fatalf("links: %s", body)
	}
	r.nextChange(t, crm.Deal, deal, links)
	was, _ := history.ParseSnapshot(before.Data)
	now, _ := history.ParseSnapshot(r.Snapshot(t, r.id, crm.Deal, deal).Data)
	r.same(t, "deal", was, now, []string{"CONTACT_IDS"})

	const multi, single = "UF_CRM_1700000007", "UF_CRM_1700000006"
	filesBefore := r.get(t, "deal", deal)
	last = r.lastChange(t, crm.Deal, deal)
	if _, err := r.p.AttachFile("deal", deal, 2, multi, "added.pdf", []byte("%PDF added")); err != nil {
		t.Fatal(err)
	}
	added := r.nextChange(t, crm.Deal, deal, last)
	if body := revertAll(t, f, "deal", deal, added); outcome(body, multi) != db.OutcomeWritten {
		t.Fatalf("added file: %s", body)
	}
	r.same(t, "deal", filesBefore, r.get(t, "deal", deal), []string{multi})

	last = r.nextChange(t, crm.Deal, deal, added)
	if _, err := r.p.AttachFile("deal", deal, 2, single, "one.pdf", []byte("%PDF one")); err != nil {
		t.Fatal(err)
	}
	last = r.nextChange(t, crm.Deal, deal, last)
	if _, err := r.p.AttachFile("deal", deal, 2, single, "two.pdf", []byte("%PDF two")); err != nil {
		t.Fatal(err)
	}
	replaced := r.nextChange(t, crm.Deal, deal, last)
	page, _, ticked := preview(t, f, "deal", deal, replaced, "")
	if len(ticked) != 0 || !strings.Contains(page, "no longer has this file") {
		t.Errorf("a replaced file must be skipped with the reason; ticked %v:\n%s", ticked, page)
	}
}
