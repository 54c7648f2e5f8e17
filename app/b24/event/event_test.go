package event

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

// captured is the shape of a real CRM event delivery
// (https://apidocs.bitrix24.com/api-reference/crm/contacts/events/on-crm-contact-add.html).
func captured() url.Values {
	v := url.Values{}
	v.Set("event", "ONCRMCONTACTADD")
	v.Set("event_handler_id", "58")
	v.Set("data[FIELDS][ID]", "134806")
	v.Set("ts", "1727018926")
	v.Set("auth[access_token]", "be45f066")
	v.Set("auth[expires]", "1727022526")
	v.Set("auth[expires_in]", "3600")
	v.Set("auth[scope]", "crm,placement,user_brief")
	v.Set("auth[domain]", "portal.bitrix24.com")
	v.Set("auth[server_endpoint]", "https://oauth.bitrix.info/rest/")
	v.Set("auth[status]", "L")
	v.Set("auth[client_endpoint]", "https://portal.bitrix24.com/rest/")
	v.Set("auth[member_id]", "010b6886ebc205e43ae65000ee00addb")
	v.Set("auth[user_id]", "1")
	v.Set("auth[application_token]", "51856fefc120afa4b628cc82d3935cce")
	return v
}

func TestParseCRMEvent(t *testing.T) {
	e, err := Parse(captured())
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "ONCRMCONTACTADD" || e.HandlerID != "58" || !e.TS.Equal(time.Unix(1727018926, 0)) {
		t.Errorf("header: %+v", e)
	}
	a := e.Auth
	if a.MemberID != "010b6886ebc205e43ae65000ee00addb" || a.ApplicationToken != "51856fefc120afa4b628cc82d3935cce" ||
		a.UserID != 1 || a.ExpiresIn != 3600 || !a.Expires.Equal(time.Unix(1727022526, 0)) || !a.HasUserToken() ||
		a.ClientEndpoint != "https://portal.bitrix24.com/rest/" || a.Scope != "crm,placement,user_brief" {
		t.Errorf("auth: %+v", a)
	}
	c, ok, err := e.CRMChange()
	if err != nil || !ok || c != (CRM{Entity: "contact", Kind: "add", ID: 134806}) {
		t.Errorf("CRMChange = %+v %v %v", c, ok, err)
	}
}

// TestDocumentedCRMEvent reads the auth block as the event docs show it
// (https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-update.html):
// with refresh_token, without user_id and expires.
func TestDocumentedCRMEvent(t *testing.T) {
	v := captured()
	v.Del("auth[user_id]")
	v.Del("auth[expires]")
	v.Set("auth[refresh_token]", "ae6fb666")
	e, err := Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	a := e.Auth
	if !a.HasUserToken() || a.RefreshToken != "ae6fb666" || a.UserID != 0 || !a.Expires.IsZero() || a.ExpiresIn != 3600 {
		t.Errorf("auth: %+v", a)
	}
	if c, ok, err := e.CRMChange(); err != nil || !ok || c.ID != 134806 {
		t.Errorf("CRMChange = %+v %v %v", c, ok, err)
	}
}

func TestAutomationEventHasNoUserToken(t *testing.T) {
	v := captured()
	for _, k := range []string{"auth[access_token]", "auth[refresh_token]", "auth[expires]", "auth[expires_in]", "auth[user_id]"} {
		v.Del(k)
	}
	v.Set("event", "ONCRMDEALUPDATE")
	e, err := Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	if e.Auth.HasUserToken() {
		t.Error("an event without access_token must not claim a user token")
	}
	if c, _, _ := e.CRMChange(); c.Entity != "deal" || c.Kind != "update" {
		t.Errorf("CRMChange = %+v", c)
	}
}

func TestLifecycleEvents(t *testing.T) {
	v := url.Values{}
	v.Set("event", "ONAPPUNINSTALL")
	v.Set("data[LANGUAGE_ID]", "de")
	v.Set("data[CLEAN]", "1")
	v.Set("ts", "1466439714")
	v.Set("auth[domain]", "x.bitrix24.de")
	v.Set("auth[member_id]", "abc123")
	v.Set("auth[application_token]", "tok")
	e, err := Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	if e.Data.Get("CLEAN") != "1" || e.Data.Get("LANGUAGE_ID") != "de" || e.Auth.HasUserToken() {
		t.Errorf("uninstall: %+v", e)
	}
	if _, ok, _ := e.CRMChange(); ok {
		t.Error("ONAPPUNINSTALL is not a CRM change")
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]func(url.Values){
		"no event":          func(v url.Values) { v.Del("event") },
		"odd event name":    func(v url.Values) { v.Set("event", "ON CRM<script>") },
		"no member":         func(v url.Values) { v.Del("auth[member_id]") },
		"member with slash": func(v url.Values) { v.Set("auth[member_id]", "../etc") },
		"no app token":      func(v url.Values) { v.Del("auth[application_token]") },
		"ts text":           func(v url.Values) { v.Set("ts", "yesterday") },
		"user id text":      func(v url.Values) { v.Set("auth[user_id]", "root") },
		"expires_in text":   func(v url.Values) { v.Set("auth[expires_in]", "soon") },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			v := captured()
			mutate(v)
			if _, err := Parse(v); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	v := captured()
	v.Set("data[FIELDS][ID]", "zero")
	e, err := Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := e.CRMChange(); !ok || !errors.Is(err, ErrMalformed) {
		t.Fatalf("CRM event with a bad id: ok=%v err=%v", ok, err)
	}
}

func TestDealMoveIsAnUpdate(t *testing.T) {
	v := captured()
	v.Set("event", "ONCRMDEALMOVETOCATEGORY")
	v.Set("data[FIELDS][ID]", "6675")
	v.Set("data[FIELDS][CATEGORY_ID]", "1")
	v.Set("data[FIELDS][STAGE_ID]", "C1:NEW")
	e, err := Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	c, ok, err := e.CRMChange()
	if !ok || err != nil || c != (CRM{Entity: "deal", Kind: "update", ID: 6675}) {
		t.Errorf("CRMChange = %+v %v %v, want the deal's update", c, ok, err)
	}
}

func TestCRMChangeIgnoresOtherEvents(t *testing.T) {
	for _, name := range []string{"ONCRMLEADMOVETOCATEGORY", "ONCRMDEALUSERFIELDADD", "ONCRMTYPEADD", "ONCRMTYPEUSERFIELDADD", "ONOFFLINEEVENT", "ONCRMDYNAMICITEMADDED"} {
		v := captured()
		v.Set("event", name)
		e, err := Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok, err := e.CRMChange(); ok || err != nil {
			t.Errorf("%s: CRMChange = %+v %v %v, want not a tracked CRM change", name, c, ok, err)
		}
	}
}

// FuzzParse feeds arbitrary bodies through the form decoder and Parse: no
// panics, and whatever is accepted has the fields every event needs.
func FuzzParse(f *testing.F) {
	f.Add(captured().Encode())
	f.Add("event=ONAPPINSTALL&auth[member_id]=a&auth[application_token]=b&data[VERSION]=1")
	f.Add("event=ONCRMDEALUPDATE&data[FIELDS][ID]=-1&auth[member_id]=a&auth[application_token]=b&ts=1")
	f.Add("event=%00&auth%5Bmember_id%5D=%ff")
	f.Add("data[[[]]]=1&data]=2&auth[]=3")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		e, err := Parse(form)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not wrapped as ErrMalformed: %v", err)
			}
			return
		}
		if e.Name == "" || e.Auth.MemberID == "" || e.Auth.ApplicationToken == "" {
			t.Fatalf("accepted an event without name, member or token: %+v", e)
		}
		if c, ok, err := e.CRMChange(); ok && err == nil && (c.ID <= 0 || c.Entity == "") {
			t.Fatalf("accepted a CRM change without a record: %+v", c)
		}
	})
}

func TestCRMChangeReadsEstimatesAndDynamicItems(t *testing.T) {
	for _, tc := range []struct {
		name, typeID, want string
	}{
		{"ONCRMQUOTEUPDATE", "", "quote"},
		{"ONCRMDYNAMICITEMUPDATE", "31", "31"},
		{"ONCRMDYNAMICITEMDELETE", "156", "156"},
		{"ONCRMDYNAMICITEMADD_156", "156", "156"},
		{"ONCRMDYNAMICITEMADD_156", "", "156"},
	} {
		v := captured()
		v.Set("event", tc.name)
		if tc.typeID != "" {
			v.Set("data[FIELDS][ENTITY_TYPE_ID]", tc.typeID)
		}
		e, err := Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		c, ok, err := e.CRMChange()
		if !ok || err != nil || c.Entity != tc.want || c.ID <= 0 {
			t.Errorf("%s (%s): CRMChange = %+v %v %v, want entity %s", tc.name, tc.typeID, c, ok, err, tc.want)
		}
	}
	// A dynamic item event without its type, or whose name and data
	// disagree, is refused rather than filed under a guessed type.
	for _, tc := range [][2]string{{"ONCRMDYNAMICITEMUPDATE", ""}, {"ONCRMDYNAMICITEMUPDATE_156", "157"}, {"ONCRMDYNAMICITEMUPDATE", "0x9c"}} {
		v := captured()
		v.Set("event", tc[0])
		v.Set("data[FIELDS][ENTITY_TYPE_ID]", tc[1])
		e, err := Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := e.CRMChange(); !ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s (%q): ok=%v err=%v, want ErrMalformed", tc[0], tc[1], ok, err)
		}
	}
}
