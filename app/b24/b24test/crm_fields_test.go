package b24test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// documentedFields are the standard (non-UF) fields of the crm.*.fields
// examples, in their order; company's PARENT_ID_156 belongs to a smart
// process this portal does not have.
var documentedFields = map[string]string{
	"deal": `ID TITLE TYPE_ID CATEGORY_ID STAGE_ID STAGE_SEMANTIC_ID IS_NEW IS_RECURRING IS_RETURN_CUSTOMER
		IS_REPEATED_APPROACH PROBABILITY CURRENCY_ID OPPORTUNITY IS_MANUAL_OPPORTUNITY TAX_VALUE COMPANY_ID CONTACT_ID
		CONTACT_IDS QUOTE_ID BEGINDATE CLOSEDATE OPENED CLOSED COMMENTS ASSIGNED_BY_ID CREATED_BY_ID MODIFY_BY_ID
		MOVED_BY_ID DATE_CREATE DATE_MODIFY MOVED_TIME SOURCE_ID SOURCE_DESCRIPTION LEAD_ID ADDITIONAL_INFO LOCATION_ID
		ORIGINATOR_ID ORIGIN_ID UTM_SOURCE UTM_MEDIUM UTM_CAMPAIGN UTM_CONTENT UTM_TERM LAST_ACTIVITY_TIME LAST_ACTIVITY_BY`,
	"lead": `ID TITLE HONORIFIC NAME SECOND_NAME LAST_NAME BIRTHDATE COMPANY_TITLE SOURCE_ID SOURCE_DESCRIPTION STATUS_ID
		STATUS_DESCRIPTION STATUS_SEMANTIC_ID POST ADDRESS ADDRESS_2 ADDRESS_CITY ADDRESS_POSTAL_CODE ADDRESS_REGION
		ADDRESS_PROVINCE ADDRESS_COUNTRY ADDRESS_COUNTRY_CODE ADDRESS_LOC_ADDR_ID CURRENCY_ID OPPORTUNITY
		IS_MANUAL_OPPORTUNITY OPENED COMMENTS HAS_PHONE HAS_EMAIL HAS_IMOL ASSIGNED_BY_ID CREATED_BY_ID MODIFY_BY_ID
		MOVED_BY_ID DATE_CREATE DATE_MODIFY MOVED_TIME COMPANY_ID CONTACT_ID CONTACT_IDS IS_RETURN_CUSTOMER DATE_CLOSED
		ORIGINATOR_ID ORIGIN_ID UTM_SOURCE UTM_MEDIUM UTM_CAMPAIGN UTM_CONTENT UTM_TERM LAST_ACTIVITY_TIME
		LAST_ACTIVITY_BY PHONE EMAIL WEB IM LINK`,
	"contact": `ID HONORIFIC NAME SECOND_NAME LAST_NAME PHOTO BIRTHDATE TYPE_ID SOURCE_ID SOURCE_DESCRIPTION POST ADDRESS
		ADDRESS_2 ADDRESS_CITY ADDRESS_POSTAL_CODE ADDRESS_REGION ADDRESS_PROVINCE ADDRESS_COUNTRY ADDRESS_COUNTRY_CODE
		ADDRESS_LOC_ADDR_ID COMMENTS OPENED EXPORT HAS_PHONE HAS_EMAIL HAS_IMOL ASSIGNED_BY_ID CREATED_BY_ID MODIFY_BY_ID
		DATE_CREATE DATE_MODIFY COMPANY_ID COMPANY_IDS LEAD_ID ORIGINATOR_ID ORIGIN_ID ORIGIN_VERSION UTM_SOURCE
		UTM_MEDIUM UTM_CAMPAIGN UTM_CONTENT UTM_TERM LAST_ACTIVITY_TIME LAST_ACTIVITY_BY PHONE EMAIL WEB IM LINK`,
	"company": `ID TITLE COMPANY_TYPE LOGO ADDRESS ADDRESS_2 ADDRESS_CITY ADDRESS_POSTAL_CODE ADDRESS_REGION ADDRESS_PROVINCE
		ADDRESS_COUNTRY ADDRESS_COUNTRY_CODE ADDRESS_LOC_ADDR_ID ADDRESS_LEGAL REG_ADDRESS REG_ADDRESS_2 REG_ADDRESS_CITY
		REG_ADDRESS_POSTAL_CODE REG_ADDRESS_REGION REG_ADDRESS_PROVINCE REG_ADDRESS_COUNTRY REG_ADDRESS_COUNTRY_CODE
		REG_ADDRESS_LOC_ADDR_ID BANKING_DETAILS INDUSTRY EMPLOYEES CURRENCY_ID REVENUE OPENED COMMENTS HAS_PHONE
		HAS_EMAIL HAS_IMOL IS_MY_COMPANY ASSIGNED_BY_ID CREATED_BY_ID MODIFY_BY_ID DATE_CREATE DATE_MODIFY CONTACT_ID
		LEAD_ID ORIGINATOR_ID ORIGIN_ID ORIGIN_VERSION UTM_SOURCE UTM_MEDIUM UTM_CAMPAIGN UTM_CONTENT UTM_TERM
		LAST_ACTIVITY_TIME LAST_ACTIVITY_BY LAST_COMMUNICATION_TIME PHONE EMAIL WEB IM LINK`,
}

// documentedReadOnly are the fields the examples flag isReadOnly.
var documentedReadOnly = map[string]string{
	"deal":    "ID STAGE_SEMANTIC_ID IS_NEW QUOTE_ID CREATED_BY_ID MODIFY_BY_ID MOVED_BY_ID DATE_CREATE DATE_MODIFY MOVED_TIME LEAD_ID LAST_ACTIVITY_TIME LAST_ACTIVITY_BY",
	"lead":    "ID STATUS_SEMANTIC_ID HAS_PHONE HAS_EMAIL HAS_IMOL CREATED_BY_ID MODIFY_BY_ID MOVED_BY_ID DATE_CREATE DATE_MODIFY MOVED_TIME IS_RETURN_CUSTOMER DATE_CLOSED LAST_ACTIVITY_TIME LAST_ACTIVITY_BY",
	"contact": "ID HAS_PHONE HAS_EMAIL HAS_IMOL CREATED_BY_ID MODIFY_BY_ID DATE_CREATE DATE_MODIFY LEAD_ID LAST_ACTIVITY_TIME LAST_ACTIVITY_BY",
	"company": "ID HAS_PHONE HAS_EMAIL HAS_IMOL CREATED_BY_ID MODIFY_BY_ID DATE_CREATE DATE_MODIFY LEAD_ID LAST_COMMUNICATION_TIME",
}

var documentedMultiple = map[string]string{
	"deal":    "CONTACT_IDS",
	"lead":    "CONTACT_IDS PHONE EMAIL WEB IM LINK",
	"contact": "COMPANY_IDS PHONE EMAIL WEB IM LINK",
	"company": "CONTACT_ID PHONE EMAIL WEB IM LINK",
}

func TestStandardFieldSetsAsDocumented(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 1})
	p := s.Portals()[0]
	for entity, want := range documentedFields {
		a := mustOK(t, hookCall(t, s, p, "crm."+entity+".fields", nil))
		res := object(a.body["result"])
		var got, readOnly, multiple []string
		for _, f := range fieldOrder(a.raw) {
			if _, in := res[f]; !in || strings.HasPrefix(f, "UF_") {
				continue // a user field, or a key of "time"
			}
			got = append(got, f)
			d := object(res[f])
			if d["isReadOnly"] == true {
				readOnly = append(readOnly, f)
			}
			if d["isMultiple"] == true {
				multiple = append(multiple, f)
			}
		}
		if !slices.Equal(got, strings.Fields(want)) {
			t.Errorf("%s fields (%d):\n got %v\nwant %v", entity, len(got), got, strings.Fields(want))
		}
		if !slices.Equal(readOnly, strings.Fields(documentedReadOnly[entity])) {
			t.Errorf("%s read-only = %v", entity, readOnly)
		}
		if !slices.Equal(multiple, strings.Fields(documentedMultiple[entity])) {
			t.Errorf("%s multiple = %v", entity, multiple)
		}
	}
	deal := object(mustOK(t, hookCall(t, s, p, "crm.deal.fields", nil)).body["result"])
	if object(deal["CONTACT_ID"])["isDeprecated"] != true || object(deal["CATEGORY_ID"])["isImmutable"] != true {
		t.Errorf("CONTACT_ID %v, CATEGORY_ID %v", deal["CONTACT_ID"], deal["CATEGORY_ID"])
	}
	if fmt.Sprint(object(object(deal["COMPANY_ID"])["settings"])["parentEntityTypeId"]) != "4" {
		t.Errorf("COMPANY_ID = %v, want settings.parentEntityTypeId 4", deal["COMPANY_ID"])
	}
	contact := object(mustOK(t, hookCall(t, s, p, "crm.contact.fields", nil)).body["result"])
	if object(contact["COMPANY_ID"])["isDeprecated"] != true || object(contact["HONORIFIC"])["statusType"] != "HONORIFIC" {
		t.Errorf("COMPANY_ID %v, HONORIFIC %v", contact["COMPANY_ID"], contact["HONORIFIC"])
	}
}

// fieldOrder lists the second-level keys of a response in the order sent.
func fieldOrder(raw string) []string {
	var out []string
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{':
			depth++
		case '}':
			depth--
		case '"':
			j := strings.IndexByte(raw[i+1:], '"') + i + 1
			if depth == 2 && raw[j+1] == ':' {
				out = append(out, raw[i+1:j])
			}
			i = j
		}
	}
	return out
}

func TestGeneratedRecordsFillTheNewFields(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 60, Contacts: 60, Companies: 60, Leads: 60})
	p := s.Portals()[0]
	seen := map[string]bool{}
	for _, entity := range []string{"contact", "company", "lead", "deal"} {
		for id := 1; id <= 60; id++ {
			r, ok := p.Record(entity, id)
			if !ok {
				t.Fatalf("%s %d missing", entity, id)
			}
			for _, k := range []string{"WEB", "IM", "ADDRESS_CITY", "UTM_SOURCE", "HONORIFIC", "LAST_ACTIVITY_TIME"} {
				if v, ok := r[k]; ok && v != nil && v != "" && fmt.Sprint(v) != "[]" {
					seen[entity+"."+k] = true
				}
			}
			ims := fmt.Sprint(r["IM"])
			if entity != "deal" && (r["HAS_IMOL"] == "Y") != strings.Contains(ims, "IMOL") {
				t.Errorf("%s %d: HAS_IMOL %v with IM %v", entity, id, r["HAS_IMOL"], ims)
			}
			if _, ok := r["CONTACT_IDS"]; ok {
				t.Errorf("%s %d: get returns CONTACT_IDS", entity, id)
			}
		}
	}
	for _, k := range []string{"contact.WEB", "contact.IM", "contact.ADDRESS_CITY", "contact.HONORIFIC", "company.UTM_SOURCE",
		"lead.ADDRESS_CITY", "deal.LAST_ACTIVITY_TIME"} {
		if !seen[k] {
			t.Errorf("no generated record has %s", k)
		}
	}
	// crm.item returns the contact list, the deprecated CONTACT_ID is its
	// first (the primary contact).
	a := mustOK(t, hookCall(t, s, p, "crm.item.list", map[string]any{"entityTypeId": 2, "select": []string{"id", "contactId", "contactIds"}}))
	linked := 0
	for _, it := range list(object(a.body["result"])["items"]) {
		m := object(it)
		ids := fmt.Sprint(m["contactIds"])
		if c := fmt.Sprint(m["contactId"]); (c == "0") != (ids == "[]") || c != "0" && !strings.HasPrefix(ids, "["+c+" ") && ids != "["+c+"]" {
			t.Errorf("deal %v: contactId %v, contactIds %v", m["id"], c, ids)
		}
		if ids != "[]" {
			linked++
		}
	}
	if linked == 0 {
		t.Error("no generated deal has contacts")
	}
}

func TestActivityMovesOnlySystemFields(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 5, Companies: 5})
	p := s.Portals()[0]
	before, _ := p.Record("company", 2)
	mustOK(t, hookCall(t, s, p, "crm.activity.add", map[string]any{"fields": map[string]any{
		"OWNER_TYPE_ID": 4, "OWNER_ID": 2, "TYPE_ID": ActivityCall, "SUBJECT": "Call back",
	}}))
	after, _ := p.Record("company", 2)
	now := p.formatTime(s.now())
	if after["LAST_ACTIVITY_TIME"] != now || after["LAST_COMMUNICATION_TIME"] != now || after["LAST_ACTIVITY_BY"] != fmt.Sprint(adminID) {
		t.Errorf("after a call: LAST_ACTIVITY_TIME %v, LAST_COMMUNICATION_TIME %v, LAST_ACTIVITY_BY %v; want %s by %d",
			after["LAST_ACTIVITY_TIME"], after["LAST_COMMUNICATION_TIME"], after["LAST_ACTIVITY_BY"], now, adminID)
	}
	for _, k := range []string{"DATE_MODIFY", "MODIFY_BY_ID", "TITLE"} {
		if after[k] != before[k] {
			t.Errorf("%s moved from %v to %v", k, before[k], after[k])
		}
	}
	if n := len(p.Deliveries()); n != 0 {
		t.Errorf("an activity delivered %d events", n)
	}
	user := p.UserIDs()[1]
	if _, err := p.AddActivity("deal", 3, user, 6); err != nil {
		t.Fatal(err)
	}
	deal, _ := p.Record("deal", 3)
	if deal["LAST_ACTIVITY_TIME"] != now || deal["LAST_ACTIVITY_BY"] != fmt.Sprint(user) {
		t.Errorf("deal after an activity: %v by %v", deal["LAST_ACTIVITY_TIME"], deal["LAST_ACTIVITY_BY"])
	}
	a := hookCall(t, s, p, "crm.activity.add", map[string]any{"fields": map[string]any{"OWNER_TYPE_ID": 2, "OWNER_ID": 999}})
	if a.status != 400 || !strings.Contains(a.raw, "OWNER_ID") {
		t.Errorf("unknown owner: %d %s", a.status, a.raw)
	}
}

func TestEditsMaintainSystemFields(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Leads: 5, Contacts: 5})
	p := s.Portals()[0]
	user := p.UserIDs()[1]
	if err := p.UpdateRecord("contact", 1, user, map[string]any{"IM": []any{map[string]any{"VALUE": "imol|telegrambot|1|77|5", "VALUE_TYPE": "IMOL"}}}); err != nil {
		t.Fatal(err)
	}
	c, _ := p.Record("contact", 1)
	now := p.formatTime(s.now())
	if c["HAS_IMOL"] != "Y" || c["DATE_MODIFY"] != now || c["MODIFY_BY_ID"] != fmt.Sprint(user) {
		t.Errorf("contact after an open-line IM: HAS_IMOL %v, DATE_MODIFY %v, MODIFY_BY_ID %v", c["HAS_IMOL"], c["DATE_MODIFY"], c["MODIFY_BY_ID"])
	}
	if err := p.UpdateRecord("contact", 1, user, map[string]any{"COMPANY_IDS": []any{"3", "4"}}); err != nil {
		t.Fatal(err)
	}
	if c, _ = p.Record("contact", 1); c["COMPANY_ID"] != "3" {
		t.Errorf("COMPANY_ID = %v after COMPANY_IDS [3 4]", c["COMPANY_ID"])
	}
	if err := p.UpdateRecord("contact", 1, user, map[string]any{"POST": "CFO"}); err != nil {
		t.Fatal(err)
	}
	item := object(object(mustOK(t, hookCall(t, s, p, "crm.item.get", map[string]any{"entityTypeId": 3, "id": 1})).body["result"])["item"])
	if fmt.Sprint(item["companyIds"]) != "[3 4]" {
		t.Errorf("companyIds = %v after an edit of another field, want [3 4]", item["companyIds"])
	}
	if err := p.UpdateRecord("lead", 2, user, map[string]any{"STATUS_ID": "JUNK"}); err != nil {
		t.Fatal(err)
	}
	l, _ := p.Record("lead", 2)
	if l["STATUS_SEMANTIC_ID"] != "F" || l["DATE_CLOSED"] != now || l["MOVED_TIME"] != now {
		t.Errorf("junk lead: STATUS_SEMANTIC_ID %v, DATE_CLOSED %v, MOVED_TIME %v", l["STATUS_SEMANTIC_ID"], l["DATE_CLOSED"], l["MOVED_TIME"])
	}
	lead := object(object(mustOK(t, hookCall(t, s, p, "crm.item.get", map[string]any{"entityTypeId": 1, "id": 2})).body["result"])["item"])
	if lead["stageSemanticId"] != "F" || lead["dateClosed"] != now {
		t.Errorf("crm.item lead: stageSemanticId %v, dateClosed %v", lead["stageSemanticId"], lead["dateClosed"])
	}
}

// With user_brief every user-reading call, direct or in a batch, returns the
// documented whitelist only: no EMAIL, LAST_LOGIN or USER_TYPE.
func TestUserBriefWhitelistEverywhere(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{}) // the test app has user_brief only
	check := func(where string, u map[string]any) {
		if u["NAME"] == nil {
			t.Errorf("%s: no NAME in %v", where, u)
		}
		for k := range u {
			if !userBriefFields[k] {
				t.Errorf("%s returns %s", where, k)
			}
		}
	}
	check("user.current", object(mustOK(t, appCall(t, s, p, tok.AccessToken, "user.current", nil)).body["result"]))
	b := mustOK(t, appCall(t, s, p, tok.AccessToken, "batch", map[string]any{"cmd": map[string]any{"me": "user.current", "all": "user.get?ID=2"}}))
	res := object(object(b.body["result"])["result"])
	check("batch user.current", object(res["me"]))
	users := list(res["all"])
	if len(users) != 1 {
		t.Fatalf("batch user.get = %v", res["all"])
	}
	check("batch user.get", object(users[0]))
}
