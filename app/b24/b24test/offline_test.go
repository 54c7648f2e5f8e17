package b24test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// offlineCaller binds the deal events offline and calls methods with the
// admin's app token.
func offlineCaller(t *testing.T, opts Options, events ...string) (*Server, *Portal, func(string, map[string]any) answer) {
	t.Helper()
	s, p, tok := installed(t, opts)
	call := func(m string, params map[string]any) answer {
		t.Helper()
		return appCall(t, s, p, tok.AccessToken, m, params)
	}
	for _, e := range events {
		mustOK(t, call("event.bind", map[string]any{"event": e, "event_type": "offline"}))
	}
	return s, p, call
}

func records(t *testing.T, a answer) []map[string]any {
	t.Helper()
	mustOK(t, a)
	l := list(a.body["result"])
	if l == nil {
		l = list(object(a.body["result"])["events"])
	}
	out := make([]map[string]any, len(l))
	for i, x := range l {
		out[i] = object(x)
	}
	return out
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A deal's ADD, UPDATE and DELETE are three records keyed by MESSAGE_ID;
// repeats refresh the UPDATE record's TIMESTAMP_X; data and user are
// strings as Bitrix24 writes them.
func TestOfflineRecordPerMessageID(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, p, call := offlineCaller(t, Options{Now: clk.Now}, "ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMDEALDELETE")
	id, err := p.AddRecord("deal", 2, map[string]any{"TITLE": "new"})
	if err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"a", "b"} {
		clk.Add(time.Minute)
		if err := p.UpdateRecord("deal", id, 3, map[string]any{"TITLE": title}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(time.Minute)
	if err := p.DeleteRecord("deal", id, 2); err != nil {
		t.Fatal(err)
	}
	recs := records(t, call("event.offline.list", nil))
	if len(recs) != 3 {
		t.Fatalf("%d records, want ADD, UPDATE, DELETE: %v", len(recs), recs)
	}
	sid := fmt.Sprint(id)
	for i, want := range []struct{ name, user string }{{"ONCRMDEALADD", "2"}, {"ONCRMDEALUPDATE", "3"}, {"ONCRMDEALDELETE", "2"}} {
		r := recs[i]
		if r["EVENT_NAME"] != want.name || object(object(r["EVENT_DATA"])["FIELDS"])["ID"] != sid ||
			object(r["EVENT_ADDITIONAL"])["user_id"] != want.user || r["PROCESS_ID"] != "" || r["ERROR"] != "0" {
			t.Errorf("record %d = %v", i, r)
		}
		if m := md5Hex(want.name + `|{"FIELDS":{"ID":"` + sid + `"}}`); r["MESSAGE_ID"] != m {
			t.Errorf("%s MESSAGE_ID = %v, want %s", want.name, r["MESSAGE_ID"], m)
		}
	}
	if ts := recs[1]["TIMESTAMP_X"]; ts != p.formatTime(newClock().Now().Add(2*time.Minute)) {
		t.Errorf("UPDATE TIMESTAMP_X = %v, want the second update's", ts)
	}
}

// A repeat while the record is reserved makes a new record; the reserved
// one is cleared alone. event.offline.get reads oldest TIMESTAMP_X first.
func TestOfflineRepeatOfReservedRecord(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, p, call := offlineCaller(t, Options{Now: clk.Now, Deals: 3}, "ONCRMDEALUPDATE")
	update := func(id int) {
		t.Helper()
		clk.Add(time.Second)
		if err := p.UpdateRecord("deal", id, 2, map[string]any{"COMMENTS": clk.Now().String()}); err != nil {
			t.Fatal(err)
		}
	}
	update(1)
	update(2)
	update(1) // refreshes deal 1's record: it is now the newest
	got := records(t, call("event.offline.get", map[string]any{"clear": 0, "limit": 1}))
	if len(got) != 1 || object(object(got[0]["EVENT_DATA"])["FIELDS"])["ID"] != "2" {
		t.Fatalf("first by TIMESTAMP_X = %v, want deal 2", got)
	}
	res := object(mustOK(t, call("event.offline.get", map[string]any{"clear": 0})).body["result"])
	pid := strString(res["process_id"])
	update(1)
	all := records(t, call("event.offline.list", nil))
	if len(all) != 3 || all[2]["PROCESS_ID"] != "" || all[0]["PROCESS_ID"] != pid || all[0]["MESSAGE_ID"] != all[2]["MESSAGE_ID"] {
		t.Fatalf("after a repeat of a reserved record: %v", all)
	}
	mustOK(t, call("event.offline.clear", map[string]any{"process_id": pid}))
	if left := records(t, call("event.offline.list", nil)); len(left) != 2 {
		t.Errorf("clear of one batch left %v", left)
	}
}

// Changes the app makes with its own tokens do not reach its offline
// binding of the same connector; other connectors, webhooks and people do.
func TestOfflineSkipsTheAppsOwnWrites(t *testing.T) {
	t.Parallel()
	s, p, call := offlineCaller(t, Options{Deals: 5}, "ONCRMDEALUPDATE")
	mustOK(t, call("event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "event_type": "offline", "auth_connector": "sync"}))
	update := func(id int, connector string) {
		t.Helper()
		params := map[string]any{"id": id, "fields": map[string]any{"COMMENTS": "x"}}
		if connector != "" {
			params["auth_connector"] = connector
		}
		mustOK(t, call("crm.deal.update", params))
	}
	update(1, "")
	update(2, "sync")
	mustOK(t, hookCall(t, s, p, "crm.deal.update", map[string]any{"id": 3, "fields": map[string]any{"COMMENTS": "x"}}))
	if err := p.UpdateRecord("deal", 4, p.AdminID(), map[string]any{"COMMENTS": "x"}); err != nil {
		t.Fatal(err)
	}
	ids := func(connector string) []any {
		var out []any
		for _, r := range records(t, call("event.offline.list", map[string]any{"auth_connector": connector})) {
			out = append(out, object(object(r["EVENT_DATA"])["FIELDS"])["ID"])
		}
		return out
	}
	if got := fmt.Sprint(ids("")); got != "[2 3 4]" {
		t.Errorf("connector-less queue has deals %s, want 2 3 4 (1 was the app's own)", got)
	}
	if got := fmt.Sprint(ids("sync")); got != "[1 3 4]" {
		t.Errorf("sync queue has deals %s, want 1 3 4 (2 was the app's own through sync)", got)
	}
}

// process_id re-reads a batch; with clear=1 the whole batch goes, also
// the records beyond limit.
func TestOfflineGetRereadsABatch(t *testing.T) {
	t.Parallel()
	_, p, call := offlineCaller(t, Options{Deals: 4}, "ONCRMDEALUPDATE")
	for id := 1; id <= 4; id++ {
		if err := p.UpdateRecord("deal", id, 2, map[string]any{"COMMENTS": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	res := object(mustOK(t, call("event.offline.get", map[string]any{"clear": 0, "limit": 3})).body["result"])
	pid := strString(res["process_id"])
	again := object(mustOK(t, call("event.offline.get", map[string]any{"clear": 0, "process_id": pid})).body["result"])
	if again["process_id"] != pid || len(list(again["events"])) != 3 {
		t.Fatalf("re-read = %v", again)
	}
	if got := records(t, call("event.offline.get", map[string]any{"process_id": pid, "limit": 1})); len(got) != 1 {
		t.Errorf("re-read with limit 1 gave %d", len(got))
	}
	left := records(t, call("event.offline.list", nil))
	if len(left) != 1 || left[0]["PROCESS_ID"] != "" {
		t.Errorf("clear=1 re-read left %v, want only the unreserved record", left)
	}
}

// event.offline.error marks the batch's records, which error=1 then
// returns, and deletes the same MESSAGE_ID outside the batch.
func TestOfflineErrorMarksTheBatch(t *testing.T) {
	t.Parallel()
	_, p, call := offlineCaller(t, Options{Deals: 2}, "ONCRMDEALUPDATE")
	update := func(id int) {
		t.Helper()
		if err := p.UpdateRecord("deal", id, 2, map[string]any{"COMMENTS": fmt.Sprint(id)}); err != nil {
			t.Fatal(err)
		}
	}
	update(1)
	update(2)
	res := object(mustOK(t, call("event.offline.get", map[string]any{"clear": 0})).body["result"])
	pid, evs := strString(res["process_id"]), list(res["events"])
	update(1) // a second record of deal 1, outside the batch
	msg := object(evs[0])["MESSAGE_ID"]
	mustOK(t, call("event.offline.error", map[string]any{"process_id": pid, "message_id": []any{msg}}))
	all := records(t, call("event.offline.list", nil))
	if len(all) != 2 || all[0]["MESSAGE_ID"] != msg || all[0]["ERROR"] != "1" || all[0]["PROCESS_ID"] != "" || all[1]["PROCESS_ID"] != pid {
		t.Fatalf("after error: %v", all)
	}
	if got := records(t, call("event.offline.get", nil)); len(got) != 0 {
		t.Errorf("error=0 returned marked records: %v", got)
	}
	if got := records(t, call("event.offline.get", map[string]any{"error": 1})); len(got) != 1 || got[0]["MESSAGE_ID"] != msg {
		t.Errorf("error=1 = %v", got)
	}
	mustOK(t, call("event.offline.error", map[string]any{"process_id": "no-such-batch", "message_id": []any{}}))
}

// clear with an empty process_id deletes every record outside a batch,
// marked ones too: the documented pitfall.
func TestOfflineClearWithEmptyProcessID(t *testing.T) {
	t.Parallel()
	_, p, call := offlineCaller(t, Options{Deals: 3}, "ONCRMDEALUPDATE")
	for id := 1; id <= 3; id++ {
		if err := p.UpdateRecord("deal", id, 2, map[string]any{"COMMENTS": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	pid := strString(object(mustOK(t, call("event.offline.get", map[string]any{"clear": 0, "limit": 1})).body["result"])["process_id"])
	mustOK(t, call("event.offline.clear", map[string]any{"process_id": ""}))
	left := records(t, call("event.offline.list", nil))
	if len(left) != 1 || left[0]["PROCESS_ID"] != pid {
		t.Errorf("left %v, want only the reserved record", left)
	}
}

func TestOfflineValidation(t *testing.T) {
	t.Parallel()
	_, _, call := offlineCaller(t, Options{}, "ONCRMDEALUPDATE")
	for _, tt := range []struct {
		method string
		params map[string]any
		desc   string
	}{
		{"event.offline.get", map[string]any{"limit": 0}, "Value must be positive integer"},
		{"event.offline.get", map[string]any{"limit": "many"}, "Value must be positive integer"},
		{"event.offline.clear", nil, "Argument 'PROCESS_ID' is null or empty"},
		{"event.offline.clear", map[string]any{"process_id": "p", "message_id": "x"}, "Value must be array of MESSAGE_ID values"},
		{"event.offline.clear", map[string]any{"process_id": "p", "message_id": []any{"short"}}, "Value must be array of MESSAGE_ID values"},
		{"event.offline.clear", map[string]any{"process_id": "p", "id": []any{"0"}}, "Value must be array of integers"},
		{"event.offline.clear", map[string]any{"process_id": "p", "id": 5}, "Value must be array of integers"},
		{"event.offline.error", map[string]any{"message_id": []any{}}, "Argument 'PROCESS_ID' is null or empty"},
		{"event.offline.error", map[string]any{"process_id": "p"}, "Value must be array of MESSAGE_ID values"},
		{"event.offline.get", map[string]any{"filter": "ID"}, "The filter is not an array."},
		{"event.offline.get", map[string]any{"filter": map[string]any{"!ID": 1}}, "Filter operation not allowed: !"},
		{"event.offline.get", map[string]any{"filter": map[string]any{"@ID": []any{1}}}, "Filter operation not allowed: @"},
		{"event.offline.get", map[string]any{"filter": map[string]any{"PROCESS_ID": ""}}, "Filter field not allowed: PROCESS_ID"},
		{"event.offline.get", map[string]any{"filter": map[string]any{">ID": []any{1, 2}}}, "The value of an argument '>ID' has an invalid type"},
		{"event.offline.get", map[string]any{"order": "ID"}, "The order is not an array."},
		{"event.offline.get", map[string]any{"order": map[string]any{"ERROR": "ASC"}}, "Order field not allowed: ERROR"},
		{"event.offline.list", map[string]any{"order": map[string]any{"ID": "UP"}}, "Order direction should be one of {ASC|DESC}"},
		{"event.offline.list", map[string]any{"filter": map[string]any{"USER_ID": 1}}, "Filter field not allowed: USER_ID"},
	} {
		a := call(tt.method, tt.params)
		if a.status != http.StatusBadRequest || a.errCode() != "ERROR_ARGUMENT" || a.body["error_description"] != tt.desc {
			t.Errorf("%s %v = %d %s, want 400 %q", tt.method, tt.params, a.status, a.raw, tt.desc)
		}
	}
	// message_id wins over a bad id, and a clear that matches nothing is true.
	ok := call("event.offline.clear", map[string]any{"process_id": "p", "message_id": []any{md5Hex("x")}, "id": "bad"})
	if mustOK(t, ok).body["result"] != true {
		t.Errorf("clear = %s", ok.raw)
	}
}

// Plans without the features refuse reservation and auth_connector with
// WRONG_LICENSE; feature.get says so; the plain mode works on any plan.
func TestPlanGating(t *testing.T) {
	t.Parallel()
	_, p, call := offlineCaller(t, Options{Deals: 2, Plan: PlanStandard}, "ONCRMDEALUPDATE")
	refused := func(method string, params map[string]any, feature string) {
		t.Helper()
		a := call(method, params)
		want := "This feature is not enabled for the current license: " + feature
		if a.status != http.StatusForbidden || a.errCode() != "WRONG_LICENSE" || a.body["error_description"] != want {
			t.Errorf("%s %v = %d %s, want 403 WRONG_LICENSE %q", method, params, a.status, a.raw, want)
		}
	}
	refused("event.offline.get", map[string]any{"clear": 0}, "extended offline events handling")
	for _, m := range []string{"event.offline.get", "event.offline.list", "event.offline.clear", "event.offline.error", "event.get", "event.unbind"} {
		refused(m, map[string]any{"auth_connector": "sync", "process_id": "p", "message_id": []any{}, "event": "ONCRMDEALUPDATE"}, "auth_connector")
	}
	refused("event.bind", map[string]any{"event": "ONCRMDEALADD", "event_type": "offline", "auth_connector": "sync"}, "auth_connector")
	feature := func(code string) any {
		return object(mustOK(t, call("feature.get", map[string]any{"CODE": code})).body["result"])["value"]
	}
	if v := feature("rest_offline_extended"); v != "N" {
		t.Errorf("standard rest_offline_extended = %v", v)
	}
	if v := feature("rest_auth_connector"); v != "N" {
		t.Errorf("standard rest_auth_connector = %v", v)
	}
	if err := p.UpdateRecord("deal", 1, 2, map[string]any{"COMMENTS": "x"}); err != nil {
		t.Fatal(err)
	}
	res := object(mustOK(t, call("event.offline.get", nil)).body["result"])
	if res["process_id"] != nil || len(list(res["events"])) != 1 {
		t.Errorf("plain get = %v", res)
	}
	if err := p.SetPlan(PlanProfessional); err != nil {
		t.Fatal(err)
	}
	if v := feature("rest_offline_extended"); v != "Y" {
		t.Errorf("professional rest_offline_extended = %v", v)
	}
	mustOK(t, call("event.offline.get", map[string]any{"clear": 0, "auth_connector": "sync"}))
	if err := p.SetPlan("free-trial"); err == nil {
		t.Error("unknown plan accepted")
	}
	if _, err := NewServer(Options{Plan: "gold"}); err == nil {
		t.Error("NewServer took an unknown plan")
	}
}

// filter and order select and sort records; clear=false in JSON reserves
// as clear=0 does.
func TestOfflineFilterAndOrder(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, p, call := offlineCaller(t, Options{Now: clk.Now, Deals: 4}, "ONCRMDEALUPDATE", "ONCRMDEALDELETE")
	for id := 1; id <= 3; id++ {
		clk.Add(time.Minute)
		if err := p.UpdateRecord("deal", id, 2, map[string]any{"COMMENTS": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(time.Minute)
	if err := p.DeleteRecord("deal", 4, 2); err != nil {
		t.Fatal(err)
	}
	ids := func(recs []map[string]any) string {
		var out []any
		for _, r := range recs {
			out = append(out, r["ID"])
		}
		return fmt.Sprint(out)
	}
	if got := ids(records(t, call("event.offline.list", map[string]any{"filter": map[string]any{"@ID": []any{1, 3}}, "order": map[string]any{"ID": "DESC"}}))); got != "[3 1]" {
		t.Errorf("list @ID [1 3] by ID DESC = %s", got)
	}
	if got := ids(records(t, call("event.offline.list", map[string]any{"filter": map[string]any{"%EVENT_NAME": "delete"}}))); got != "[4]" {
		t.Errorf("list %%EVENT_NAME delete = %s", got)
	}
	since := p.formatTime(newClock().Now().Add(2 * time.Minute))
	res := call("event.offline.get", map[string]any{"clear": false, "filter": map[string]any{">=TIMESTAMP_X": since, "EVENT_NAME": "ONCRMDEALUPDATE"}, "order": map[string]any{"TIMESTAMP_X": "DESC"}})
	if got := ids(records(t, res)); got != "[3 2]" {
		t.Errorf("get updates since %s, newest first = %s", since, got)
	}
	if pid := object(res.body["result"])["process_id"]; pid == nil {
		t.Error("clear=false did not reserve")
	}
	if got := ids(records(t, call("event.offline.get", nil))); got != "[1 4]" {
		t.Errorf("plain get after the reservation = %s", got)
	}
}

// The control API and `trail emulate -plan` set the plan.
func TestPlanControlAndFlag(t *testing.T) {
	t.Parallel()
	s, p, _ := installed(t, Options{})
	put := func(body string) int {
		req, _ := http.NewRequest(http.MethodPut, s.URL+"/_emulator/portals/"+p.MemberID()+"/plan", bytes.NewBufferString(body))
		return do(t, s.Client(), req).status
	}
	if st := put(`{"plan":"basic"}`); st != http.StatusNoContent {
		t.Fatalf("PUT plan = %d", st)
	}
	if got := get(t, s.Client(), s.URL+"/_emulator/portals/"+p.MemberID()+"/plan"); got.body["plan"] != "basic" || p.Plan() != PlanBasic {
		t.Errorf("GET plan = %s", got.raw)
	}
	if st := put(`{"plan":"gold"}`); st != http.StatusBadRequest || p.Plan() != PlanBasic {
		t.Errorf("PUT of an unknown plan = %d, plan now %s", st, p.Plan())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := &lineWriter{lines: make(chan string, 10)}
	done := make(chan error, 1)
	go func() {
		done <- RunCommand(ctx, []string{"--addr", "127.0.0.1:0", "--portals", "1", "--deals", "0", "--cost-off", "--plan", "standard"}, lines, io.Discard)
	}()
	var info struct {
		WebhookURL string `json:"webhook_url"`
	}
	if err := json.Unmarshal([]byte(<-lines.lines), &info); err != nil {
		t.Fatal(err)
	}
	a := get(t, http.DefaultClient, info.WebhookURL+"feature.get?CODE=rest_auth_connector")
	if v := object(a.body["result"])["value"]; v != "N" {
		t.Errorf("-plan standard: feature.get = %s", a.raw)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := RunCommand(context.Background(), []string{"--addr", "127.0.0.1:0", "--plan", "gold"}, io.Discard, io.Discard); err == nil {
		t.Error("-plan gold was accepted")
	}
}
