package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/jobs"
)

// Emulated user fields of deals and contacts (b24test userFields).
const (
	dealUFString, dealUFEnum, dealUFDouble, dealUFDate, dealUFTags = "UF_CRM_1700000001", "UF_CRM_1700000002", "UF_CRM_1700000003", "UF_CRM_1700000004", "UF_CRM_1700000005"
	contactUFTags                                                  = "UF_CRM_1700000205"
)

// dealFill gives a deal's fields of every emulated type a value; dealClear
// empties the same fields, the way a person clears them in the form.
var (
	dealFill = map[string]any{
		"COMMENTS": "filled comment", "PROBABILITY": "40", "OPPORTUNITY": "1234.50", "BEGINDATE": "2026-05-04",
		"SOURCE_ID": "PARTNER", "COMPANY_ID": "1", "CONTACT_ID": "1", "OPENED": "Y",
		dealUFString: "address", dealUFEnum: "46", dealUFDouble: "2.5", dealUFDate: "2026-06-01", dealUFTags: []string{"tag"},
	}
	dealClear = map[string]any{
		"COMMENTS": "", "PROBABILITY": "", "OPPORTUNITY": "", "BEGINDATE": "",
		"SOURCE_ID": "", "COMPANY_ID": "", "CONTACT_ID": "", "OPENED": "N",
		dealUFString: nil, dealUFEnum: nil, dealUFDouble: nil, dealUFDate: nil, dealUFTags: []string{},
	}
)

// edits is a portal whose records have empty fields before Trail is
// installed, so that its baseline (a listing) stores them empty.
type edits struct {
	*stack
	p  *b24test.Portal
	id int64
	rc *jobs.Client
}

func newEdits(t *testing.T, deals, contacts []int) *edits {
	t.Helper()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Contacts: 5, Leads: 2, Companies: 2, Seed: 11}})
	p := s.Emu.Portals()[0]
	for _, id := range deals {
		if err := p.UpdateRecord("deal", id, p.AdminID(), dealClear); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range contacts {
		clearContact(t, p, id)
	}
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	rc, err := jobs.NewClient(jobs.Deps{DB: s.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &edits{stack: s, p: p, id: s.Installed(t, p), rc: rc}
}

// clearContact empties a contact's phones, e-mails, birth date and tags.
func clearContact(t *testing.T, p *b24test.Portal, id int) {
	t.Helper()
	rec, _ := p.Record("contact", id)
	fields := map[string]any{"BIRTHDATE": "", contactUFTags: []string{}}
	for _, fm := range []string{"PHONE", "EMAIL"} {
		items, _ := rec[fm].([]any)
		var del []map[string]any
		for _, it := range items {
			del = append(del, map[string]any{"ID": it.(map[string]any)["ID"], "DELETE": "Y"})
		}
		if del != nil {
			fields[fm] = del
		}
	}
	if err := p.UpdateRecord("contact", id, p.AdminID(), fields); err != nil {
		t.Fatal(err)
	}
}

// run inserts a job as the periodic sweep or an admin would, and waits for
// it and for the inbox to drain.
func (e *edits) run(t *testing.T, args river.JobArgs) {
	t.Helper()
	e.quiet(t)
	for {
		res, err := e.rc.Insert(context.Background(), args, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.drained(t, args.Kind(), res.Job.ID)
		if !res.UniqueSkippedAsDuplicate {
			return
		}
		// A job of the same kind (the periodic sweep's, say) was under way
		// and may have looked before the edit: run one of our own.
	}
}

func (e *edits) drained(t *testing.T, what string, jobID int64) {
	t.Helper()
	trailtest.Eventually(t, what+" done and drained", func() bool {
		if jobID != 0 && e.Job(t, jobID).State != rivertype.JobStateCompleted || e.InboxDepth(t, e.id) != 0 {
			return false
		}
		for _, j := range trailtest.Jobs[jobs.DrainArgs](t, e.Stack) {
			if j.State != rivertype.JobStateCompleted {
				return false
			}
		}
		return true
	})
}

// nextSecond waits until the clock has left the second of the record's
// DATE_MODIFY.
func (e *edits) nextSecond(t *testing.T, entity string, id int) {
	t.Helper()
	rec, _ := e.p.Record(entity, id)
	modified, err := time.Parse(time.RFC3339, rec["DATE_MODIFY"].(string))
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "a second after DATE_MODIFY", func() bool { return time.Now().Unix() > modified.Unix() })
}

// quiet waits until no pull of the offline queue or drain is under way, so
// that the next edit reaches Trail only by the path a test opens.
func (e *edits) quiet(t *testing.T) {
	t.Helper()
	trailtest.Eventually(t, "no pull or drain under way", func() bool {
		return len(trailtest.Jobs[jobs.OfflineArgs](t, e.Stack, trailtest.Unfinished...)) == 0 &&
			len(trailtest.Jobs[jobs.DrainArgs](t, e.Stack, trailtest.Unfinished...)) == 0
	})
}

// olds returns the old value of each field changed on the record: "" for
// empty, else the stored value's kind ("unknown" for not known).
func (e *edits) olds(t *testing.T, entity string, id int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range e.History(t, e.id, crmType(t, entity), int64(id)) {
		if r.Action != "updated" {
			t.Errorf("%s %d: a %s row", entity, id, r.Action)
		}
		var old struct{ Kind string }
		_ = json.Unmarshal(r.OldValue, &old)
		out[r.Field] = old.Kind
	}
	return out
}

func crmType(t *testing.T, name string) crm.Type {
	t.Helper()
	ct, ok := crm.ParseType(name)
	if !ok {
		t.Fatalf("no CRM type %q", name)
	}
	return ct
}

// TestFilledInFieldsRecorded: a field that was empty and is given a value
// is recorded, for every emulated field type, on every path by which Trail
// learns of the edit, and whether the stored state came from the baseline
// listing, a resync, or an earlier release's storage. A field the stored
// state never held is recorded with its old value unknown.
func TestFilledInFieldsRecorded(t *testing.T) {
	t.Parallel()
	e := newEdits(t, []int{1, 2, 3, 4, 5, 6}, []int{1, 2})
	unknownUF := dealUFString
	cases := []struct {
		name    string
		entity  string
		id      int
		before  func(t *testing.T) // runs before the edit
		deliver func(t *testing.T) // makes Trail learn of the edit
		fill    map[string]any
		// unknown are fields whose old value must be "unknown" rather
		// than empty
		unknown []string
		source  string // if set, the source every row must have
	}{
		{name: "online event", entity: "deal", id: 1, fill: dealFill},
		{name: "offline queue", entity: "deal", id: 2, fill: dealFill,
			before:  func(t *testing.T) { e.p.SetFaults(b24test.Faults{LoseDeliveries: true}) },
			deliver: func(t *testing.T) { e.run(t, jobs.OfflineArgs{PortalID: e.id}); e.p.SetFaults(b24test.Faults{}) }},
		{name: "reconciliation", entity: "deal", id: 3, fill: dealFill,
			before: func(t *testing.T) {
				// Reconciliation compares DATE_MODIFY, which counts whole
				// seconds: the edit must fall in a later second than the
				// stored state.
				e.nextSecond(t, "deal", 3)
				e.p.SetFaults(b24test.Faults{LoseDeliveries: true})
			},
			deliver: func(t *testing.T) { e.run(t, jobs.ReconcileArgs{PortalID: e.id}); e.p.SetFaults(b24test.Faults{}) },
			source:  "unknown"}, // what reconciliation alone can tell
		{name: "after a resync", entity: "deal", id: 4, fill: dealFill,
			before: func(t *testing.T) { e.run(t, jobs.SyncArgs{PortalID: e.id, Entity: crm.Deal, Full: true}) }},
		{name: "snapshot stored by the previous release", entity: "deal", id: 5, fill: dealFill,
			// The previous release left empty fields out; the migration
			// marks its rows format 1. Multiple user fields were not
			// listed by UF_*, so theirs is not known.
			before: func(t *testing.T) {
				e.exec(t, "UPDATE snapshots SET data = jsonb_strip_nulls(data), format = 1 WHERE portal_id = $1 AND entity = 2 AND entity_id = 5", e.id)
			},
			unknown: []string{dealUFTags}},
		{name: "field added after the snapshot", entity: "deal", id: 6, fill: dealFill,
			before: func(t *testing.T) {
				e.exec(t, "UPDATE snapshots SET data = data - $2 WHERE portal_id = $1 AND entity = 2 AND entity_id = 6", e.id, unknownUF)
			},
			unknown: []string{unknownUF}},
		{name: "multi-fields online", entity: "contact", id: 1, fill: map[string]any{
			"PHONE": []map[string]any{{"VALUE": "+15550001", "VALUE_TYPE": "WORK"}}, "EMAIL": []map[string]any{{"VALUE": "a@example.com", "VALUE_TYPE": "WORK"}},
			"BIRTHDATE": "1990-02-03", contactUFTags: []string{"golf"}}},
		{name: "multi-fields offline", entity: "contact", id: 2, fill: map[string]any{
			"PHONE": []map[string]any{{"VALUE": "+15550002", "VALUE_TYPE": "MOBILE"}}, contactUFTags: []string{"chess"}},
			before:  func(t *testing.T) { e.p.SetFaults(b24test.Faults{LoseDeliveries: true}) },
			deliver: func(t *testing.T) { e.run(t, jobs.OfflineArgs{PortalID: e.id}); e.p.SetFaults(b24test.Faults{}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.quiet(t)
			if n := len(e.olds(t, c.entity, c.id)); n != 0 {
				t.Fatalf("%s %d has %d history rows before the edit", c.entity, c.id, n)
			}
			if c.before != nil {
				c.before(t)
			}
			if err := e.p.UpdateRecord(c.entity, c.id, 2, c.fill); err != nil {
				t.Fatal(err)
			}
			if c.deliver != nil {
				c.deliver(t)
			} else {
				e.drained(t, "online delivery", 0)
				trailtest.Eventually(t, "the edit recorded", func() bool { return len(e.olds(t, c.entity, c.id)) > 0 })
			}
			got := e.olds(t, c.entity, c.id)
			// Filling in a deal's contact links it: its list of contacts
			// changes too.
			if _, ok := c.fill["CONTACT_ID"]; ok && c.entity == "deal" {
				if _, ok := got["CONTACT_IDS"]; !ok {
					t.Errorf("the contact linked: CONTACT_IDS not recorded (history: %v)", got)
				}
				delete(got, "CONTACT_IDS")
			}
			for field := range c.fill {
				want := ""
				for _, u := range c.unknown {
					if u == field {
						want = "unknown"
					}
				}
				if old, ok := got[field]; !ok {
					t.Errorf("%s filled in: not recorded (history: %v)", field, got)
				} else if old != want {
					t.Errorf("%s filled in: old value %q, want %q", field, old, want)
				}
			}
			if len(got) != len(c.fill) {
				t.Errorf("history has fields %v, want exactly those filled in", got)
			}
			if c.source != "" {
				for _, r := range e.History(t, e.id, crmType(t, c.entity), int64(c.id)) {
					if r.Source != c.source {
						t.Errorf("a row with source %s, not %s: another path recorded the edit", r.Source, c.source)
					}
				}
			}
		})
	}

	// The tab says so, rather than showing the field as emptied.
	_, status, body := e.OpenTab(t, e.p, e.p.AdminID(), "CRM_DEAL_DETAIL_TAB", "6")
	if status != 200 || !strings.Contains(body, `class="old unknown"`) || !strings.Contains(body, "earlier value unknown") {
		t.Errorf("tab of deal 6 = %d, lacks the unknown earlier value:\n%s", status, body)
	}
}

func (e *edits) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	tag, err := e.DB.Pool.Exec(context.Background(), q, args...)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("%s: %v (%d rows)", q, err, tag.RowsAffected())
	}
}

// deleteEvent is ONCRMDEALDELETE as anyone holding the portal's
// application token can send it, naming an author and a time of its choice.
func deleteEvent(p *b24test.Portal, id int, userID string, ts time.Time) url.Values {
	f := crmEvent(p, p.MemberID(), p.ApplicationToken(), id)
	f.Set("event", "ONCRMDEALDELETE")
	f.Set("ts", strconv.FormatInt(ts.Unix(), 10))
	f.Set("auth[user_id]", userID)
	f.Set("auth[access_token]", "forged-access-token")
	return f
}

type histRow struct {
	action, field string
	author        *int64
	at            time.Time
}

func (e *edits) history(t *testing.T, id int) []histRow {
	t.Helper()
	var out []histRow
	for _, r := range e.History(t, e.id, crm.Deal, int64(id)) {
		out = append(out, histRow{action: r.Action, field: r.Field, author: r.AuthorID, at: r.ChangedAt})
	}
	return out
}

func (e *edits) deletedAt(t *testing.T, id int) bool {
	t.Helper()
	snap := e.Snapshot(t, e.id, crm.Deal, int64(id))
	return snap != nil && snap.DeletedAt != nil
}

// TestForgedDeletions: a delete event is a hint to look, never proof. A
// deletion is recorded only when the portal, asked with Trail's own grant,
// says the record is gone; its author only from the offline queue, which
// Trail reads with its own grant; its time from Trail's clock. The ts and
// auth[user_id] a delivery carries never reach history.
func TestForgedDeletions(t *testing.T) {
	t.Parallel()
	e := newEdits(t, nil, nil)
	past, future := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().Add(10*365*24*time.Hour)
	const attacker, editor = "666", 2
	sane := func(t *testing.T, rows []histRow, from time.Time) {
		t.Helper()
		for _, r := range rows {
			if r.at.Before(from.Add(-time.Minute)) || r.at.After(time.Now().Add(time.Minute)) {
				t.Errorf("%s %s recorded at %s, outside the test's run", r.action, r.field, r.at)
			}
			if r.author != nil && *r.author == 666 {
				t.Errorf("%s %s recorded with the author the sender named", r.action, r.field)
			}
		}
	}
	start := time.Now()

	t.Run("forged delete of a deal that exists", func(t *testing.T) {
		for _, ts := range []time.Time{past, future} {
			if got := e.post(t, "/bitrix/events", deleteEvent(e.p, 2, attacker, ts)); got != 200 {
				t.Fatalf("forged delete: status %d", got)
			}
		}
		e.drained(t, "forged delete", 0)
		if rows := e.history(t, 2); len(rows) != 0 {
			t.Errorf("forged delete wrote history %+v", rows)
		}
		if e.deletedAt(t, 2) {
			t.Error("forged delete marked the snapshot deleted")
		}
		// The next genuine edit is recorded.
		if err := e.p.UpdateRecord("deal", 2, editor, map[string]any{"TITLE": "Still here"}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "the genuine edit recorded", func() bool { return len(e.history(t, 2)) == 1 })
		rows := e.history(t, 2)
		if r := rows[0]; r.action != "updated" || r.field != "TITLE" || r.author == nil || *r.author != editor {
			t.Errorf("genuine edit recorded as %+v", r)
		}
		sane(t, rows, start)
	})

	t.Run("deal marked deleted by an earlier release", func(t *testing.T) {
		// The previous release took a forged delete event at its word.
		e.exec(t, "UPDATE snapshots SET deleted_at = now() WHERE portal_id = $1 AND entity = 2 AND entity_id = 7", e.id)
		if err := e.p.UpdateRecord("deal", 7, editor, map[string]any{"TITLE": "Never gone"}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "the edit recorded", func() bool { return len(e.history(t, 7)) == 1 })
		if r := e.history(t, 7)[0]; r.action != "updated" || r.field != "TITLE" {
			t.Errorf("edit recorded as %+v", r)
		}
		if e.deletedAt(t, 7) {
			t.Error("the snapshot is still marked deleted")
		}
	})

	t.Run("delete event for a deal changed unseen", func(t *testing.T) {
		// A change whose delivery was lost, then a delete event: the look
		// it prompts records the change as an update by its real author.
		e.p.SetFaults(b24test.Faults{LoseDeliveries: true})
		if err := e.p.UpdateRecord("deal", 3, editor, map[string]any{"TITLE": "Changed unseen"}); err != nil {
			t.Fatal(err)
		}
		e.p.SetFaults(b24test.Faults{})
		if got := e.post(t, "/bitrix/events", deleteEvent(e.p, 3, attacker, past)); got != 200 {
			t.Fatalf("delete hint: status %d", got)
		}
		e.drained(t, "delete hint", 0)
		rows := e.history(t, 3)
		if len(rows) != 1 || rows[0].action != "updated" || rows[0].field != "TITLE" || rows[0].author == nil || *rows[0].author != editor {
			t.Errorf("history = %+v, want the TITLE update by %d", rows, editor)
		}
		if e.deletedAt(t, 3) {
			t.Error("the snapshot is marked deleted")
		}
		sane(t, rows, start)
	})

	t.Run("genuine deletion delivered online", func(t *testing.T) {
		before := time.Now()
		if err := e.p.DeleteRecord("deal", 4, editor); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "the deletion recorded", func() bool { return e.deletedAt(t, 4) })
		rows := e.history(t, 4)
		if len(rows) == 0 || rows[0].action != "deleted" {
			t.Fatalf("history = %+v, want a deletion", rows)
		}
		sane(t, rows, before)
		// An online delivery's auth[user_id] is not verified; the offline
		// queue, at its next pull, names the deleter.
		e.run(t, jobs.OfflineArgs{PortalID: e.id})
		for _, r := range e.history(t, 4) {
			if r.author == nil || *r.author != editor {
				t.Errorf("a row of the deletion without its deleter after the offline queue was read: %+v", r)
			}
		}
	})

	t.Run("genuine deletion from the offline queue", func(t *testing.T) {
		before := time.Now()
		e.p.SetFaults(b24test.Faults{LoseDeliveries: true})
		if err := e.p.DeleteRecord("deal", 5, editor); err != nil {
			t.Fatal(err)
		}
		e.run(t, jobs.OfflineArgs{PortalID: e.id})
		e.p.SetFaults(b24test.Faults{})
		rows := e.history(t, 5)
		if len(rows) == 0 {
			t.Fatal("the deletion was not recorded")
		}
		for _, r := range rows {
			if r.action != "deleted" || r.author == nil || *r.author != editor {
				t.Errorf("row %+v, want deleted by %d (EVENT_ADDITIONAL.user_id)", r, editor)
			}
		}
		sane(t, rows, before)
	})

	t.Run("forged ts on a real deletion", func(t *testing.T) {
		// The deal is really gone, but Trail learns of it only from a
		// delivery that names its own author and a far-off time.
		before := time.Now()
		e.quiet(t) // no pull that could read the deleter from the offline queue
		e.p.SetFaults(b24test.Faults{LoseDeliveries: true})
		if err := e.p.DeleteRecord("deal", 6, editor); err != nil {
			t.Fatal(err)
		}
		e.p.SetFaults(b24test.Faults{})
		if got := e.post(t, "/bitrix/events", deleteEvent(e.p, 6, attacker, future)); got != 200 {
			t.Fatalf("delete: status %d", got)
		}
		trailtest.Eventually(t, "the deletion recorded", func() bool { return e.deletedAt(t, 6) })
		rows := e.history(t, 6)
		if len(rows) == 0 || rows[0].action != "deleted" {
			t.Fatalf("history = %+v, want a deletion", rows)
		}
		for _, r := range rows {
			if r.author != nil {
				t.Errorf("deletion recorded with author %d from an unverified delivery", *r.author)
			}
		}
		sane(t, rows, before)

		// The offline queue, read later, names the deleter; the time stays.
		e.run(t, jobs.OfflineArgs{PortalID: e.id})
		named := e.history(t, 6)
		if len(named) != len(rows) {
			t.Fatalf("history went from %d to %d rows", len(rows), len(named))
		}
		for i, r := range named {
			if r.author == nil || *r.author != editor || !r.at.Equal(rows[i].at) {
				t.Errorf("row %+v after the offline queue, want author %d at %s", r, editor, rows[i].at)
			}
		}
	})

	for _, r := range e.HistoryOf(t, e.id) {
		if d := time.Since(r.ChangedAt); d > 24*time.Hour || d < -24*time.Hour {
			t.Errorf("a history row carries a time far from now: %+v", r)
		}
		if r.AuthorID != nil && *r.AuthorID == 666 {
			t.Errorf("history names the sender's author: %+v", r)
		}
	}
}
