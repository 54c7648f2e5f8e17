package b24test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	dealFile  = "UF_CRM_1700000006" // single
	dealFiles = "UF_CRM_1700000007" // multiple
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// download fetches a file address and returns the status, body and
// headers.
func download(t *testing.T, s *Server, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := s.Client().Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// withAuth puts a token into a file address's auth parameter.
func withAuth(u, token string) string {
	pu, _ := url.Parse(u)
	q := pu.Query()
	q.Set("auth", token)
	pu.RawQuery = q.Encode()
	return pu.String()
}

func itemOf(t *testing.T, a answer) map[string]any {
	t.Helper()
	return object(object(mustOK(t, a).body["result"])["item"])
}

func TestItemFileUploadAndDownload(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Deals: 3})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	item := itemOf(t, call("crm.item.add", map[string]any{"entityTypeId": 2, "fields": map[string]any{
		"title":            "with files",
		"ufCrm_1700000006": []string{"contract.pdf", b64("%PDF-1.4 contract")},
		"ufCrm_1700000007": [][]string{{"a.txt", b64("first")}, {"b.png", b64("\x89PNG second")}},
	}}))
	single := object(item["ufCrm_1700000006"])
	many := list(item["ufCrm_1700000007"])
	if single["id"] == nil || !strings.Contains(fmt.Sprint(single["url"]), "fieldName="+dealFile) || len(many) != 2 {
		t.Fatalf("answer: single %v, multiple %v", single, many)
	}
	machine := fmt.Sprint(single["urlMachine"])
	if !strings.Contains(machine, "auth="+url.QueryEscape(tok.AccessToken)) {
		t.Errorf("urlMachine %s does not carry the caller's token", machine)
	}
	status, body, h := download(t, s, machine)
	if status != http.StatusOK || body != "%PDF-1.4 contract" || h.Get("Content-Type") != "application/pdf" ||
		h.Get("Content-Length") != fmt.Sprint(len(body)) || !strings.Contains(h.Get("Content-Disposition"), `filename=contract.pdf`) {
		t.Errorf("download = %d %q %v", status, body, h)
	}
	if status, body, _ := download(t, s, withAuth(fmt.Sprint(object(many[1])["url"]), tok.AccessToken)); status != http.StatusOK || body != "\x89PNG second" {
		t.Errorf("second file by url = %d %q", status, body)
	}

	// Without the app's token, with a dead one, or as a user who may not
	// read the deal, nothing is given.
	own, err := p.IssueTokens(ownRecordsUserID)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		u    string
		want int
	}{
		"no auth":     {withAuth(machine, ""), http.StatusUnauthorized},
		"wrong token": {withAuth(machine, "nope"), http.StatusUnauthorized},
		"other user":  {withAuth(machine, own.AccessToken), http.StatusForbidden},
	} {
		if status, body, _ := download(t, s, tc.u); status != tc.want || strings.Contains(body, "contract") {
			t.Errorf("%s: %d %q, want %d", name, status, body, tc.want)
		}
	}

	// Keep a file by its id, add one, drop the other; keep the single
	// file by its current id.
	id := fmt.Sprint(item["id"])
	keep, drop := object(many[0]), object(many[1])
	upd := itemOf(t, call("crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{
		"ufCrm_1700000006": map[string]any{"id": single["id"]},
		"ufCrm_1700000007": []any{map[string]any{"id": keep["id"]}, []string{"c.txt", b64("third")}},
	}}))
	now := list(upd["ufCrm_1700000007"])
	if fmt.Sprint(object(upd["ufCrm_1700000006"])["id"]) != fmt.Sprint(single["id"]) || len(now) != 2 || fmt.Sprint(object(now[0])["id"]) != fmt.Sprint(keep["id"]) {
		t.Fatalf("after update: %v, %v", upd["ufCrm_1700000006"], now)
	}
	if status, _, _ := download(t, s, fmt.Sprint(drop["urlMachine"])); status != http.StatusNotFound {
		t.Errorf("a dropped file downloads: %d", status)
	}
	if _, body, _ := download(t, s, fmt.Sprint(object(now[1])["urlMachine"])); body != "third" {
		t.Errorf("added file = %q", body)
	}
	// "" clears a field; a foreign id resets it.
	cleared := itemOf(t, call("crm.item.update", map[string]any{"entityTypeId": 2, "id": id, "fields": map[string]any{
		"ufCrm_1700000006": "", "ufCrm_1700000007": map[string]any{"id": 12345},
	}}))
	if cleared["ufCrm_1700000006"] != nil || fmt.Sprint(cleared["ufCrm_1700000007"]) != "[]" {
		t.Errorf("after clearing: %v, %v", cleared["ufCrm_1700000006"], cleared["ufCrm_1700000007"])
	}
	if status, _, _ := download(t, s, machine); status != http.StatusNotFound {
		t.Errorf("a cleared file downloads: %d", status)
	}
}

func TestLegacyFileFields(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Contacts: 2})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	id := fmt.Sprint(mustOK(t, call("crm.contact.add", map[string]any{"fields": map[string]any{"NAME": "Ann"}})).body["result"])
	got := object(mustOK(t, call("crm.contact.get", map[string]any{"id": id})).body["result"])
	if _, has := got["UF_CRM_1700000206"]; has || fmt.Sprint(got["UF_CRM_1700000207"]) != "[]" {
		t.Errorf("empty file fields: single %v, multiple %v (want absent and [])", got["UF_CRM_1700000206"], got["UF_CRM_1700000207"])
	}
	// Form encoding, as PHP clients send it.
	form := "auth=" + q(tok.AccessToken) + "&id=" + id +
		"&fields[UF_CRM_1700000206][fileData][0]=passport.jpg&fields[UF_CRM_1700000206][fileData][1]=" + q(b64("JPEG")) +
		"&fields[UF_CRM_1700000207][0][fileData][0]=one.txt&fields[UF_CRM_1700000207][0][fileData][1]=" + q(b64("1")) +
		"&fields[UF_CRM_1700000207][1][fileData][0]=two.txt&fields[UF_CRM_1700000207][1][fileData][1]=" + q(b64("22"))
	mustOK(t, postForm(t, s.Client(), p.ClientEndpoint()+"crm.contact.update", form))
	got = object(mustOK(t, call("crm.contact.get", map[string]any{"id": id})).body["result"])
	single, many := object(got["UF_CRM_1700000206"]), list(got["UF_CRM_1700000207"])
	if single["id"] == nil || !strings.HasPrefix(fmt.Sprint(single["showUrl"]), "/bitrix/components/bitrix/crm.contact.show/show_file.php?") || len(many) != 2 {
		t.Fatalf("after upload: %v, %v", single, many)
	}
	dl := "http://" + p.Domain() + strings.Replace(fmt.Sprint(single["downloadUrl"]), "auth=", "auth="+q(tok.AccessToken), 1)
	if status, body, h := download(t, s, dl); status != http.StatusOK || body != "JPEG" || h.Get("Content-Type") != "image/jpeg" {
		t.Errorf("legacy download = %d %q %v", status, body, h)
	}
	if status, _, _ := download(t, s, "http://"+p.Domain()+fmt.Sprint(single["downloadUrl"])); status != http.StatusUnauthorized {
		t.Errorf("download with an empty auth = %d", status)
	}
	// crm.item shows the same files.
	item := itemOf(t, call("crm.item.get", map[string]any{"entityTypeId": 3, "id": id}))
	if fmt.Sprint(object(item["ufCrm_1700000206"])["id"]) != fmt.Sprint(single["id"]) || len(list(item["ufCrm_1700000207"])) != 2 {
		t.Errorf("crm.item sees %v, %v", item["ufCrm_1700000206"], item["ufCrm_1700000207"])
	}
}

// A malformed upload is refused and changes nothing.
func TestBadFileUploadsAreRefused(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Deals: 3})
	before, _ := p.Record("deal", 1)
	for _, tc := range []struct {
		method string
		params map[string]any
		code   string
	}{
		{"crm.item.update", map[string]any{"entityTypeId": 2, "id": 1, "fields": map[string]any{"ufCrm_1700000006": []string{"a.pdf", "not base64!"}}}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"},
		{"crm.item.update", map[string]any{"entityTypeId": 2, "id": 1, "fields": map[string]any{"title": "x", "ufCrm_1700000007": []any{[]string{"", b64("x")}}}}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"},
		{"crm.item.update", map[string]any{"entityTypeId": 2, "id": 1, "fields": map[string]any{"ufCrm_1700000006": 17}}, "CRM_FIELD_ERROR_VALUE_NOT_VALID"},
		{"crm.deal.update", map[string]any{"id": 1, "fields": map[string]any{"TITLE": "x", dealFile: map[string]any{"fileData": "a.pdf"}}}, ""},
		{"crm.deal.update", map[string]any{"id": 1, "fields": map[string]any{dealFiles: []any{map[string]any{"name": "a.pdf"}}}}, ""},
	} {
		a := appCall(t, s, p, tok.AccessToken, tc.method, tc.params)
		if a.status != http.StatusBadRequest || a.errCode() != tc.code {
			t.Errorf("%s %v = %d %s, want 400 %q", tc.method, tc.params["fields"], a.status, a.raw, tc.code)
		}
	}
	if after, _ := p.Record("deal", 1); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused upload changed the deal:\n%v\n%v", before, after)
	}
}

// Seeded records have files made from the seed: the same names and bytes
// from two servers with one seed.
func TestSeededFilesAreStable(t *testing.T) {
	t.Parallel()
	opts := Options{Deals: 30, Seed: 5, Limits: Limits{Unlimited: true}}
	a, pa, ta := installed(t, opts)
	b, pb, tb := installed(t, opts)
	seen := 0
	for id := 1; id <= 30; id++ {
		ia := itemOf(t, appCall(t, a, pa, ta.AccessToken, "crm.item.get", map[string]any{"entityTypeId": 2, "id": id}))
		ib := itemOf(t, appCall(t, b, pb, tb.AccessToken, "crm.item.get", map[string]any{"entityTypeId": 2, "id": id}))
		fa, fb := list(ia["ufCrm_1700000007"]), list(ib["ufCrm_1700000007"])
		if f := ia["ufCrm_1700000006"]; f != nil {
			fa = append(fa, f)
			fb = append(fb, ib["ufCrm_1700000006"])
		}
		if len(fa) != len(fb) {
			t.Fatalf("deal %d: %d and %d files from one seed", id, len(fa), len(fb))
		}
		for i := range fa {
			sa, bodyA, ha := download(t, a, fmt.Sprint(object(fa[i])["urlMachine"]))
			sb, bodyB, hb := download(t, b, fmt.Sprint(object(fb[i])["urlMachine"]))
			if sa != http.StatusOK || sb != http.StatusOK || bodyA != bodyB || bodyA == "" || ha.Get("Content-Disposition") != hb.Get("Content-Disposition") {
				t.Errorf("deal %d file %d: %d %q / %d %q", id, i, sa, ha.Get("Content-Disposition"), sb, hb.Get("Content-Disposition"))
			}
			seen++
		}
	}
	if seen == 0 {
		t.Error("no seeded deal has a file")
	}
}

// The control API attaches a file as a person would: the record's field
// shows it and it downloads.
func TestControlAttachesFile(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Deals: 3})
	before := len(list(itemOf(t, appCall(t, s, p, tok.AccessToken, "crm.item.get", map[string]any{"entityTypeId": 2, "id": 2}))["ufCrm_1700000007"]))
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/_emulator/portals/"+p.MemberID()+"/records/deal/2/files/"+dealFiles+"?user_id=2&name=report.csv", bytes.NewReader([]byte("a,b\n1,2\n")))
	a := do(t, s.Client(), req)
	if a.status != http.StatusOK || a.body["id"] == nil {
		t.Fatalf("attach = %d %s", a.status, a.raw)
	}
	files := list(itemOf(t, appCall(t, s, p, tok.AccessToken, "crm.item.get", map[string]any{"entityTypeId": 2, "id": 2}))["ufCrm_1700000007"])
	if len(files) != before+1 {
		t.Fatalf("deal 2 has %d files, had %d", len(files), before)
	}
	last := object(files[len(files)-1])
	if fmt.Sprint(last["id"]) != fmt.Sprint(a.body["id"]) {
		t.Errorf("new file %v, attach said %v", last["id"], a.body["id"])
	}
	if status, body, h := download(t, s, fmt.Sprint(last["urlMachine"])); status != http.StatusOK || body != "a,b\n1,2\n" || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Errorf("download = %d %q %v", status, body, h)
	}
	if r, _ := p.Record("deal", 2); r["MODIFY_BY_ID"] != "2" {
		t.Errorf("MODIFY_BY_ID = %v, want the attaching user", r["MODIFY_BY_ID"])
	}
	bad := do(t, s.Client(), mustRequest(t, s.URL+"/_emulator/portals/"+p.MemberID()+"/records/deal/2/files/TITLE?name=x.txt"))
	if bad.status != http.StatusBadRequest {
		t.Errorf("attach to a non-file field = %d", bad.status)
	}
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
