// Package event reads what a Bitrix24 portal POSTs to an application's event
// handler: CRM events, ONAPPINSTALL, ONAPPUNINSTALL, ONAPPUPDATE and
// ONOFFLINEEVENT. The body is a form with PHP-style bracket keys
// (auth[member_id], data[FIELDS][ID]).
//
// Parsing only checks shape. Whether the event is genuine is decided by the
// caller, who compares Auth.ApplicationToken with the one stored for
// Auth.MemberID: the handler URL is public and anyone can POST to it.
package event

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Lifecycle event names.
const (
	AppInstall   = "ONAPPINSTALL"
	AppUninstall = "ONAPPUNINSTALL"
	AppUpdate    = "ONAPPUPDATE"
	OfflineEvent = "ONOFFLINEEVENT"
)

// Event is one delivery to the handler.
type Event struct {
	Name      string    // upper case, e.g. ONCRMDEALUPDATE
	HandlerID string    // event_handler_id, when sent
	TS        time.Time // ts: when the portal queued it; zero when absent
	Data      url.Values
	Auth      Auth
}

// Auth is the auth[...] block. Tokens are present only when the action can
// be tied to a user; automation and outgoing webhooks send none.
type Auth struct {
	AccessToken      string
	RefreshToken     string
	ExpiresIn        int
	Expires          time.Time
	Scope            string
	Domain           string
	ServerEndpoint   string
	ClientEndpoint   string
	MemberID         string
	UserID           int64
	Status           string
	ApplicationToken string
}

// HasUserToken reports whether the event carries a user's access token, which
// Bitrix24 omits for changes made by automation rules and business processes.
func (a Auth) HasUserToken() bool { return a.AccessToken != "" }

// ErrMalformed wraps every parse failure; handlers answer it with 400.
var ErrMalformed = errors.New("malformed event")

// Parse reads an event form. It rejects bodies that lack what every event has
// (event, auth[member_id], auth[application_token]) or carry values of the
// wrong shape.
func Parse(form url.Values) (*Event, error) {
	e := &Event{
		Name:      strings.ToUpper(strings.TrimSpace(form.Get("event"))),
		HandlerID: form.Get("event_handler_id"),
		Data:      url.Values{},
	}
	if e.Name == "" || len(e.Name) > 100 || !isWord(e.Name) {
		return nil, fmt.Errorf("%w: event name missing or invalid", ErrMalformed)
	}
	if ts := form.Get("ts"); ts != "" {
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: ts is not a unix time", ErrMalformed)
		}
		e.TS = time.Unix(n, 0).UTC()
	}
	for k, v := range form {
		if rest, ok := strings.CutPrefix(k, "data["); ok {
			e.Data[dataKey(rest)] = v
		}
	}
	a, err := parseAuth(form)
	if err != nil {
		return nil, err
	}
	e.Auth = a
	return e, nil
}

// dataKey turns the remainder of data[FIELDS][ID] ("FIELDS][ID]") into
// "FIELDS.ID", the form callers look values up by.
func dataKey(rest string) string {
	rest = strings.TrimSuffix(rest, "]")
	return strings.ReplaceAll(rest, "][", ".")
}

func parseAuth(form url.Values) (Auth, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get("auth[" + k + "]")) }
	a := Auth{
		AccessToken:      get("access_token"),
		RefreshToken:     get("refresh_token"),
		Scope:            get("scope"),
		Domain:           get("domain"),
		ServerEndpoint:   get("server_endpoint"),
		ClientEndpoint:   get("client_endpoint"),
		MemberID:         get("member_id"),
		Status:           get("status"),
		ApplicationToken: get("application_token"),
	}
	if a.MemberID == "" || len(a.MemberID) > 64 || !isWord(a.MemberID) {
		return a, fmt.Errorf("%w: auth[member_id] missing or invalid", ErrMalformed)
	}
	if a.ApplicationToken == "" || len(a.ApplicationToken) > 128 {
		return a, fmt.Errorf("%w: auth[application_token] missing or invalid", ErrMalformed)
	}
	if v := get("expires_in"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return a, fmt.Errorf("%w: auth[expires_in] is not a number", ErrMalformed)
		}
		a.ExpiresIn = n
	}
	if v := get("expires"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return a, fmt.Errorf("%w: auth[expires] is not a unix time", ErrMalformed)
		}
		a.Expires = time.Unix(n, 0).UTC()
	}
	if v := get("user_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return a, fmt.Errorf("%w: auth[user_id] is not a number", ErrMalformed)
		}
		a.UserID = n
	}
	return a, nil
}

func isWord(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// CRM describes a CRM record event: which type, which record, what happened.
type CRM struct {
	// Entity names the type: "deal", "lead", "contact", "company", "quote",
	// or, for smart invoices and smart processes, their entityTypeId
	// ("31", "156").
	Entity string
	Kind   string // "add", "update", "delete"
	ID     int64
}

// crmEntities maps the event name's middle part to Trail's entity names.
var crmEntities = map[string]string{"DEAL": "deal", "LEAD": "lead", "CONTACT": "contact", "COMPANY": "company", "QUOTE": "quote"}

// dynamicItem is the middle part of the events of smart-invoice and
// smart-process items: ONCRMDYNAMICITEMUPDATE with data[FIELDS][ENTITY_TYPE_ID],
// or ONCRMDYNAMICITEMUPDATE_156 for one smart process
// (https://apidocs.bitrix24.com/api-reference/crm/universal/events/index.html).
const dynamicItem = "DYNAMICITEM"

// CRMChange interprets a CRM record add/update/delete event. ok is false
// for any other event; err is set when it is a record event without a
// valid record id or type.
func (e *Event) CRMChange() (c CRM, ok bool, err error) {
	rest, found := strings.CutPrefix(e.Name, "ONCRM")
	if !found {
		return c, false, nil
	}
	if rest == dealMove {
		return e.crmChange("deal", "update")
	}
	item, dynamic := strings.CutPrefix(rest, dynamicItem)
	for _, kind := range []string{"ADD", "UPDATE", "DELETE"} {
		var name string
		if dynamic {
			suffix, found := strings.CutPrefix(item, kind)
			if !found || suffix != "" && suffix[0] != '_' {
				continue
			}
			if name, err = dynamicType(strings.TrimPrefix(suffix, "_"), e.Data.Get("FIELDS.ENTITY_TYPE_ID")); err != nil {
				return c, true, err
			}
		} else {
			ent, found := strings.CutSuffix(rest, kind)
			if !found {
				continue
			}
			var known bool
			if name, known = crmEntities[ent]; !known {
				return c, false, nil
			}
		}
		return e.crmChange(name, strings.ToLower(kind))
	}
	return c, false, nil
}

// dealMove is the middle of ONCRMDEALMOVETOCATEGORY, which Bitrix24 fires
// instead of ONCRMDEALUPDATE when a deal moves to another pipeline: the
// deal changed, so it reads as an update.
// https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-move-to-category.html
const dealMove = "DEALMOVETOCATEGORY"

// crmChange is the change of the record data[FIELDS][ID] names.
func (e *Event) crmChange(entity, kind string) (CRM, bool, error) {
	id, err := strconv.ParseInt(e.Data.Get("FIELDS.ID"), 10, 64)
	if err != nil || id <= 0 {
		return CRM{}, true, fmt.Errorf("%w: data[FIELDS][ID] missing or invalid", ErrMalformed)
	}
	return CRM{Entity: entity, Kind: kind, ID: id}, true, nil
}

// dynamicType is the entityTypeId of a dynamic item event: the name's
// suffix (perType, may be empty) and data[FIELDS][ENTITY_TYPE_ID] must
// agree where both are given.
func dynamicType(perType, field string) (string, error) {
	id := field
	if id == "" {
		id = perType
	}
	n, err := strconv.ParseInt(id, 10, 32)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id || perType != "" && perType != id {
		return "", fmt.Errorf("%w: data[FIELDS][ENTITY_TYPE_ID] missing or invalid", ErrMalformed)
	}
	return id, nil
}
