// Package bindings is the one place that says where portals reach Trail:
// the handler paths, the event bindings setup makes for the tracked CRM
// types and the detail tabs it places. Setup binds what is missing, the
// settings page's health panel counts what is missing, and the routes serve
// the same paths, so the three cannot drift apart.
package bindings

import (
	"slices"
	"strings"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
)

// The paths portals and their pages call.
const (
	// Install takes the ONAPPINSTALL event and the installer page.
	Install = "/bitrix/install"
	// InstallStatus tells the installer page whether setup is done.
	InstallStatus = "/bitrix/install/status"
	// Uninstall takes ONAPPUNINSTALL.
	Uninstall = "/bitrix/uninstall"
	// Events takes CRM events, ONAPPUPDATE and ONOFFLINEEVENT.
	Events = "/bitrix/events"
	// Tab is the handler of every detail-tab placement.
	Tab = "/bitrix/tab"
	// App is the app's page (placement DEFAULT).
	App = "/bitrix/app"
	// Session renews a page's session.
	Session = "/bitrix/session"
	// Login is the OAuth redirect URI.
	Login = "/bitrix/login"
)

// crmActions are the record events Trail listens to for each tracked type.
var crmActions = []string{"ADD", "UPDATE", "DELETE"}

// WantedEvents are the event bindings a portal needs when Trail tracks
// types: the app's own events online, each type's record events both
// online (for speed) and offline (the durable queue Trail reads back), and
// a deal's pipeline moves, which fire no update event, and
// online the events that tell of smart processes and fields being added,
// changed or removed (TypeEvents), so that setup looks again.
//
// Smart invoices and smart processes share the generic
// ONCRMDYNAMICITEM* events, which every portal offers and whose
// ENTITY_TYPE_ID names the type; the per-type ONCRMDYNAMICITEM*_{id}
// events are not bound: a portal offers them only for some types, they
// would have to follow every type added or deleted, and with both bound
// each change would come twice.
// https://apidocs.bitrix24.com/api-reference/crm/universal/events/index.html
func WantedEvents(baseURL string, tracked []crm.Type) []b24.EventHandler {
	events := baseURL + Events
	want := []b24.EventHandler{
		{Event: "ONAPPUNINSTALL", Handler: baseURL + Uninstall},
		{Event: "ONAPPUPDATE", Handler: events},
		{Event: "ONOFFLINEEVENT", Handler: events},
	}
	for _, name := range TypeEvents {
		want = append(want, b24.EventHandler{Event: name, Handler: events})
	}
	seen := map[string]bool{}
	for _, t := range tracked {
		for _, a := range crmActions {
			name := t.Event(a)
			if seen[name] {
				continue
			}
			seen[name] = true
			want = append(want, b24.EventHandler{Event: name, Handler: events}, b24.EventHandler{Event: name, Offline: true})
		}
		if name := t.MoveEvent(); name != "" {
			want = append(want, b24.EventHandler{Event: name, Handler: events}, b24.EventHandler{Event: name, Offline: true})
		}
	}
	return want
}

// TypeEvents tell of smart processes added, changed or deleted
// (data[FIELDS][ID] is the type's settings key) and of the user fields of
// every type changing (ONCRMDEALUSERFIELDUPDATE, ONCRMTYPEUSERFIELDADD
// for smart processes and smart invoices): each makes setup read the
// portal's types and field metadata again with Trail's grant.
// https://apidocs.bitrix24.com/api-reference/crm/universal/events/type/index.html
var TypeEvents = typeEvents()

func typeEvents() []string {
	out := []string{"ONCRMTYPEADD", "ONCRMTYPEUPDATE", "ONCRMTYPEDELETE"}
	for _, owner := range []string{"LEAD", "DEAL", "CONTACT", "COMPANY", "QUOTE", "TYPE"} {
		for _, a := range []string{"ADD", "UPDATE", "DELETE", "SETENUMVALUES"} {
			out = append(out, "ONCRM"+owner+"USERFIELD"+a)
		}
	}
	return out
}

// MissingEvents are the bindings of want that have does not hold. Event
// names compare without case (event.get answers them in upper case); an
// online binding must call the wanted handler, an offline one has none.
func MissingEvents(want, have []b24.EventHandler) []b24.EventHandler {
	bound := map[string]bool{}
	for _, h := range have {
		bound[key(h)] = true
	}
	var out []b24.EventHandler
	for _, w := range want {
		if !bound[key(w)] {
			out = append(out, w)
		}
	}
	return out
}

func key(h b24.EventHandler) string {
	if h.Offline {
		return strings.ToUpper(h.Event) + "|offline"
	}
	return strings.ToUpper(h.Event) + "|" + h.Handler
}

// Placements is what placement.bind and placement.unbind must do so that
// exactly the types of tabs show Trail's tab: the types whose tab is
// missing and those whose tab is bound but no longer wanted. Placements of
// other handlers (another app, an old address) are not Trail's to touch.
func Placements(baseURL string, tabs []crm.Type, have []b24.Placement) (bind, unbind []crm.Type) {
	handler := baseURL + Tab
	bound := map[string]bool{}
	types := slices.Clone(tabs)
	for _, p := range have {
		if p.Handler != handler {
			continue
		}
		bound[p.Placement] = true
		if t, ok := crm.TypeOfDetailTab(p.Placement); ok && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	crm.Sort(types)
	for _, t := range types {
		on := slices.Contains(tabs, t)
		switch {
		case on && !bound[t.DetailTab()]:
			bind = append(bind, t)
		case !on && bound[t.DetailTab()]:
			unbind = append(unbind, t)
		}
	}
	return bind, unbind
}
