package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestDeletedForPeopleWithReadRights: an employee opens the app and finds
// the deleted records of the types Bitrix24 lets them read now, opens one's
// last state and history and restores it with their own token; a type
// whose read right their role lacks shows none of its records, and its
// pages are refused; an employee without the right on deals sees no deleted
// deal and cannot restore it; the settings stay the administrators'.
func TestDeletedForPeopleWithReadRights(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	const deal, lead, reader, stranger = 4, 2, 2, 3
	r.deleteRecord(t, "deal", deal, r.p.AdminID())
	r.deleteRecord(t, "lead", lead, r.p.AdminID())
	for _, d := range []struct {
		user   int
		entity string
	}{{reader, "lead"}, {stranger, "deal"}, {stranger, "lead"}} {
		if err := r.p.DenyRead(d.user, d.entity, true); err != nil {
			t.Fatal(err)
		}
	}
	dealPath, leadPath := "/deleted/deal/"+itoaInt(deal), "/deleted/lead/"+itoaInt(lead)

	f, status, page := r.OpenApp(t, r.p, reader)
	sessionOf(t, f, status)
	if !strings.Contains(page, `hx-get="/deleted"`) || strings.Contains(page, "/settings/") {
		t.Errorf("the employee's page is not the deleted records':\n%.500s", page)
	}
	list := f.Must(200, "GET", "/deleted", nil)
	if !strings.Contains(list, `data-record="`+dealPath+`"`) {
		t.Errorf("the reader does not find the deleted deal:\n%s", list)
	}
	if strings.Contains(list, leadPath) || strings.Contains(list, `value="lead"`) {
		t.Errorf("the reader finds leads, which their role may not read:\n%s", list)
	}
	if only := f.Must(200, "GET", "/deleted?type=lead", nil); strings.Contains(only, leadPath) {
		t.Errorf("the type filter shows a lead:\n%s", only)
	}
	rec := f.Must(200, "GET", dealPath, nil)
	if !strings.Contains(rec, "deleted-record-view") || !strings.Contains(rec, dealPath+"/restore") {
		t.Errorf("the deleted deal's page:\n%.800s", rec)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", leadPath}, {"GET", leadPath + "/entries"}, {"GET", leadPath + "/restore"}, {"POST", leadPath + "/restore"},
		{"GET", "/settings/deleted"}, {"GET", "/settings/deleted/deal/" + itoaInt(deal)},
	} {
		if status, body := f.Do(c.method, c.path, url.Values{"key": {"x"}}); status != 403 {
			t.Errorf("the reader: %s %s = %d, want 403: %.200s", c.method, c.path, status, body)
		}
	}

	g, status, _ := r.OpenApp(t, r.p, stranger)
	sessionOf(t, g, status)
	if list := g.Must(200, "GET", "/deleted", nil); strings.Contains(list, dealPath) || strings.Contains(list, leadPath) {
		t.Errorf("an employee without read rights finds the deleted records:\n%s", list)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", dealPath}, {"GET", dealPath + "/restore"}, {"POST", dealPath + "/restore"},
	} {
		if status, body := g.Do(c.method, c.path, url.Values{"key": {"x"}}); status != 403 {
			t.Errorf("without the read right: %s %s = %d, want 403: %.200s", c.method, c.path, status, body)
		}
	}

	// The reader restores the deal with their own token.
	preview := f.Must(200, "GET", dealPath+"/restore", nil)
	m := keyRe.FindStringSubmatch(preview)
	if m == nil {
		t.Fatalf("no preview for the reader:\n%s", preview)
	}
	before := r.dealsAfter(t, 0)
	done := f.Must(200, "POST", dealPath+"/restore", url.Values{"key": {m[1]}})
	if !restoredAsRe.MatchString(done) {
		t.Fatalf("the reader's restore:\n%s", done)
	}
	if n := r.dealsAfter(t, 0); n != before+1 {
		t.Errorf("%d deals after the restore, want %d", n, before+1)
	}
	if n := r.Count(t, "SELECT count(*) FROM reverts WHERE recreate AND user_id = $1", reader); n != 1 {
		t.Errorf("%d restores by the reader stored, want 1", n)
	}
}
