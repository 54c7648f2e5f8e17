package b24test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCategoryList(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	a := mustOK(t, hookCall(t, s, p, "crm.category.list", map[string]any{"entityTypeId": 2}))
	cats := list(object(a.body["result"])["categories"])
	if len(cats) != 3 || fmt.Sprint(a.body["total"]) != "3" {
		t.Fatalf("deal pipelines = %s", a.raw)
	}
	def := object(cats[0])
	if fmt.Sprint(def["id"]) != "0" || def["name"] != "General" || def["isDefault"] != "Y" || fmt.Sprint(def["entityTypeId"]) != "2" {
		t.Errorf("default pipeline = %v", def)
	}
	if c := object(cats[1]); fmt.Sprint(c["id"]) != "1" || c["name"] != "Wholesale" || c["isDefault"] != "N" {
		t.Errorf("pipeline 1 = %v", c)
	}
	lead := hookCall(t, s, p, "crm.category.list", map[string]any{"entityTypeId": 1})
	if lead.status != 400 || lead.body["error"] != "ENTITY_TYPE_NOT_SUPPORTED" {
		t.Errorf("leads have no pipelines: %d %s", lead.status, lead.raw)
	}
	if nf := hookCall(t, s, p, "crm.category.list", map[string]any{"entityTypeId": 999}); nf.status != 400 || nf.body["error"] != "NOT_FOUND" {
		t.Errorf("unknown type: %d %s", nf.status, nf.raw)
	}
}

func TestCurrencyList(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	a := mustOK(t, hookCall(t, s, p, "crm.currency.list", nil))
	rows := list(a.body["result"])
	names := map[string]string{}
	for _, r := range rows {
		o := object(r)
		names[o["CURRENCY"].(string)] = o["FULL_NAME"].(string)
	}
	// Every currency a generated record uses has a name.
	for _, code := range currencies {
		if names[code] == "" {
			t.Errorf("currency %s has no entry in %s", code, a.raw)
		}
	}
	if object(rows[0])["BASE"] != "Y" {
		t.Errorf("the base currency comes first: %s", a.raw)
	}
}

// Each portal has a zone of its own and writes every date value in it, as
// Bitrix24 writes them in the portal's server zone
// (https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-get.html).
func TestPortalTimes(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := NewTestServer(t, Options{Portals: 4, Deals: 3, Now: clk.Now})
	for i, p := range s.Portals() {
		_, want := clk.Now().In(p.zone).Zone()
		rec, _ := p.Record("deal", 1)
		for _, f := range []string{"DATE_CREATE", "DATE_MODIFY", "BEGINDATE", "CLOSEDATE"} {
			v, _ := rec[f].(string)
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatalf("portal %d %s = %q", i+1, f, v)
			}
			if _, off := tm.Zone(); off != want {
				t.Errorf("portal %d %s = %q, want offset %d s", i+1, f, v, want)
			}
		}
		if err := p.UpdateRecord("deal", 1, p.AdminID(), map[string]any{"TITLE": "Zoned"}); err != nil {
			t.Fatal(err)
		}
		rec, _ = p.Record("deal", 1)
		if got := clk.Now().In(p.zone).Format(time.RFC3339); rec["DATE_MODIFY"] != got {
			t.Errorf("portal %d DATE_MODIFY after an edit = %v, want %s", i+1, rec["DATE_MODIFY"], got)
		}
	}
	// Some users keep the portal's zone, others have their own.
	var own, portal int
	for _, u := range s.Portals()[0].users {
		if u.timeZone.Load() == "" {
			portal++
		} else if _, err := time.LoadLocation(u.timeZone.Load()); err == nil {
			own++
		}
	}
	if own == 0 || portal == 0 || s.Portals()[0].user(adminID).timeZone.Load() != "" {
		t.Errorf("users with their own zone: %d, with the portal's: %d; the admin must keep the portal's", own, portal)
	}
}

func TestFormatDate(t *testing.T) {
	t.Parallel()
	day := time.Date(2024, 6, 18, 15, 0, 0, 0, time.UTC)
	for zone, want := range map[*time.Location]string{
		time.FixedZone("UTC+2", 2*3600):  "2024-06-18T02:00:00+02:00",
		time.FixedZone("UTC+3", 3*3600):  "2024-06-18T03:00:00+03:00",
		time.UTC:                         "2024-06-18T00:00:00Z",
		time.FixedZone("UTC-5", -5*3600): "2024-06-18T00:00:00-05:00",
	} {
		if got := formatDate(day, zone); got != want || !strings.HasPrefix(got, "2024-06-18") {
			t.Errorf("formatDate in %s = %s, want %s", zone, got, want)
		}
	}
}

// An app with the user_brief scope reads users without contact data: no
// e-mail, so apps must name users by their names.
func TestUserBriefFields(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{}) // the test app has user_brief only
	cur := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "user.current", nil)).body["result"])
	if _, ok := cur["EMAIL"]; ok || cur["NAME"] == nil || cur["LAST_NAME"] == nil {
		t.Errorf("user.current with user_brief = %v", cur)
	}
	for _, u := range list(mustOK(t, appCall(t, s, p, tok.AccessToken, "user.get", nil)).body["result"]) {
		for k := range object(u) {
			if !userBriefFields[k] {
				t.Errorf("user.get with user_brief returns %s", k)
			}
		}
	}
	hook := object(mustOK(t, hookCall(t, s, p, "user.current", nil)).body["result"])
	if hook["EMAIL"] == nil {
		t.Errorf("a webhook (every scope) reads the e-mail: %v", hook)
	}
}
