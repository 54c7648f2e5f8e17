package b24test

import (
	"strconv"
	"strings"
)

// crmEvent is one event a change fires: its name and what its data
// carries beyond the record's ID.
type crmEvent struct {
	name   string
	typeID int         // ENTITY_TYPE_ID in data[FIELDS]; 0: none
	extra  [][2]string // more data[FIELDS] keys and values, in order
}

// fields are the event's data[FIELDS] keys and values for record id.
func (ev crmEvent) fields(id int) [][2]string {
	d := [][2]string{{"ID", strconv.Itoa(id)}}
	if ev.typeID != 0 {
		d = append(d, [2]string{"ENTITY_TYPE_ID", strconv.Itoa(ev.typeID)})
	}
	return append(d, ev.extra...)
}

// data is the event's form pairs for record id.
func (ev crmEvent) data(id int) [][2]string {
	var d [][2]string
	for _, kv := range ev.fields(id) {
		d = append(d, [2]string{"data[FIELDS][" + kv[0] + "]", kv[1]})
	}
	return d
}

// itemEvents are the events of an item change
// (https://apidocs.bitrix24.com/api-reference/crm/universal/events/index.html):
// ONCRM{TYPE}{ACTION} for leads, deals, contacts, companies and estimates;
// ONCRMDYNAMICITEM{ACTION} with ENTITY_TYPE_ID for smart invoices and smart
// processes, and for a smart process also ONCRMDYNAMICITEM{ACTION}_{id}.
func itemEvents(ch change) []crmEvent {
	k := ch.et.kind
	if k == nil || !k.dynamic(ch.et.id) {
		return []crmEvent{{name: "ONCRM" + ch.et.upper + ch.action}}
	}
	evs := []crmEvent{{name: "ONCRMDYNAMICITEM" + ch.action, typeID: ch.et.id}}
	if k.settingsID != 0 {
		evs = append(evs, crmEvent{name: "ONCRMDYNAMICITEM" + ch.action + "_" + strconv.Itoa(ch.et.id), typeID: ch.et.id})
	}
	return evs
}

// The events every portal knows beyond those of the legacy four: estimates,
// all dynamic items, smart-process types and user-field settings.
func init() {
	for _, a := range []string{"ADD", "UPDATE", "DELETE"} {
		knownEvents["ONCRMQUOTE"+a] = "crm"
		knownEvents["ONCRMDYNAMICITEM"+a] = "crm"
		knownEvents["ONCRMTYPE"+a] = "crm"
	}
	for _, t := range []string{"LEAD", "DEAL", "CONTACT", "COMPANY", "QUOTE", "TYPE"} {
		for _, a := range []string{"ADD", "UPDATE", "DELETE", "SETENUMVALUES"} {
			knownEvents["ONCRM"+t+"USERFIELD"+a] = "crm"
		}
	}
}

// knownEvent reports whether the portal can bind an event, and its scope:
// the shared ones and ONCRMDYNAMICITEM{ACTION}_{id} of its smart processes.
func (p *Portal) knownEvent(name string) (string, bool) {
	if scope, ok := knownEvents[name]; ok {
		return scope, true
	}
	for _, a := range []string{"ADD", "UPDATE", "DELETE"} {
		if rest, ok := strings.CutPrefix(name, "ONCRMDYNAMICITEM"+a+"_"); ok {
			id, err := strconv.Atoi(rest)
			if err != nil || strconv.Itoa(id) != rest {
				return "", false
			}
			et := p.crmTypeLocked(id)
			return "crm", et != nil && et.kind != nil && et.kind.settingsID != 0
		}
	}
	return "", false
}

// portalEvents are every event the portal can bind, with their scope.
func (p *Portal) portalEvents() map[string]string {
	out := make(map[string]string, len(knownEvents))
	for n, s := range knownEvents {
		out[n] = s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range p.spas {
		for _, a := range []string{"ADD", "UPDATE", "DELETE"} {
			out["ONCRMDYNAMICITEM"+a+"_"+strconv.Itoa(id)] = "crm"
		}
	}
	return out
}

// typeChanged fires ONCRMTYPEADD, ONCRMTYPEUPDATE or ONCRMTYPEDELETE: the
// data is the type's settings key, not its entityTypeId
// (https://apidocs.bitrix24.com/api-reference/crm/universal/events/type/index.html).
func (p *Portal) typeChanged(action string, settingsID int, c *call) {
	ch := change{action: action, id: settingsID, actor: c.user, byApp: c.app, connector: c.str("auth_connector")}
	p.fire(crmEvent{name: "ONCRMTYPE" + action}, ch)
}
