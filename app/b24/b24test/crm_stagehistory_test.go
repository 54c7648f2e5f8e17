package b24test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// stageHistory calls crm.stagehistory.list through the webhook.
func stageHistory(t *testing.T, s *Server, p *Portal, params map[string]any) answer {
	t.Helper()
	return hookCall(t, s, p, "crm.stagehistory.list", params)
}

func historyItems(t *testing.T, a answer) []map[string]any {
	t.Helper()
	mustOK(t, a)
	var out []map[string]any
	for _, it := range list(object(a.body["result"])["items"]) {
		out = append(out, object(it))
	}
	return out
}

func intOf(v any) int {
	n, _ := strconv.Atoi(fmt.Sprint(v))
	return n
}

// ownerHistory lists one record's rows in ID order.
func ownerHistory(t *testing.T, s *Server, p *Portal, entityTypeID, owner int) []map[string]any {
	t.Helper()
	return historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": entityTypeID,
		"filter": map[string]any{"OWNER_ID": owner}, "order": map[string]any{"ID": "ASC"}}))
}

// keysetHistory reads a whole history by keyset pages (>ID, start=-1).
func keysetHistory(t *testing.T, s *Server, p *Portal, entityTypeID int, filter map[string]any) []map[string]any {
	t.Helper()
	var all []map[string]any
	last := 0
	for {
		f := map[string]any{">ID": last}
		for k, v := range filter {
			f[k] = v
		}
		page := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": entityTypeID, "filter": f, "order": map[string]any{"ID": "ASC"}, "start": -1}))
		all = append(all, page...)
		if len(page) < 50 {
			return all
		}
		last = intOf(page[len(page)-1]["ID"])
	}
}

func TestStageHistoryAnswerShape(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 20, Leads: 20})
	p := s.Portals()[0]
	a := stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "filter": map[string]any{"OWNER_ID": 1}, "order": map[string]any{"ID": "ASC"},
		"select": []string{"ID", "TYPE_ID", "OWNER_ID", "CREATED_TIME", "CATEGORY_ID", "STAGE_SEMANTIC_ID", "STAGE_ID"}})
	rows := historyItems(t, a)
	if len(rows) < 2 || fmt.Sprint(a.body["total"]) != strconv.Itoa(len(rows)) {
		t.Fatalf("deal 1 history = %s", a.raw)
	}
	var raw struct {
		Result struct {
			Items []map[string]json.RawMessage `json:"items"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(a.raw), &raw); err != nil {
		t.Fatal(err)
	}
	want := []string{"CATEGORY_ID", "CREATED_TIME", "ID", "OWNER_ID", "STAGE_ID", "STAGE_SEMANTIC_ID", "TYPE_ID"}
	for _, it := range raw.Result.Items {
		var keys []string
		for k, v := range it {
			keys = append(keys, k)
			integer := k == "ID" || k == "TYPE_ID" || k == "OWNER_ID" || k == "CATEGORY_ID"
			if integer != (v[0] != '"') {
				t.Errorf("%s = %s: ids are integers, the rest strings", k, v)
			}
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("row keys %v, want %v", keys, want)
		}
	}
	if !bytes.Contains([]byte(a.raw), []byte(`"result":{"items":[`)) {
		t.Errorf("rows are not wrapped in items: %s", a.raw)
	}

	// select narrows the row; leads carry STATUS_ID and STATUS_SEMANTIC_ID
	// and no pipeline.
	narrow := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "filter": map[string]any{"OWNER_ID": 1}, "select": []string{"ID", "STAGE_ID"}}))
	if len(narrow[0]) != 2 || narrow[0]["STAGE_ID"] == nil {
		t.Errorf("select ID, STAGE_ID gave %v", narrow[0])
	}
	lead := ownerHistory(t, s, p, 1, 1)
	for _, k := range []string{"STATUS_ID", "STATUS_SEMANTIC_ID"} {
		if lead[0][k] == nil {
			t.Errorf("lead row lacks %s: %v", k, lead[0])
		}
	}
	for _, k := range []string{"STAGE_ID", "CATEGORY_ID", "STAGE_SEMANTIC_ID"} {
		if _, has := lead[0][k]; has {
			t.Errorf("lead row has %s: %v", k, lead[0])
		}
	}
}

func TestStageHistoryErrors(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 5})
	p := s.Portals()[0]
	for _, c := range []struct {
		params map[string]any
		code   string
		desc   string
	}{
		{map[string]any{"entityTypeId": 3}, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `CONTACT` is not supported"},
		{map[string]any{"entityTypeId": 4}, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `COMPANY` is not supported"},
		{map[string]any{"entityTypeId": 7}, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `QUOTE` is not supported"},
		{map[string]any{"entityTypeId": 2, "filter": map[string]any{"TITLE": "x"}}, "INVALID_ARG_VALUE", "Invalid filter: field 'TITLE' is not allowed in filter"},
		{map[string]any{"entityTypeId": 1, "filter": map[string]any{"STAGE_ID": "NEW"}}, "INVALID_ARG_VALUE", "Invalid filter: field 'STAGE_ID' is not allowed in filter"},
		{map[string]any{"entityTypeId": 2, "order": map[string]any{"ID": "UP"}}, "INVALID_ARG_VALUE", "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'ID'"},
	} {
		a := stageHistory(t, s, p, c.params)
		if a.status != http.StatusBadRequest || a.errCode() != c.code || a.body["error_description"] != c.desc {
			t.Errorf("%v = %d %s", c.params, a.status, a.raw)
		}
	}
	// Old invoices have a history in Bitrix24; the portal has none.
	if rows := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 5})); len(rows) != 0 {
		t.Errorf("old invoices = %v", rows)
	}
}

// The generated past of every generated deal and lead starts with the
// created row at DATE_CREATE in the pipeline's first stage and ends in its
// current stage at MOVED_TIME; TYPE_ID follows the stage's semantics and
// times never go back.
func TestStageHistoryGeneratedMatchesRecords(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 300, Leads: 300})
	p := s.Portals()[0]
	for _, c := range []struct {
		et                      int
		list, stage, sem, first string
	}{
		{2, "crm.deal.list", "STAGE_ID", "STAGE_SEMANTIC_ID", ""},
		{1, "crm.lead.list", "STATUS_ID", "STATUS_SEMANTIC_ID", "NEW"},
	} {
		byOwner := map[int][]map[string]any{}
		for _, r := range keysetHistory(t, s, p, c.et, nil) {
			byOwner[intOf(r["OWNER_ID"])] = append(byOwner[intOf(r["OWNER_ID"])], r)
		}
		if len(byOwner) != 300 {
			t.Fatalf("type %d: %d records have a history, want 300", c.et, len(byOwner))
		}
		moves := 0
		for start := 0; start < 300; start += 50 {
			a := mustOK(t, hookCall(t, s, p, c.list, map[string]any{"start": start, "select": []string{"ID", "CATEGORY_ID", c.stage, "DATE_CREATE", "MOVED_TIME"}}))
			for _, rec := range list(a.body["result"]) {
				r := object(rec)
				rows := byOwner[intOf(r["ID"])]
				first, last := rows[0], rows[len(rows)-1]
				firstStage := c.first
				if c.et == 2 {
					firstStage = dealCategories[intOf(r["CATEGORY_ID"])].stages[0].statusID
				}
				if intOf(first["TYPE_ID"]) != 1 || first[c.stage] != firstStage || first["CREATED_TIME"] != r["DATE_CREATE"] {
					t.Errorf("record %v: first row %v, want created in %s at DATE_CREATE", r, first, firstStage)
				}
				if last[c.stage] != r[c.stage] || last["CREATED_TIME"] != r["MOVED_TIME"] {
					t.Errorf("record %v: last row %v, want its stage at MOVED_TIME", r, last)
				}
				prev := ""
				for i, row := range rows {
					at := fmt.Sprint(row["CREATED_TIME"])
					if at < prev {
						t.Errorf("record %v: row %v goes back in time", r["ID"], row)
					}
					prev = at
					if c.et == 2 && fmt.Sprint(row["CATEGORY_ID"]) != fmt.Sprint(r["CATEGORY_ID"]) {
						t.Errorf("record %v: row %v is in another pipeline", r["ID"], row)
					}
					want := 2
					if row[c.sem] != "P" {
						want = 3
					}
					if i > 0 && intOf(row["TYPE_ID"]) != want {
						t.Errorf("record %v: row %v has TYPE_ID %v, want %d", r["ID"], row, row["TYPE_ID"], want)
					}
					if i > 0 {
						moves++
					}
				}
			}
		}
		if moves < 300 {
			t.Errorf("type %d: only %d moves in 300 records", c.et, moves)
		}
	}
}

// Every write path that changes a stage adds a row: crm.deal.update,
// crm.item.update, the control API, the Go API and the portal's card;
// creating a record adds the created row; a write that leaves the stage
// alone adds none.
func TestStageHistoryWritePaths(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := NewTestServer(t, Options{Now: clk.Now, Deals: 30, Leads: 10})
	p := s.Portals()[0]
	// A deal of the default pipeline that is neither in NEW nor PREPARATION.
	id := -1
	for n := 1; n <= 30; n++ {
		if st := genStage(&p.crm[2].g, n); genCategory(&p.crm[2].g, n) == "0" && st != "NEW" && st != "PREPARATION" {
			id = n
			break
		}
	}
	if id < 0 {
		t.Fatal("no deal to move")
	}
	before := len(ownerHistory(t, s, p, 2, id))
	step := func() { clk.Add(time.Minute) }

	step()
	mustOK(t, hookCall(t, s, p, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"STAGE_ID": "NEW"}}))
	mustOK(t, hookCall(t, s, p, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "No move"}}))
	step()
	mustOK(t, hookCall(t, s, p, "crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"stageId": "PREPARATION"}}))
	step()
	body, _ := json.Marshal(map[string]any{"user_id": 2, "fields": map[string]any{"STAGE_ID": "LOSE"}})
	req, _ := http.NewRequest(http.MethodPatch, s.URL+"/_emulator/portals/"+p.MemberID()+"/records/deal/"+strconv.Itoa(id), bytes.NewReader(body))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("control API PATCH = %d", resp.StatusCode)
	}
	step()
	if err := p.UpdateRecord("deal", id, Automation, map[string]any{"STAGE_ID": "EXECUTING"}); err != nil {
		t.Fatal(err)
	}
	step()
	wantStatus(t, uiPost(t, s, p, "/crm/deal/details/"+strconv.Itoa(id)+"/", url.Values{"STAGE_ID": {"WON"}}), http.StatusSeeOther)

	rows := ownerHistory(t, s, p, 2, id)
	added := rows[before:]
	var got []string
	for _, r := range added {
		got = append(got, fmt.Sprint(r["STAGE_ID"]))
	}
	if want := []string{"NEW", "PREPARATION", "LOSE", "EXECUTING", "WON"}; !slices.Equal(got, want) {
		t.Fatalf("rows added %v, want %v", got, want)
	}
	for i, want := range []int{2, 2, 3, 2, 3} {
		r := added[i]
		if intOf(r["TYPE_ID"]) != want || intOf(r["ID"]) <= 30*genStageSlots || r["CREATED_TIME"] != p.formatTime(newClock().Now().Add(time.Duration(i+1)*time.Minute)) {
			t.Errorf("row %v: want TYPE_ID %d, an id after the generated rows, the time of the move", r, want)
		}
	}
	rec := mustOK(t, hookCall(t, s, p, "crm.deal.get", map[string]any{"id": id}))
	if added[4]["CREATED_TIME"] != object(rec.body["result"])["MOVED_TIME"] {
		t.Errorf("last row %v, deal %v", added[4], rec.body["result"])
	}

	// Creation: a created row in the first stage; a lead's status moves.
	add := mustOK(t, hookCall(t, s, p, "crm.item.add", map[string]any{"entityTypeId": 2, "fields": map[string]any{"title": "Fresh", "categoryId": 1}}))
	added1 := intOf(object(object(add.body["result"])["item"])["id"])
	if rows := ownerHistory(t, s, p, 2, added1); len(rows) != 1 || intOf(rows[0]["TYPE_ID"]) != 1 || rows[0]["STAGE_ID"] != "C1:NEW" || intOf(rows[0]["CATEGORY_ID"]) != 1 {
		t.Errorf("new deal's history = %v", rows)
	}
	leadID, err := p.AddRecord("lead", 2, map[string]any{"TITLE": "Call back"})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, hookCall(t, s, p, "crm.lead.update", map[string]any{"id": leadID, "fields": map[string]any{"STATUS_ID": "JUNK"}}))
	lr := ownerHistory(t, s, p, 1, leadID)
	if len(lr) != 2 || lr[0]["STATUS_ID"] != "NEW" || intOf(lr[0]["TYPE_ID"]) != 1 || lr[1]["STATUS_ID"] != "JUNK" || lr[1]["STATUS_SEMANTIC_ID"] != "F" || intOf(lr[1]["TYPE_ID"]) != 3 {
		t.Errorf("lead history = %v", lr)
	}

	// A deleted record's rows are gone.
	mustOK(t, hookCall(t, s, p, "crm.deal.delete", map[string]any{"id": id}))
	if rows := ownerHistory(t, s, p, 2, id); len(rows) != 0 {
		t.Errorf("deleted deal's history = %v", rows)
	}
}

// Filters take the documented prefixes on every field; order by another
// field sorts; start pages with total and next.
func TestStageHistoryFiltersAndPaging(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 200})
	p := s.Portals()[0]
	all := keysetHistory(t, s, p, 2, nil)
	count := func(pred func(map[string]any) bool) int {
		n := 0
		for _, r := range all {
			if pred(r) {
				n++
			}
		}
		return n
	}
	total := func(filter map[string]any) int {
		a := mustOK(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "filter": filter, "start": 0}))
		return intOf(a.body["total"])
	}
	cut := fmt.Sprint(all[len(all)/2]["CREATED_TIME"])
	for name, c := range map[string]struct {
		filter map[string]any
		pred   func(map[string]any) bool
	}{
		"created":  {map[string]any{"TYPE_ID": 1}, func(r map[string]any) bool { return intOf(r["TYPE_ID"]) == 1 }},
		"@stage":   {map[string]any{"@STAGE_ID": []string{"WON", "C1:WON"}}, func(r map[string]any) bool { return r["STAGE_ID"] == "WON" || r["STAGE_ID"] == "C1:WON" }},
		"!@stage":  {map[string]any{"!@STAGE_ID": []string{"NEW", "C1:NEW", "C2:NEW"}}, func(r map[string]any) bool { return !slices.Contains([]any{"NEW", "C1:NEW", "C2:NEW"}, r["STAGE_ID"]) }},
		">=time":   {map[string]any{">=CREATED_TIME": cut}, func(r map[string]any) bool { return fmt.Sprint(r["CREATED_TIME"]) >= cut }},
		"semantic": {map[string]any{"STAGE_SEMANTIC_ID": "F", "CATEGORY_ID": 0}, func(r map[string]any) bool { return r["STAGE_SEMANTIC_ID"] == "F" && intOf(r["CATEGORY_ID"]) == 0 }},
		"owners":   {map[string]any{">OWNER_ID": 20, "<=OWNER_ID": 40}, func(r map[string]any) bool { return intOf(r["OWNER_ID"]) > 20 && intOf(r["OWNER_ID"]) <= 40 }},
	} {
		want := count(c.pred)
		if want == 0 {
			t.Errorf("%s: the test data has no match", name)
		}
		if got := total(c.filter); got != want {
			t.Errorf("%s: total %d, want %d", name, got, want)
		}
	}

	// Offset pages: next while rows remain, the same rows as the keyset.
	var paged []map[string]any
	for start := 0; ; {
		a := mustOK(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "start": start}))
		paged = append(paged, historyItems(t, a)...)
		if intOf(a.body["total"]) != len(all) {
			t.Fatalf("total %v, want %d", a.body["total"], len(all))
		}
		next, has := a.body["next"]
		if !has {
			break
		}
		start = intOf(next)
	}
	if len(paged) != len(all) || fmt.Sprint(paged) != fmt.Sprint(all) {
		t.Errorf("offset paging gave %d rows, keyset %d", len(paged), len(all))
	}

	// Order by time, latest first.
	byTime := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "order": map[string]any{"CREATED_TIME": "DESC"}}))
	for i := 1; i < len(byTime); i++ {
		if fmt.Sprint(byTime[i]["CREATED_TIME"]) > fmt.Sprint(byTime[i-1]["CREATED_TIME"]) {
			t.Fatalf("order CREATED_TIME DESC: %v after %v", byTime[i], byTime[i-1])
		}
	}
	desc := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "order": map[string]any{"ID": "DESC"}, "start": -1}))
	if intOf(desc[0]["ID"]) != intOf(all[len(all)-1]["ID"]) {
		t.Errorf("order ID DESC starts at %v, want %v", desc[0]["ID"], all[len(all)-1]["ID"])
	}
}

// A keyset scan over a million deals reads page by page without building
// the whole history; rows of changes come after every generated row.
func TestStageHistoryKeysetMillion(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 1_000_000})
	p := s.Portals()[0]
	last, seen := 0, 0
	for range 20 {
		a := stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "filter": map[string]any{">ID": last}, "order": map[string]any{"ID": "ASC"}, "start": -1})
		rows := historyItems(t, a)
		if len(rows) != 50 {
			t.Fatalf("a keyset page has %d rows", len(rows))
		}
		if _, has := a.body["next"]; has || intOf(a.body["total"]) != 0 {
			t.Errorf("start=-1 answered total %v next %v", a.body["total"], a.body["next"])
		}
		for _, r := range rows {
			if intOf(r["ID"]) <= last {
				t.Fatalf("row %v after ID %d", r, last)
			}
			last = intOf(r["ID"])
		}
		seen += len(rows)
	}
	tail := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "filter": map[string]any{">ID": 999_990 * genStageSlots}, "start": -1}))
	if len(tail) == 0 || intOf(tail[len(tail)-1]["OWNER_ID"]) != 1_000_000 {
		t.Errorf("the last page ends at %v", tail)
	}
	if err := p.UpdateRecord("deal", 5, 1, map[string]any{"STAGE_ID": otherStage(p, 5)}); err != nil {
		t.Fatal(err)
	}
	after := historyItems(t, stageHistory(t, s, p, map[string]any{"entityTypeId": 2, "filter": map[string]any{">ID": 1_000_000 * genStageSlots}, "start": -1}))
	if len(after) != 1 || intOf(after[0]["OWNER_ID"]) != 5 {
		t.Fatalf("rows after every generated one = %v", after)
	}
	deal5 := ownerHistory(t, s, p, 2, 5)
	if deal5[len(deal5)-1]["ID"] != after[0]["ID"] {
		t.Errorf("deal 5's history %v does not end with its move %v", deal5, after)
	}
}

// otherStage is a stage of deal id's pipeline that it is not in.
func otherStage(p *Portal, id int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := stageKindOf(p, 2)
	category, cur := k.current(id)
	for _, e := range dealStages(category) {
		if e.statusID != cur {
			return e.statusID
		}
	}
	return ""
}

// crm.item.update moves a deal to another pipeline: the deal enters the
// new pipeline's first stage unless given one of it, a TYPE_ID 5 row is
// added, only the current pipeline's rows are listed, and the handlers get
// ONCRMDEALMOVETOCATEGORY with the new pipeline and stage instead of
// ONCRMDEALUPDATE. The legacy update keeps CATEGORY_ID immutable.
func TestStageHistoryPipelineMove(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Deals: 30})
	for _, ev := range []string{"ONCRMDEALUPDATE", "ONCRMDEALMOVETOCATEGORY"} {
		mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": ev, "handler": h.URL + "/ev"}))
	}
	id := -1
	for n := 1; n <= 30; n++ {
		if genCategory(&p.crm[2].g, n) == "0" {
			id = n
			break
		}
	}
	if id < 0 {
		t.Fatal("no deal in pipeline 0")
	}
	if len(ownerHistory(t, s, p, 2, id)) < 2 {
		t.Fatal("deal has no generated history")
	}
	mustOK(t, hookCall(t, s, p, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"CATEGORY_ID": 1}}))
	if got := ownerHistory(t, s, p, 2, id); intOf(got[0]["CATEGORY_ID"]) != 0 {
		t.Errorf("the legacy update moved the deal: %v", got)
	}
	d1 := waitN(t, p, 1)[0]
	if d1.Event != "ONCRMDEALUPDATE" {
		t.Errorf("legacy update sent %s", d1.Event)
	}

	a := mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"categoryId": 1}}))
	item := object(object(a.body["result"])["item"])
	if intOf(item["categoryId"]) != 1 || item["stageId"] != "C1:NEW" {
		t.Fatalf("moved item = %v", item)
	}
	rows := ownerHistory(t, s, p, 2, id)
	if len(rows) != 1 || intOf(rows[0]["TYPE_ID"]) != 5 || intOf(rows[0]["CATEGORY_ID"]) != 1 || rows[0]["STAGE_ID"] != "C1:NEW" || rows[0]["CREATED_TIME"] != item["movedTime"] {
		t.Errorf("history after the move = %v, want only the pipeline row", rows)
	}
	d2 := waitN(t, p, 2)[1]
	if d2.Event != "ONCRMDEALMOVETOCATEGORY" || d2.Body.Get("data[FIELDS][ID]") != strconv.Itoa(id) ||
		d2.Body.Get("data[FIELDS][CATEGORY_ID]") != "1" || d2.Body.Get("data[FIELDS][STAGE_ID]") != "C1:NEW" {
		t.Errorf("pipeline move sent %s %v", d2.Event, d2.Body)
	}

	// Given a stage of the new pipeline, the deal enters it; one of another
	// pipeline is refused.
	bad := appCall(t, s, p, tok.AccessToken, "crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"categoryId": 2, "stageId": "C1:WON"}})
	if bad.status != http.StatusBadRequest {
		t.Errorf("a stage of another pipeline = %d %s", bad.status, bad.raw)
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"categoryId": 2, "stageId": "C2:WON"}}))
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"stageId": "C2:NEGOTIATION"}}))
	rows = ownerHistory(t, s, p, 2, id)
	if len(rows) != 2 || intOf(rows[0]["TYPE_ID"]) != 5 || rows[0]["STAGE_ID"] != "C2:WON" || rows[0]["STAGE_SEMANTIC_ID"] != "S" || intOf(rows[1]["TYPE_ID"]) != 2 {
		t.Errorf("history in pipeline 2 = %v", rows)
	}
	// Back in pipeline 0, its earlier rows there are listed again.
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{"categoryId": 0}}))
	rows = ownerHistory(t, s, p, 2, id)
	if intOf(rows[0]["TYPE_ID"]) != 1 || rows[len(rows)-1]["STAGE_ID"] != "NEW" || intOf(rows[len(rows)-1]["TYPE_ID"]) != 5 {
		t.Errorf("history back in pipeline 0 = %v", rows)
	}
}

// A user who may read only their own deals gets only those deals' rows.
func TestStageHistoryFollowsReadRights(t *testing.T) {
	t.Parallel()
	s, p, _ := installed(t, Options{Deals: 60})
	own, err := p.IssueTokens(4)
	if err != nil {
		t.Fatal(err)
	}
	mine := map[int]bool{}
	deals := mustOK(t, hookCall(t, s, p, "crm.deal.list", map[string]any{"filter": map[string]any{"ASSIGNED_BY_ID": 4}, "select": []string{"ID"}}))
	for _, d := range list(deals.body["result"]) {
		mine[intOf(object(d)["ID"])] = true
	}
	want := 0
	for _, r := range keysetHistory(t, s, p, 2, nil) {
		if mine[intOf(r["OWNER_ID"])] {
			want++
		}
	}
	a := appCall(t, s, p, own.AccessToken, "crm.stagehistory.list", map[string]any{"entityTypeId": 2, "start": 0})
	rows := historyItems(t, a)
	if len(mine) == 0 || want == 0 || intOf(a.body["total"]) != want {
		t.Fatalf("user 4 sees %v rows, want %d (of %d own deals)", a.body["total"], want, len(mine))
	}
	for _, r := range rows {
		if !mine[intOf(r["OWNER_ID"])] {
			t.Errorf("user 4 sees a row of deal %v", r["OWNER_ID"])
		}
	}
}
