package server_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

var fieldBoxRe = regexp.MustCompile(`name="field" value="([A-Z0-9_]+)"([^>]*)>`)

// restoreQuery is the moment just after a change of a record, as the
// as-of view names it.
func (r *reverts) restoreQuery(t *testing.T, typ crm.Type, id, change int64) url.Values {
	t.Helper()
	for _, h := range r.History(t, r.id, typ, id) {
		if h.ChangeID == change {
			return url.Values{"at": {h.ChangedAt.Format(time.RFC3339Nano)}, "after": {itoa64(change)}}
		}
	}
	t.Fatalf("no change %d", change)
	return nil
}

// restorePreview opens the preview of putting a deal back as of a moment;
// it returns the page, its key, the fields ticked by default and those
// that can be ticked at all.
func restorePreview(t *testing.T, f *trailtest.Frame, deal int, q url.Values) (page, key string, ticked, writable []string) {
	t.Helper()
	page = f.Must(200, "GET", "/tab/deal/"+itoaInt(deal)+"/restore", q)
	if m := keyRe.FindStringSubmatch(page); m != nil {
		key = m[1]
	}
	for _, m := range fieldBoxRe.FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[2], "disabled") {
			continue
		}
		writable = append(writable, m[1])
		if strings.Contains(m[2], "checked") {
			ticked = append(ticked, m[1])
		}
	}
	return page, key, ticked, writable
}

func restoreSubmit(t *testing.T, f *trailtest.Frame, deal int, key string, fields []string) string {
	t.Helper()
	return f.Must(200, "POST", "/tab/deal/"+itoaInt(deal)+"/restore", url.Values{"key": {key}, "field": fields})
}

// TestRestoreMoment: a deal edited several times (fields, stage, product
// rows, contacts, a pipeline move) is put back as of its second moment:
// the portal's own get, rows and links then equal the record at that
// moment. Fields someone else changed since are unticked by default, the
// person's own later edit is ticked; a field Trail did not know then is
// skipped with the reason; the write is recorded as restoring that moment.
func TestRestoreMoment(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	deal := 0
	for id := 1; id <= 20 && deal == 0; id++ {
		if rec, ok := r.p.Record("deal", id); ok && rec["CATEGORY_ID"] == "0" {
			deal = id
		}
	}
	admin := r.p.AdminID()
	r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "first moment"})
	second := r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "second moment", "OPPORTUNITY": "120.50", "STAGE_ID": "PREPARATION", "CONTACT_IDS": []string{"3"}})
	wantGet, wantRows := r.get(t, "deal", deal), r.rowsOf(t, "deal", deal)
	wantSnap, _ := history.ParseSnapshot(r.Snapshot(t, r.id, crm.Deal, int64(deal)).Data)

	// A field Trail did not know at that moment: its stored value is
	// forgotten, so its next change has an unknown earlier value.
	if _, err := r.DB.Bun.ExecContext(t.Context(), "UPDATE snapshots SET data = data - ? WHERE portal_id = ? AND entity = ? AND entity_id = ?",
		dealUFString, r.id, int(crm.Deal), deal); err != nil {
		t.Fatal(err)
	}
	r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "third", "OPPORTUNITY": "999", "STAGE_ID": "EXECUTING", dealUFString: "learned later"})
	last := r.lastChange(t, crm.Deal, int64(deal))
	if err := r.p.SetProductRows("deal", deal, 2, []map[string]any{{"PRODUCT_ID": 1, "PRICE": 10, "QUANTITY": 3}}); err != nil {
		t.Fatal(err)
	}
	r.nextChange(t, crm.Deal, int64(deal), last)
	r.edit(t, "deal", deal, 2, map[string]any{"CONTACT_IDS": []string{"4", "5"}})
	last = r.lastChange(t, crm.Deal, int64(deal))
	if err := r.p.MoveDeal(deal, 1, "", 2); err != nil {
		t.Fatal(err)
	}
	r.nextChange(t, crm.Deal, int64(deal), last)
	r.edit(t, "deal", deal, admin, map[string]any{"COMMENTS": "the admin's own note"})

	f, status, _ := r.OpenTab(t, r.p, admin, "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	q := r.restoreQuery(t, crm.Deal, int64(deal), second)
	if asof := f.Must(200, "GET", "/tab/deal/"+itoaInt(deal)+"/asof", q); !strings.Contains(asof, `class="button light restore"`) {
		t.Fatalf("the as-of view offers no restore:\n%s", asof)
	}
	page, key, ticked, writable := restorePreview(t, f, deal, q)
	if key == "" {
		t.Fatalf("no preview:\n%s", page)
	}
	for _, field := range []string{"TITLE", "OPPORTUNITY", "STAGE_ID", "CATEGORY_ID", history.ProductRows, "CONTACT_IDS"} {
		if !slices.Contains(writable, field) || slices.Contains(ticked, field) {
			t.Errorf("%s: writable %v, ticked %v: another's later change must be offered unticked", field, slices.Contains(writable, field), slices.Contains(ticked, field))
		}
	}
	if !slices.Contains(ticked, "COMMENTS") {
		t.Errorf("the person's own later edit must be ticked: ticked %v", ticked)
	}
	unknownRow := trailtest.Between(page, `data-field="`+dealUFString+`"`, `</tr>`)
	if slices.Contains(writable, dealUFString) || !strings.Contains(unknownRow, "the earlier value is unknown") {
		t.Errorf("a field unknown then must be skipped with the reason: %s", unknownRow)
	}

	body := restoreSubmit(t, f, deal, key, writable)
	for _, field := range writable {
		if o := outcome(body, field); o != db.OutcomeWritten {
			t.Errorf("%s: outcome %q, want written", field, o)
		}
	}
	get := r.get(t, "deal", deal)
	var compared []string
	for _, field := range writable {
		if field != history.ProductRows && field != "CONTACT_IDS" {
			compared = append(compared, field)
		}
	}
	r.same(t, "deal", wantGet, get, compared)
	if got := r.rowsOf(t, "deal", deal); !slices.Equal(got, wantRows) {
		t.Errorf("rows after the restore %v, want %v", got, wantRows)
	}
	if got := string(get[dealUFString]); got != `"learned later"` {
		t.Errorf("%s = %s: a field unknown then must stay", dealUFString, got)
	}

	// Trail records the write as the admin's, restoring that moment.
	var at time.Time
	trailtest.Eventually(t, "the restore recorded as such", func() bool {
		for _, h := range r.History(t, r.id, crm.Deal, int64(deal)) {
			if h.Source == "revert" && h.RestoresMoment != nil {
				at = *h.RestoresMoment
				return h.AuthorID != nil && *h.AuthorID == int64(admin)
			}
		}
		return false
	})
	if want, _ := time.Parse(time.RFC3339Nano, q.Get("at")); !at.Equal(want) {
		t.Errorf("the change restores %v, want %v", at, want)
	}
	now, _ := history.ParseSnapshot(r.Snapshot(t, r.id, crm.Deal, int64(deal)).Data)
	r.same(t, "deal", wantSnap, now, []string{"CONTACT_IDS"})
	if entries := f.Must(200, "GET", "/tab/deal/"+itoaInt(deal)+"/entries", nil); !strings.Contains(entries, "puts the record back as of") {
		t.Errorf("the tab does not show the change as a restore:\n%s", entries)
	}
}

// TestRestoreRights: the portal decides with the user's own token. The
// own-records user may read a deal since reassigned to someone else only
// through Trail's tab, and cannot put it back: the portal's reason is
// shown and audited, and nothing is written.
func TestRestoreRights(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	own := r.p.OwnRecordsUserID()
	const deal = 9
	if err := r.p.UpdateRecord("deal", deal, 1, map[string]any{"ASSIGNED_BY_ID": itoaInt(own)}); err != nil {
		t.Fatal(err)
	}
	moment := r.edit(t, "deal", deal, 1, map[string]any{"TITLE": "while it was theirs"})
	f, status, _ := r.OpenTab(t, r.p, own, "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("own-records user's tab = %d", status)
	}
	r.edit(t, "deal", deal, 1, map[string]any{"ASSIGNED_BY_ID": "2", "TITLE": "now someone else's"})
	page, key, _, _ := restorePreview(t, f, deal, r.restoreQuery(t, crm.Deal, deal, moment))
	if key != "" || outcome(page, "TITLE") != db.OutcomeRefused || !strings.Contains(page, "Access denied") {
		t.Fatalf("the portal's refusal must be shown:\n%s", page)
	}
	if got := r.get(t, "deal", deal); string(got["ASSIGNED_BY_ID"]) != `"2"` || string(got["TITLE"]) != `"now someone else's"` {
		t.Errorf("ASSIGNED_BY_ID %s, TITLE %s: nothing may be written", got["ASSIGNED_BY_ID"], got["TITLE"])
	}
	if n := r.Count(t, "SELECT count(*) FROM reverts WHERE portal_id = $1 AND moment IS NOT NULL AND state = 'done'", r.id); n != 1 {
		t.Errorf("%d audited restores, want the refused one", n)
	}
	admin, _, _ := r.OpenApp(t, r.p, r.p.AdminID())
	if page := admin.Must(200, "GET", "/settings/reverts", nil); !strings.Contains(page, "Access denied") || !strings.Contains(page, "as of ") {
		t.Errorf("the audit list lacks the refused restore and its moment:\n%s", page)
	}
}

// TestRestoreTwice: two posts of one preview write once, and the audit
// row names the moment instead of a change.
func TestRestoreTwice(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal = 5
	moment := r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "as it was"})
	last := r.edit(t, "deal", deal, 2, map[string]any{"TITLE": "to undo"})
	f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	_, key, _, writable := restorePreview(t, f, deal, r.restoreQuery(t, crm.Deal, deal, moment))
	if !slices.Equal(writable, []string{"TITLE"}) {
		t.Fatalf("only TITLE differs from that moment; the preview offers %v", writable)
	}
	writesBefore := updates(r.p)
	var wg sync.WaitGroup
	bodies, statuses := make([]string, 2), make([]int, 2)
	for i := range bodies {
		page := r.Page(t, f.Session) // one page each: a page is not safe for concurrent use
		form := url.Values{"key": {key}, "field": writable}
		wg.Go(func() { statuses[i], bodies[i] = page.Do("POST", "/tab/deal/"+itoaInt(deal)+"/restore", form) })
	}
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 200 {
		t.Fatalf("submits answered %v", statuses)
	}
	if outcome(bodies[0], "TITLE") != db.OutcomeWritten && outcome(bodies[1], "TITLE") != db.OutcomeWritten {
		t.Fatalf("neither submit wrote: %q %q", bodies[0], bodies[1])
	}
	r.nextChange(t, crm.Deal, deal, last)
	if n := updates(r.p) - writesBefore; n != 1 {
		t.Errorf("two submits sent %d update events, want 1", n)
	}
	if got := string(r.get(t, "deal", deal)["TITLE"]); got != `"as it was"` {
		t.Errorf("TITLE = %s", got)
	}
	if n := r.Count(t, "SELECT count(*) FROM reverts WHERE portal_id = $1 AND key = $2 AND change_id = 0 AND moment IS NOT NULL", r.id, key); n != 1 {
		t.Errorf("%d audit rows naming the moment for one preview", n)
	}
	// A restore's key does not submit a change's revert, nor the reverse.
	if status, _ := f.Do("POST", "/tab/deal/"+itoaInt(deal)+"/revert/"+itoa64(last), url.Values{"key": {key}}); status != 404 {
		t.Errorf("a restore's key submitted as a change's revert = %d, want 404", status)
	}
}
