package web

import (
	"context"
	"github.com/trailhq/trail/app/crm"
	"net/url"
	"testing"

	"github.com/trailhq/trail/db"
)

func TestSettingsPageAndItsFragments(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	token := s.admin(t)
	s.do(t, "GET", "/settings/sync", token, nil).want(t, 200)
	s.do(t, "GET", "/settings/health", token, nil).want(t, 200)
	s.do(t, "GET", "/settings/health/portal", token, nil).want(t, 200, "ONAPPUNINSTALL")
	s.do(t, "GET", "/settings/calls?days=7&method=crm.deal", token, nil).want(t, 200)
	s.do(t, "GET", "/bitrix/install/status", token, nil).want(t, 200)
	for _, bad := range []string{"days=9", "method=crm%25", "outcome=a%20b", "page=-1"} {
		s.do(t, "GET", "/settings/calls?"+bad, token, nil).want(t, 400)
	}
	s.do(t, "GET", "/settings/sync", "", nil).want(t, 401)
}

// An employee opening the app gets the deleted records' page, never the
// settings: their session is refused every settings route.
func TestSettingsRefuseAnEmployee(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	a, token := s.enter(t, "/bitrix/app", s.Employee(t, s.portal), "DEFAULT", "")
	a.want(t, 200, `hx-get="/deleted"`)
	if token == "" {
		t.Fatal("the employee's page opened no session")
	}
	s.do(t, "GET", "/settings/sync", token, nil).want(t, 403)
	s.do(t, "GET", "/settings/deleted", token, nil).want(t, 403)
}

func TestSaveTrackingForm(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	token := s.admin(t)
	s.do(t, "POST", "/settings/tracking", token, url.Values{"entity": {"deal", "lead"}, "tab": {"deal"}, "retention_days": {"30"}}).
		want(t, 200, `hx-swap-oob="true"`)
	set, err := db.LoadSettings(context.Background(), s.DB.Bun, s.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Entities) != 2 || len(set.Tabs) != 1 || set.RetentionDays != 30 {
		t.Errorf("stored %v %v %d", set.Entities, set.Tabs, set.RetentionDays)
	}
	for _, bad := range []url.Values{
		{"entity": {"invoice"}, "retention_days": {"30"}},
		{"entity": {"deal"}, "tab": {"x"}, "retention_days": {"30"}},
		{"entity": {"deal"}, "retention_days": {"0"}},
		{"entity": {"deal"}, "retention_days": {"many"}},
	} {
		s.do(t, "POST", "/settings/tracking", token, bad).want(t, 400)
	}
	if after, _ := db.LoadSettings(context.Background(), s.DB.Bun, s.in.ID); after.RetentionDays != 30 || len(after.Entities) != 2 {
		t.Errorf("a refused form changed the settings: %v %d", after.Entities, after.RetentionDays)
	}
}

func TestSaveFieldsForm(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	token := s.admin(t)
	s.do(t, "POST", "/settings/fields/invoice", token, url.Values{"field": {"TITLE"}}).want(t, 400)
	s.do(t, "POST", "/settings/fields/deal", token, url.Values{"field": {"TITLE"}}).want(t, 400) // field list not read yet
	c, err := s.Clients.For(s.in)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Call(context.Background(), "crm.deal.fields", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMeta(context.Background(), s.DB.Bun, s.in.ID, db.MetaFields(crm.Deal), resp.Result); err != nil {
		t.Fatal(err)
	}
	s.do(t, "POST", "/settings/fields/deal", token, url.Values{"field": {"TITLE", "UF_NOPE"}}).want(t, 400, "UF_NOPE")
	s.do(t, "POST", "/settings/fields/deal", token, url.Values{"field": {"TITLE"}}).want(t, 200)
	set, _ := db.LoadSettings(context.Background(), s.DB.Bun, s.in.ID)
	if set.Ignores(crm.Deal, "TITLE") || !set.Ignores(crm.Deal, "OPPORTUNITY") {
		t.Errorf("ignored %v: want every deal field but TITLE", set.IgnoredOf(crm.Deal))
	}
}

func TestResyncForm(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	token := s.admin(t)
	s.do(t, "POST", "/settings/resync", token, url.Values{}).want(t, 200)
	if n := s.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'sync_entity' AND (args->>'full')::boolean"); n == 0 {
		t.Error("resync enqueued nothing")
	}
	// Access lost: the page keeps the session (checked at entry), the
	// resync is refused.
	if _, err := s.DB.Bun.ExecContext(context.Background(), "UPDATE installations SET status = 'reauth' WHERE id = ?", s.in.ID); err != nil {
		t.Fatal(err)
	}
	s.do(t, "POST", "/settings/resync", token, url.Values{}).want(t, 400)
}

func TestReauthorizeForm(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	token := s.admin(t)
	other := s.Portal(1)
	if _, err := other.Install(); err != nil {
		t.Fatal(err)
	}
	s.do(t, "POST", "/settings/reauthorize", token, url.Values{}).want(t, 400)
	s.do(t, "POST", "/settings/reauthorize", token, url.Values{"REFRESH_ID": {s.Tokens(t, other, other.AdminID()).RefreshToken}}).want(t, 403)
	s.do(t, "POST", "/settings/reauthorize", token, url.Values{"REFRESH_ID": {s.Tokens(t, s.portal, s.Employee(t, s.portal)).RefreshToken}}).want(t, 403)
	s.do(t, "POST", "/settings/reauthorize", token, url.Values{"REFRESH_ID": {"made-up"}}).want(t, 400)
	s.do(t, "POST", "/settings/reauthorize", token, url.Values{"REFRESH_ID": {s.Tokens(t, s.portal, s.portal.AdminID()).RefreshToken}}).want(t, 200)
}
