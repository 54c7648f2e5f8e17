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
	 "CLOSEDATE":{"type":"date","title":"Closes"}
	}`
	s, err := history.ParseFields([]byte(fields))
	if err != nil {
		t.Fatal(err)
	}
	l := &Labels{Schema: s, users: map[int64]User{}, statuses: map[string]string{}, links: map[string]string{}}
	l.addUsers(json.RawMessage(`[{"ID":"3","NAME":"Anna","LAST_NAME":"Petrova","PERSONAL_PHOTO":"http://x/a.png"}]`))
	l.addStatuses(json.RawMessage(`[{"ENTITY_ID":"DEAL_STAGE","STATUS_ID":"NEW","NAME":"New"},{"ENTITY_ID":"DEAL_STAGE_1","STATUS_ID":"C1:WON","NAME":"Won (B2B)"}]`))
	l.links["company:5"] = "Acme Ltd"
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
	p := Printer{Empty: "—", Unknown: "earlier value unknown", Yes: "Yes", No: "No", Loc: time.FixedZone("MSK", 3*3600)}
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
