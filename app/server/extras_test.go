package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/jobs"
)

// A deal moved to another pipeline fires ONCRMDEALMOVETOCATEGORY and no
// update event: Trail binds it, records the move from the event at once
// (not at the next reconciliation), and the tab shows it as one entry,
// pipeline and stage by name.
func TestDealPipelineMove(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 11}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	portalID := s.Installed(t, p)
	const deal, editor = 2, 2
	if err := p.MoveDeal(deal, 0, "PREPARATION", editor); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the deal in pipeline 0", func() bool {
		snap := s.Snapshot(t, portalID, crm.Deal, deal)
		return snap != nil && strings.Contains(string(snap.Data), `"STAGE_ID": "PREPARATION"`)
	})
	before := len(s.History(t, portalID, crm.Deal, deal))
	if err := p.MoveDeal(deal, 1, "C1:EXECUTING", editor); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the move delivered to Trail's events handler", func() bool {
		for _, d := range p.Deliveries() {
			if d.Event == "ONCRMDEALMOVETOCATEGORY" && strings.HasSuffix(d.URL, "/bitrix/events") && d.Status == 200 {
				return true
			}
		}
		return false
	})
	trailtest.Eventually(t, "the move recorded", func() bool {
		return len(s.History(t, portalID, crm.Deal, deal)) >= before+2
	})
	var change int64
	fields := map[string]bool{}
	for _, r := range s.History(t, portalID, crm.Deal, deal)[before:] {
		fields[r.Field] = true
		if change == 0 {
			change = r.ChangeID
		}
		// Only the online event names a person: a reconciliation would not.
		if r.ChangeID != change || r.Source != "person" || r.AuthorID == nil || *r.AuthorID != editor {
			t.Errorf("move row %+v: want one change by person %d from the event", r, editor)
		}
	}
	if !fields["CATEGORY_ID"] || !fields["STAGE_ID"] {
		t.Errorf("the move recorded %v, want CATEGORY_ID and STAGE_ID", fields)
	}

	_, status, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	entry := trailtest.Between(body, `<li class="entry updated">`, "</li>") // the newest
	pipeline := trailtest.Between(entry, `data-field="CATEGORY_ID"`, "</tr>")
	stage := trailtest.Between(entry, `data-field="STAGE_ID"`, "</tr>")
	for what, want := range map[string][]string{pipeline: {"General", "Wholesale"}, stage: {"Preparing documents", "Shipping"}} {
		for _, w := range want {
			if !strings.Contains(what, w) {
				t.Errorf("the move's entry shows %q, want %q in it", what, w)
			}
		}
	}
}

// hook calls a REST method through the portal administrator's incoming
// webhook, as an integration would, and returns the result.
func hook(t *testing.T, s *stack, p *b24test.Portal, method string, params map[string]any) json.RawMessage {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	// The test shares the portal's rate limit with Trail: a call the portal
	// refused for it (503, nothing done) is made again once the bucket drains.
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := s.Emu.Client().Post(p.WebhookURL()+method+".json", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Result json.RawMessage `json:"result"`
			Error  string          `json:"error_description"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			return out.Result
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("%s: %d %v %s", method, resp.StatusCode, err, out.Error)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// rowChanges are the product-row changes of a record's history, as "kind
// name" ("added Sofa").
func rowChanges(t *testing.T, e *edits, id int64, source string) []string {
	t.Helper()
	var out []string
	for _, r := range e.History(t, e.id, crm.Deal, id) {
		if r.Field != history.ProductRows || source != "" && r.Source != source {
			continue
		}
		raw := r.NewValue
		if r.ChangeKind == "removed" {
			raw = r.OldValue
		}
		var v history.Value
		_ = json.Unmarshal(raw, &v)
		row, _ := history.ParseRow(v)
		out = append(out, r.ChangeKind+" "+row.Name)
	}
	slices.Sort(out)
	return out
}

// A deal's product rows are part of its state: the baseline reads them,
// and rows added, changed and removed are recorded from the deal's update
// event and, when that is lost, by reconciliation, each named by its
// product.
func TestProductRowsRecorded(t *testing.T) {
	t.Parallel()
	e := newEdits(t, nil, nil)
	const deal = 1
	seeded, _ := e.p.ProductRows("deal", deal)
	if snap := e.Snapshot(t, e.id, crm.Deal, deal); snap == nil || !strings.Contains(string(snap.Data), `"PRODUCT_ROWS"`) ||
		len(seeded) > 0 && !strings.Contains(string(snap.Data), `"productName"`) {
		t.Fatalf("the baseline lacks the deal's %d product rows", len(seeded))
	}

	// Rows replaced from the card: the old ones removed, the new added.
	err := e.p.SetProductRows("deal", deal, 2, []map[string]any{
		{"PRODUCT_NAME": "Sofa", "PRICE": 100, "QUANTITY": 2},
		{"PRODUCT_NAME": "Chair", "PRICE": 40, "QUANTITY": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the rows added", func() bool {
		return slices.Contains(rowChanges(t, e, deal, "person"), "added Sofa")
	})
	if got := rowChanges(t, e, deal, ""); len(got) != 2+len(seeded) || !slices.Contains(got, "added Chair") {
		t.Errorf("row changes %q, want Sofa and Chair added and the %d seeded rows removed", got, len(seeded))
	}
	rows, _ := e.p.ProductRows("deal", deal)
	ids := map[string]any{}
	for _, r := range rows {
		ids[r["PRODUCT_NAME"].(string)] = r["ID"]
	}

	// One row edited in place, another removed: one change each.
	e.quiet(t)
	hook(t, e.stack, e.p, "crm.item.productrow.update", map[string]any{"id": ids["Sofa"], "fields": map[string]any{"quantity": 3}})
	trailtest.Eventually(t, "the quantity change", func() bool {
		return slices.Contains(rowChanges(t, e, deal, ""), "item_changed Sofa")
	})
	hook(t, e.stack, e.p, "crm.item.productrow.delete", map[string]any{"id": ids["Chair"]})
	trailtest.Eventually(t, "the removal", func() bool {
		return slices.Contains(rowChanges(t, e, deal, ""), "removed Chair")
	})
	_, status, body := e.OpenTab(t, e.p, e.p.AdminID(), "CRM_DEAL_DETAIL_TAB", "1")
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	var changed string
	for _, tr := range strings.Split(body, `<tr data-field="PRODUCT_ROWS">`)[1:] {
		if strings.Contains(tr, "Product: Sofa") && strings.Contains(tr, `class="old"`) {
			changed = tr[:strings.Index(tr, "</tr>")]
			break
		}
	}
	if !strings.Contains(changed, "quantity 2") || !strings.Contains(changed, "quantity 3") || strings.Contains(changed, "price") {
		t.Errorf("the quantity change shows %q, want Product: Sofa, quantity 2 → quantity 3 and nothing else", changed)
	}

	// The update event lost: reconciliation finds the deal's DATE_MODIFY moved.
	e.nextSecond(t, "deal", deal)
	e.p.SetFaults(b24test.Faults{LoseDeliveries: true})
	hook(t, e.stack, e.p, "crm.item.productrow.update", map[string]any{"id": ids["Sofa"], "fields": map[string]any{"price": 90}})
	e.run(t, jobs.ReconcileArgs{PortalID: e.id})
	e.p.SetFaults(b24test.Faults{})
	if got := rowChanges(t, e, deal, "unknown"); !slices.Equal(got, []string{"item_changed Sofa"}) {
		t.Errorf("reconciliation recorded %q, want the Sofa's change", got)
	}

	// More rows than one page of the list: every one is read.
	many := make([]map[string]any, 120)
	for i := range many {
		many[i] = map[string]any{"PRODUCT_NAME": fmt.Sprintf("Part %03d", i), "PRICE": 1, "QUANTITY": 1}
	}
	if err := e.p.SetProductRows("deal", deal, 2, many); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "every row added", func() bool {
		return slices.Contains(rowChanges(t, e, deal, ""), "added Part 119")
	})
	added := 0
	for _, c := range rowChanges(t, e, deal, "") {
		if strings.HasPrefix(c, "added Part ") {
			added++
		}
	}
	if added != len(many) {
		t.Errorf("%d of %d rows recorded as added", added, len(many))
	}
}

// The contacts linked to a deal are part of its state: a contact linked
// and unlinked is recorded, and shown by name.
func TestDealContactsLinked(t *testing.T) {
	t.Parallel()
	e := newEdits(t, nil, nil)
	const deal = 2
	linked := func() []string {
		var out []string
		for _, r := range e.History(t, e.id, crm.Deal, deal) {
			if r.Field == "CONTACT_IDS" {
				raw := r.NewValue
				if r.ChangeKind == "removed" {
					raw = r.OldValue
				}
				out = append(out, r.ChangeKind+" "+trailtest.Text(raw))
			}
		}
		return out
	}
	e.quiet(t)
	if string(hook(t, e.stack, e.p, "crm.deal.contact.add", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 4}})) != "true" {
		t.Fatal("contact 4 was linked already")
	}
	trailtest.Eventually(t, "the link recorded", func() bool { return slices.Equal(linked(), []string{"added 4"}) })
	hook(t, e.stack, e.p, "crm.deal.contact.delete", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 4}})
	trailtest.Eventually(t, "the unlink recorded", func() bool { return slices.Equal(linked(), []string{"added 4", "removed 4"}) })

	contact, _ := e.p.Record("contact", 4)
	name := strings.TrimSpace(fmt.Sprint(contact["NAME"], " ", contact["LAST_NAME"]))
	_, _, body := e.OpenTab(t, e.p, e.p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	row := trailtest.Between(body, `data-field="CONTACT_IDS"`, "</tr>")
	if !strings.Contains(row, name) {
		t.Errorf("the link shows %q, want the contact's name %q", row, name)
	}
}

// A file replaced in a deal's file field shows as a change of files, each
// opened through Trail: an administrator gets the file, with its name, as
// an attachment; a user who may not read the deal and another portal's
// session get nothing.
func TestFileReplacedAndOpened(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 20, Seed: 13}})
	p, other := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, q := range []*b24test.Portal{p, other} {
		if _, err := q.Install(); err != nil {
			t.Fatal(err)
		}
	}
	portalID := s.Installed(t, p)
	s.Installed(t, other)
	ownOnly := p.OwnRecordsUserID()
	deal, own := 0, 0
	for id := 1; id <= 20; id++ {
		rec, _ := p.Record("deal", id)
		switch {
		case rec["ASSIGNED_BY_ID"] == itoaInt(ownOnly) && own == 0:
			own = id
		case rec["ASSIGNED_BY_ID"] != itoaInt(ownOnly) && deal == 0:
			deal = id
		}
	}
	if deal == 0 || own == 0 {
		t.Fatal("the check needs a deal of the own-records user and one of another")
	}
	const field = "UF_CRM_1700000006" // the deal's single file field
	first, err := p.AttachFile("deal", deal, 2, field, "contract-v1.pdf", []byte("%PDF first"))
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the first file recorded", func() bool {
		snap := s.Snapshot(t, portalID, crm.Deal, int64(deal))
		return snap != nil && strings.Contains(string(snap.Data), strconv.Itoa(first))
	})
	e := &edits{stack: s, p: p, id: portalID}
	e.quiet(t)
	second, err := p.AttachFile("deal", deal, 2, field, "contract-v2.pdf", []byte("%PDF second"))
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the replacement recorded", func() bool {
		for _, r := range s.History(t, portalID, crm.Deal, int64(deal)) {
			if r.Field == field && trailtest.Text(r.OldValue) == strconv.Itoa(first) && trailtest.Text(r.NewValue) == strconv.Itoa(second) {
				return true
			}
		}
		return false
	})

	f, status, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	href := fmt.Sprintf("/tab/deal/%d/file/%s/%d", deal, field, second)
	row := trailtest.Between(body, `data-field="`+field+`"`, "</tr>")
	if !strings.Contains(row, `href="`+href+`"`) || !strings.Contains(row, fmt.Sprintf(`file/%s/%d"`, field, first)) {
		t.Fatalf("the replacement does not link both files through Trail: %s", row)
	}
	resp, got := s.Do(t, "GET", href, nil, http.Header{"X-Session-Token": {f.Session}})
	if resp.StatusCode != 200 || got != "%PDF second" {
		t.Fatalf("the administrator opening the file = %d %q", resp.StatusCode, got)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=contract-v2.pdf` {
		t.Errorf("Content-Disposition = %q, want the file's name as an attachment", cd)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type = %q, want the portal's", ct)
	}
	// The tab names its file links: a HEAD answers the name and size alone.
	resp, got = s.Do(t, "HEAD", href, nil, http.Header{"X-Session-Token": {f.Session}})
	if resp.StatusCode != 200 || got != "" || resp.Header.Get("Content-Disposition") != `attachment; filename=contract-v2.pdf` || resp.ContentLength != int64(len("%PDF second")) {
		t.Errorf("HEAD of the file = %d %q %q %d, want its name and size only", resp.StatusCode, got, resp.Header.Get("Content-Disposition"), resp.ContentLength)
	}

	// A user who may read only their own deals has a session for theirs,
	// which does not open another's files.
	mine, status, _ := s.OpenTab(t, p, ownOnly, "CRM_DEAL_DETAIL_TAB", itoaInt(own))
	if status != 200 {
		t.Fatalf("the own-records user's tab = %d", status)
	}
	if resp, got := s.Do(t, "GET", href, nil, http.Header{"X-Session-Token": {mine.Session}}); resp.StatusCode == 200 || strings.Contains(got, "PDF") {
		t.Errorf("a user without read rights opened the file: %d %q", resp.StatusCode, got)
	}
	// Another portal's administrator, on the deal of the same number there.
	theirs, status, _ := s.OpenTab(t, other, other.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("the other portal's tab = %d", status)
	}
	if resp, got := s.Do(t, "GET", href, nil, http.Header{"X-Session-Token": {theirs.Session}}); resp.StatusCode == 200 || strings.Contains(got, "PDF") {
		t.Errorf("another portal's session opened the file: %d %q", resp.StatusCode, got)
	}
	// Not a file field, or not a file id: 404 before any call.
	if resp, _ := s.Do(t, "GET", fmt.Sprintf("/tab/deal/%d/file/TITLE/%d", deal, second), nil, http.Header{"X-Session-Token": {f.Session}}); resp.StatusCode != 404 {
		t.Errorf("a file of TITLE = %d, want 404", resp.StatusCode)
	}
}
