package timeline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

func labels(t *testing.T) *Labels {
	t.Helper()
	fields := `{
	 "TITLE":{"type":"string","title":"Title"},
	 "STAGE_ID":{"type":"crm_status","statusType":"DEAL_STAGE","title":"Stage"},
	 "ASSIGNED_BY_ID":{"type":"user","title":"Responsible"},
	 "UF_CRM_1":{"type":"enumeration","isDynamic":true,"title":"UF_CRM_1","listLabel":"Region","items":[{"ID":"7","VALUE":"North"}]},
	 "COMPANY_ID":{"type":"crm_company","title":"Company"},
	 "OPENED":{"type":"char","title":"Available to everyone"},
	 "CLOSEDATE":{"type":"date","title":"Closes"},
	 "CATEGORY_ID":{"type":"crm_category","title":"Pipeline"},
	 "CURRENCY_ID":{"type":"crm_currency","title":"Currency"},
	 "SOURCE_ID":{"type":"crm_status","statusType":"SOURCE","title":"Source"},
	 "TYPE_ID":{"type":"crm_status","statusType":"DEAL_TYPE","title":"Type"},
	 "LEAD_ID":{"type":"crm_lead","title":"Lead"},
	 "CONTACT_IDS":{"type":"crm_contact","isMultiple":true,"title":"Contacts"},
	 "UF_CRM_2":{"type":"crm","isDynamic":true,"title":"UF_CRM_2","listLabel":"Related"}
	}`
	s, err := history.ParseFields([]byte(fields))
	if err != nil {
		t.Fatal(err)
	}
	l := &Labels{Schema: s, users: map[int64]User{}, statuses: map[string]string{}, categories: map[string]string{},
		currencies: map[string]string{}, links: map[string]string{}}
	l.addUsers(json.RawMessage(`[{"ID":"3","NAME":"Anna","LAST_NAME":"Petrova","PERSONAL_PHOTO":"http://x/a.png"},
	 {"ID":"4","NAME":"Ivan","SECOND_NAME":"Petrovich","LAST_NAME":"Sidorov"},
	 {"ID":"5","NAME":"","LAST_NAME":"","EMAIL":"who@example.com"}]`))
	l.addStatuses(json.RawMessage(`[{"ENTITY_ID":"DEAL_STAGE","STATUS_ID":"NEW","NAME":"New"},{"ENTITY_ID":"DEAL_STAGE_1","STATUS_ID":"C1:WON","NAME":"Won (B2B)"},
	 {"ENTITY_ID":"SOURCE","STATUS_ID":"CALL","NAME":"Call"},{"ENTITY_ID":"DEAL_TYPE","STATUS_ID":"SALE","NAME":"Sales"}]`))
	l.addCategories(json.RawMessage(`{"categories":[{"id":1,"name":"Wholesale","isDefault":"N"},{"id":0,"name":"General","isDefault":"Y"}]}`))
	l.addCurrencies(json.RawMessage(`[{"CURRENCY":"USD","FULL_NAME":"US Dollar","BASE":"Y"},{"CURRENCY":"EUR","FULL_NAME":"Euro"}]`))
	l.links["company:5"] = "Acme Ltd"
	l.links["lead:8"] = "Website lead"
	l.links["deal:12"] = "Big order"
	return l
}

func val(t *testing.T, v history.Value) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDisplay(t *testing.T) {
	l := labels(t)
	p := Printer{Empty: "—", Unknown: "earlier value unknown", Yes: "Yes", No: "No", Loc: time.FixedZone("MSK", 3*3600), Records: map[string]string{"company": "Company", "contact": "Contact"}}
	tests := []struct {
		field string
		v     history.Value
		want  string
	}{
		{"TITLE", history.Value{Kind: history.KindText, Text: "Big deal"}, "Big deal"},
		{"TITLE", history.Value{}, "—"},
		{"UF_CRM_1", history.Unknown, "earlier value unknown"},
		{"STAGE_ID", history.Value{Kind: history.KindID, Text: "NEW"}, "New"},
		{"STAGE_ID", history.Value{Kind: history.KindID, Text: "C1:WON"}, "Won (B2B)"},
		{"ASSIGNED_BY_ID", history.Value{Kind: history.KindID, Text: "3"}, "Anna Petrova"},
		{"ASSIGNED_BY_ID", history.Value{Kind: history.KindID, Text: "99"}, "#99"},
		{"UF_CRM_1", history.Value{Kind: history.KindID, Text: "7"}, "North"},
		{"COMPANY_ID", history.Value{Kind: history.KindID, Text: "5"}, "Acme Ltd"},
		{"OPENED", history.Value{Kind: history.KindBool, Text: "Y"}, "Yes"},
		{"OPPORTUNITY", history.Value{Kind: history.KindNumber, Text: "1234567.5"}, "1\u00a0234\u00a0567.50"},
		{"UF_CRM_M", history.Value{Kind: history.KindMoney, Text: "100|USD"}, "100 USD"},
		{"CLOSEDATE", history.Value{Kind: history.KindDate, Text: "2026-03-01"}, "01.03.2026"},
		{"X", history.Value{Kind: history.KindDateTime, Text: "2026-03-01T09:30:00Z"}, "01.03.2026 12:30"},
		{"PHONE", history.Value{Kind: history.KindItem, ID: "9", Text: "+123", ValueType: "WORK"}, "+123 (work)"},
		{"ASSIGNED_BY_ID", history.Value{Kind: history.KindID, Text: "4"}, "Ivan Petrovich Sidorov"},
		{"ASSIGNED_BY_ID", history.Value{Kind: history.KindID, Text: "5"}, "#5"},
		{"CATEGORY_ID", history.Value{Kind: history.KindID, Text: "0"}, "General"},
		{"CATEGORY_ID", history.Value{Kind: history.KindID, Text: "1"}, "Wholesale"},
		{"CATEGORY_ID", history.Value{Kind: history.KindID, Text: "7"}, "7"},
		{"CURRENCY_ID", history.Value{Kind: history.KindID, Text: "EUR"}, "Euro"},
		{"SOURCE_ID", history.Value{Kind: history.KindID, Text: "CALL"}, "Call"},
		{"TYPE_ID", history.Value{Kind: history.KindID, Text: "SALE"}, "Sales"},
		{"LEAD_ID", history.Value{Kind: history.KindID, Text: "8"}, "Website lead"},
		{"COMPANY_ID", history.Value{Kind: history.KindID, Text: "6"}, "Company #6"},
		{"CONTACT_IDS", history.Value{Kind: history.KindList, List: []history.Value{{Kind: history.KindID, Text: "2"}, {Kind: history.KindID, Text: "3"}}}, "Contact #2, Contact #3"},
		{"UF_CRM_2", history.Value{Kind: history.KindID, Text: "D_12"}, "Big order"},
		{"UF_CRM_2", history.Value{Kind: history.KindID, Text: "X_1"}, "X_1"},
	}
	for _, tt := range tests {
		if got := l.Display(tt.field, val(t, tt.v), p); got != tt.want {
			t.Errorf("Display(%s, %+v) = %q, want %q", tt.field, tt.v, got, tt.want)
		}
	}
	if got := l.Title("UF_CRM_1"); got != "Region" {
		t.Errorf("user field title = %q, want its list label", got)
	}
}

func TestBuildGroupsByChange(t *testing.T) {
	l := labels(t)
	author := int64(3)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rows := []db.HistoryRow{
		{ChangeID: 2, Action: "updated", Field: "STAGE_ID", ChangeKind: "changed", AuthorID: &author, ChangedAt: at, Source: "person",
			OldValue: val(t, history.Value{Kind: history.KindID, Text: "NEW"}), NewValue: val(t, history.Value{Kind: history.KindID, Text: "C1:WON"})},
		{ChangeID: 2, Action: "updated", Field: "TITLE", ChangeKind: "changed", AuthorID: &author, ChangedAt: at, Source: "person",
			NewValue: val(t, history.Value{Kind: history.KindText, Text: "B"})},
		{ChangeID: 2, Action: "updated", Field: "UF_CRM_1", ChangeKind: "changed", AuthorID: &author, ChangedAt: at, Source: "person",
			OldValue: val(t, history.Unknown), NewValue: val(t, history.Value{Kind: history.KindID, Text: "7"})},
		{ChangeID: 1, Action: "created", ChangedAt: at.Add(-time.Hour), Source: "automation"},
	}
	es := Build(rows, l, Printer{Empty: "—", Unknown: "unknown"})
	if len(es) != 2 || len(es[0].Changes) != 3 || len(es[1].Changes) != 0 {
		t.Fatalf("entries = %+v", es)
	}
	if es[0].Author == nil || es[0].Author.Name != "Anna Petrova" || es[0].Changes[0].Old != "New" || es[0].Changes[0].New != "Won (B2B)" || es[0].Changes[1].Old != "—" {
		t.Errorf("first entry = %+v", es[0])
	}
	// An old value Trail never saw reads as unknown, not as empty.
	if c := es[0].Changes[2]; !c.OldUnknown || c.Old != "unknown" || c.New != "North" || es[0].Changes[1].OldUnknown {
		t.Errorf("change of a field not known before = %+v", c)
	}
	if es[1].Author != nil || es[1].Action != "created" {
		t.Errorf("second entry = %+v", es[1])
	}
}

func TestRefs(t *testing.T) {
	l := labels(t)
	rows := []db.HistoryRow{
		{Field: "COMPANY_ID", OldValue: val(t, history.Value{Kind: history.KindID, Text: "5"}), NewValue: val(t, history.Value{Kind: history.KindID, Text: "6"})},
		{Field: "CONTACT_IDS", NewValue: val(t, history.Value{Kind: history.KindList, List: []history.Value{{Kind: history.KindID, Text: "2"}}})},
		{Field: "UF_CRM_2", NewValue: val(t, history.Value{Kind: history.KindID, Text: "CO_9"})},
		{Field: "TITLE", NewValue: val(t, history.Value{Kind: history.KindText, Text: "5"})},
	}
	got := Refs(rows, l)
	if len(got) != 2 || len(got["company"]) != 3 || got["company"][2] != 9 || len(got["contact"]) != 1 {
		t.Errorf("Refs = %v", got)
	}
}

// Times show in the viewer's own zone; else in the portal's offset the
// change carries (which moves with daylight saving time); else the
// portal's as last seen; else the browser's; else UTC.
func TestBuildTimes(t *testing.T) {
	l := labels(t)
	summer, winter := int32(2*3600), int32(1*3600)
	at := time.Date(2026, 7, 1, 21, 56, 0, 0, time.UTC)
	rows := []db.HistoryRow{
		{ChangeID: 4, Action: "updated", Field: "X", ChangedAt: at, UTCOffset: &summer,
			NewValue: val(t, history.Value{Kind: history.KindDateTime, Text: "2026-07-01T21:00:00Z"})},
		{ChangeID: 3, Action: "updated", ChangedAt: at.AddDate(0, 5, 0), UTCOffset: &winter},
		{ChangeID: 2, Action: "updated", ChangedAt: at},
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	moscow, _ := time.LoadLocation("Europe/Moscow")
	for _, tt := range []struct {
		name string
		p    Printer
		want []string
	}{
		{"portal offsets", Printer{Portal: time.FixedZone("", 5*3600), Browser: moscow},
			[]string{"01.07.2026 23:56", "01.12.2026 22:56", "02.07.2026 02:56"}},
		{"browser last", Printer{Browser: berlin}, []string{"01.07.2026 23:56", "01.12.2026 22:56", "01.07.2026 23:56"}},
		{"nothing known", Printer{}, []string{"01.07.2026 23:56", "01.12.2026 22:56", "01.07.2026 21:56"}},
		{"own zone", Printer{Loc: moscow, Portal: time.FixedZone("", 5*3600)}, []string{"02.07.2026 00:56", "02.12.2026 00:56", "02.07.2026 00:56"}},
	} {
		es := Build(rows, l, tt.p)
		for i, e := range es {
			if got := e.At.Format("02.01.2006 15:04"); got != tt.want[i] {
				t.Errorf("%s: entry %d at %s, want %s", tt.name, i, got, tt.want[i])
			}
		}
		if tt.name == "portal offsets" && es[0].Changes[0].New != "01.07.2026 23:00" {
			t.Errorf("a datetime value shows in the change's zone: %q", es[0].Changes[0].New)
		}
	}
}

// Deletion entries name their IDs as creations and updates do.
func TestBuildDeletionNames(t *testing.T) {
	l := labels(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rows := []db.HistoryRow{
		{ChangeID: 9, Action: "deleted", Field: "CATEGORY_ID", ChangedAt: at, OldValue: val(t, history.Value{Kind: history.KindID, Text: "0"})},
		{ChangeID: 9, Action: "deleted", Field: "CURRENCY_ID", ChangedAt: at, OldValue: val(t, history.Value{Kind: history.KindID, Text: "USD"})},
		{ChangeID: 9, Action: "deleted", Field: "ASSIGNED_BY_ID", ChangedAt: at, OldValue: val(t, history.Value{Kind: history.KindID, Text: "3"})},
	}
	es := Build(rows, l, Printer{Empty: "—"})
	if len(es) != 1 || len(es[0].Changes) != 3 {
		t.Fatalf("entries = %+v", es)
	}
	for i, want := range []string{"General", "US Dollar", "Anna Petrova"} {
		if got := es[0].Changes[i].Old; got != want {
			t.Errorf("deleted %s = %q, want %q", es[0].Changes[i].Field, got, want)
		}
	}
}
