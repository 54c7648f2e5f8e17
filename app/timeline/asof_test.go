package timeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// A record's past state reads as the tab reads values: names for ids, the
// amount in the currency the record had then, product rows one per line,
// fields not known then marked, ignored fields left out; compared with a
// later state, what differs comes first.
func TestShowAndCompareStates(t *testing.T) {
	s, err := history.ParseFields([]byte(`{
	 "TITLE":{"type":"string","title":"Title"},
	 "OPPORTUNITY":{"type":"double","title":"Amount"},
	 "CURRENCY_ID":{"type":"crm_currency","title":"Currency"},
	 "STAGE_ID":{"type":"crm_status","statusType":"DEAL_STAGE","title":"Stage"},
	 "COMMENTS":{"type":"string","title":"Comment"},
	 "UF_CRM_LATE":{"type":"string","title":"Late"},
	 "UF_CRM_SECRET":{"type":"string","title":"Secret"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	l := &Labels{Schema: s, users: map[int64]User{}, statuses: map[string]string{}, categories: map[string]string{},
		currencies: map[string]string{}, links: map[string]string{}}
	l.addStatuses(json.RawMessage(`[{"ENTITY_ID":"DEAL_STAGE","STATUS_ID":"NEW","NAME":"New"},{"ENTITY_ID":"DEAL_STAGE","STATUS_ID":"WON","NAME":"Won"}]`))
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	val := func(f, raw string) json.RawMessage {
		b, _ := json.Marshal(history.Normalize(s.Field(f), json.RawMessage(raw)))
		return b
	}
	rows := []db.HistoryRow{ // newest first, as db.RecordSteps returns them
		{ChangeID: 2, Action: "updated", Field: "OPPORTUNITY", ChangeKind: "changed", OldValue: val("OPPORTUNITY", `"100"`), NewValue: val("OPPORTUNITY", `"250"`), ChangedAt: t0.Add(time.Hour)},
		{ChangeID: 2, Action: "updated", Field: "CURRENCY_ID", ChangeKind: "changed", OldValue: val("CURRENCY_ID", `"EUR"`), NewValue: val("CURRENCY_ID", `"USD"`), ChangedAt: t0.Add(time.Hour)},
		{ChangeID: 2, Action: "updated", Field: "STAGE_ID", ChangeKind: "changed", OldValue: val("STAGE_ID", `"NEW"`), NewValue: val("STAGE_ID", `"WON"`), ChangedAt: t0.Add(time.Hour)},
		{ChangeID: 2, Action: "updated", Field: history.ProductRows, ChangeKind: "added", NewValue: val(history.ProductRows, `{"id":7,"productName":"Sofa","price":"100","quantity":2,"measureName":"pcs"}`), ChangedAt: t0.Add(time.Hour)},
		{ChangeID: 2, Action: "updated", Field: "UF_CRM_SECRET", ChangeKind: "changed", OldValue: val("UF_CRM_SECRET", `"a"`), NewValue: val("UF_CRM_SECRET", `"b"`), ChangedAt: t0.Add(time.Hour)},
	}
	current := history.Values(s, history.Snapshot{"TITLE": json.RawMessage(`"Deal"`), "OPPORTUNITY": json.RawMessage(`"250"`),
		"CURRENCY_ID": json.RawMessage(`"USD"`), "STAGE_ID": json.RawMessage(`"WON"`), "COMMENTS": json.RawMessage(`null`),
		"UF_CRM_LATE": json.RawMessage(`"x"`), "UF_CRM_SECRET": json.RawMessage(`"b"`),
		history.ProductRows: json.RawMessage(`[{"id":7,"productName":"Sofa","price":"100","quantity":2,"measureName":"pcs"}]`)})
	p := &Past{Entity: crm.Deal, ID: 5, Began: t0, current: current, steps: Steps(rows),
		learned: map[string]time.Time{"UF_CRM_LATE": t0.Add(time.Hour)},
		ignored: func(f string) bool { return f == "UF_CRM_SECRET" }}
	pr := Printer{Empty: "—", Unknown: "unknown"}
	before, after := p.At(history.Moment{At: t0.Add(time.Minute)}), p.At(history.Moment{At: t0.Add(2 * time.Hour)})

	shown := map[string]ShownField{}
	for _, f := range l.Show(p, before, pr) {
		shown[f.Field] = f
	}
	for field, want := range map[string]string{"TITLE": "Deal", "OPPORTUNITY": "100 EUR", "STAGE_ID": "New", "COMMENTS": "—", "UF_CRM_LATE": "unknown"} {
		if shown[field].Text != want {
			t.Errorf("before: %s shows %q, want %q", field, shown[field].Text, want)
		}
	}
	if !shown["UF_CRM_LATE"].Unknown || !shown["COMMENTS"].Empty || len(shown[history.ProductRows].Rows) != 0 {
		t.Errorf("before: late %+v, comments %+v, rows %+v", shown["UF_CRM_LATE"], shown["COMMENTS"], shown[history.ProductRows])
	}
	if _, ok := shown["UF_CRM_SECRET"]; ok {
		t.Error("an ignored field is shown")
	}
	later := l.Show(p, after, pr)
	i := slices.IndexFunc(later, func(f ShownField) bool { return f.Field == history.ProductRows })
	if i < 0 || !slices.Equal(later[i].Rows, []string{"Sofa: quantity 2 pcs, price 100"}) {
		t.Errorf("after: product rows %+v", later)
	}

	var differing []string
	for _, c := range l.Compare(p, before, after, pr) {
		if c.Differs {
			differing = append(differing, c.From.Field)
		} else if len(differing) < 5 {
			t.Errorf("%s, the same at both moments, is listed before a field that differs", c.From.Field)
		}
	}
	if got := strings.Join(differing, " "); got != "OPPORTUNITY CURRENCY_ID UF_CRM_LATE PRODUCT_ROWS STAGE_ID" {
		t.Errorf("differing fields %q, want amount, currency, late, rows and stage by title", got)
	}
}
