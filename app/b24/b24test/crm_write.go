package b24test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// moneyFields are written with two decimals, as Bitrix24 stores money.
var moneyFields = map[string]bool{"OPPORTUNITY": true, "REVENUE": true, "TAX_VALUE": true}

// scalarInput converts an input value to the stored string.
func scalarInput(f *field, v any) (string, error) {
	if asObj(v) != nil {
		return "", fmt.Errorf("field %s expects a single value", f.name)
	}
	if b, ok := v.(bool); ok {
		if f.typ == "char" {
			return map[bool]string{true: "Y", false: "N"}[b], nil
		}
		return map[bool]string{true: "1", false: "0"}[b], nil
	}
	s := str(v)
	switch {
	case s == "":
		return "", nil
	case moneyFields[f.name]:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", fmt.Errorf("field %s expects a number", f.name)
		}
		return strconv.FormatFloat(x, 'f', 2, 64), nil
	case f.typ == "integer" || f.typ == "user" || f.typ == "crm_company" || f.typ == "crm_contact" || f.typ == "crm_category":
		if _, err := strconv.Atoi(s); err != nil {
			return "", fmt.Errorf("field %s expects an integer", f.name)
		}
	case f.typ == "enumeration":
		for _, it := range f.items {
			if it.id == s {
				return s, nil
			}
		}
		return "", fmt.Errorf("field %s: unknown list item %q", f.name, s)
	}
	return s, nil
}

// applyInput writes the given fields into rec. Read-only and unknown keys
// are ignored; immutable ones only count on add. item selects crm.item
// names and value forms.
func (s *entityStore) applyInput(p *Portal, rec map[string]any, in *obj, item, isAdd bool) error {
	for _, k := range in.keys {
		v := in.m[k]
		if item && k == "fm" {
			if err := p.applyItemFM(rec, asObj(v)); err != nil {
				return err
			}
			continue
		}
		f := s.et.field(k, item)
		if f == nil || f.readOnly || (f.immutable && !isAdd) {
			continue
		}
		switch {
		case f.isFM():
			cur, _ := rec[f.name].([]fmValue)
			rec[f.name] = p.applyLegacyFM(cur, asObj(v), f.name)
		case f.multiple:
			rec[f.name] = strList(v)
		default:
			sv, err := scalarInput(f, v)
			if err != nil {
				return err
			}
			rec[f.name] = sv
		}
	}
	return nil
}

// applyLegacyFM follows the legacy rules: an item with ID changes that
// value, or removes it when DELETE=Y or VALUE is empty or missing; items
// without ID are added; untouched values stay.
func (p *Portal) applyLegacyFM(cur []fmValue, in *obj, typeID string) []fmValue {
	out := append([]fmValue(nil), cur...)
	for _, x := range in.values() {
		m := asObj(x)
		if m == nil {
			continue
		}
		id := str(valueCI(m, "ID"))
		val, hasVal := m.get("VALUE")
		vt := str(valueCI(m, "VALUE_TYPE"))
		if id == "" {
			if str(val) == "" {
				continue
			}
			if vt == "" {
				vt = "WORK"
			}
			p.fmNext++
			out = append(out, fmValue{id: strconv.FormatInt(p.fmNext, 10), valueType: vt, value: str(val), typeID: typeID})
			continue
		}
		for i := range out {
			if out[i].id != id {
				continue
			}
			if str(valueCI(m, "DELETE")) == "Y" || !hasVal || str(val) == "" {
				out = append(out[:i], out[i+1:]...)
			} else {
				out[i].value = str(val)
				if vt != "" {
					out[i].valueType = vt
				}
			}
			break
		}
	}
	return out
}

// applyItemFM follows crm.item: a list adds values; an object keyed by
// value id changes (empty value deletes) and keyed n0, n1… adds.
func (p *Portal) applyItemFM(rec map[string]any, in *obj) error {
	for _, k := range in.keys {
		m := asObj(in.m[k])
		if m == nil {
			continue
		}
		typeID := strings.ToUpper(str(valueCI(m, "typeId")))
		if typeID != "PHONE" && typeID != "EMAIL" {
			return fmt.Errorf("fm: typeId must be PHONE or EMAIL")
		}
		cur, _ := rec[typeID].([]fmValue)
		legacy := objOf("VALUE", str(valueCI(m, "value")), "VALUE_TYPE", str(valueCI(m, "valueType")))
		if _, err := strconv.Atoi(k); err == nil && !in.isList() {
			legacy.set("ID", k)
		}
		rec[typeID] = p.applyLegacyFM(cur, listOf(legacy), typeID)
	}
	return nil
}

func valueCI(o *obj, name string) any {
	if v, ok := o.get(name); ok {
		return v
	}
	for _, k := range o.keys {
		if strings.EqualFold(k, name) {
			return o.m[k]
		}
	}
	return nil
}

// change is one applied change, reported to event delivery.
type change struct {
	et     *entityType
	action string // ADD, UPDATE, DELETE
	id     int
	actor  *user // nil: done by automation
	// byApp: the write came with the application's tokens.
	byApp bool
	// connector is the auth_connector of the write, if any.
	connector string
}

// madeBy reports whether the application itself made the change through
// the given auth_connector ("" too): its offline binding with that
// connector does not hear of it
// (https://apidocs.bitrix24.com/api-reference/events/offline-events.html).
func (ch change) madeBy(connector string) bool {
	return ch.byApp && ch.connector == connector
}

// addRecord creates a record. actor nil means automation acting for the
// responsible user.
func (p *Portal) addRecord(et *entityType, in *obj, item bool, actor *user) (int, error) {
	s := p.crm[et.id]
	rec := map[string]any{}
	for _, f := range et.fields {
		switch {
		case f.isFM():
			rec[f.name] = []fmValue(nil)
		case f.multiple:
			rec[f.name] = []string(nil)
		default:
			rec[f.name] = ""
		}
	}
	defaults := map[string]string{"OPENED": "Y", "CURRENCY_ID": "USD", "OPPORTUNITY": "0.00", "CATEGORY_ID": "0", "PROBABILITY": "", "CLOSED": "N", "TAX_VALUE": "0.00", "IS_MANUAL_OPPORTUNITY": "N", "STATUS_ID": "NEW", "HAS_PHONE": "N", "HAS_EMAIL": "N"}
	for k, v := range defaults {
		if _, ok := et.byName[k]; ok {
			rec[k] = v
		}
	}
	if err := s.applyInput(p, rec, in, item, true); err != nil {
		return 0, err
	}
	if et.byName["TITLE"] != nil && rec["TITLE"] == "" && et.id != 3 {
		rec["TITLE"] = fmt.Sprintf("%s%s #%d", strings.ToUpper(et.name[:1]), et.name[1:], s.nextID)
	}
	who := actorID(actor, rec)
	if rec["ASSIGNED_BY_ID"] == "" {
		rec["ASSIGNED_BY_ID"] = strconv.Itoa(who)
		who = actorID(actor, rec)
	}
	now := p.formatTime(p.srv.now())
	id := s.nextID
	s.nextID++
	rec["ID"] = strconv.Itoa(id)
	rec["CREATED_BY_ID"] = strconv.Itoa(who)
	rec["MODIFY_BY_ID"] = strconv.Itoa(who)
	rec["DATE_CREATE"] = now
	rec["DATE_MODIFY"] = now
	if et.id == 2 {
		if rec["STAGE_ID"] == "" || !stageInCategory(rec["STAGE_ID"].(string), rec["CATEGORY_ID"].(string)) {
			rec["STAGE_ID"] = firstStage(rec["CATEGORY_ID"].(string))
		}
		rec["MOVED_BY_ID"], rec["MOVED_TIME"] = strconv.Itoa(who), now
		rec["BEGINDATE"] = nonEmpty(rec["BEGINDATE"], formatDate(p.srv.now().In(p.zone), p.zone))
		fixStageDerived(rec)
	}
	fixHas(rec)
	s.over[id] = rec
	return id, nil
}

// updateRecord changes a record; the record must exist.
func (p *Portal) updateRecord(et *entityType, id int, in *obj, item bool, actor *user) error {
	s := p.crm[et.id]
	rec := s.record(id)
	oldStage := rec["STAGE_ID"]
	if err := s.applyInput(p, rec, in, item, false); err != nil {
		return err
	}
	who := actorID(actor, rec)
	now := p.formatTime(p.srv.now())
	rec["MODIFY_BY_ID"] = strconv.Itoa(who)
	rec["DATE_MODIFY"] = now
	if et.id == 2 {
		if !stageInCategory(rec["STAGE_ID"].(string), rec["CATEGORY_ID"].(string)) {
			return fmt.Errorf("stage %v is not in pipeline %v", rec["STAGE_ID"], rec["CATEGORY_ID"])
		}
		if rec["STAGE_ID"] != oldStage {
			rec["MOVED_BY_ID"], rec["MOVED_TIME"] = strconv.Itoa(who), now
		}
		fixStageDerived(rec)
	}
	fixHas(rec)
	s.over[id] = rec
	return nil
}

func actorID(actor *user, rec map[string]any) int {
	if actor != nil {
		return actor.id
	}
	if n, err := strconv.Atoi(str(rec["ASSIGNED_BY_ID"])); err == nil && n > 0 {
		return n
	}
	return adminID
}

func nonEmpty(v any, def string) string {
	if s := str(v); s != "" {
		return s
	}
	return def
}

func fixStageDerived(rec map[string]any) {
	st := rec["STAGE_ID"].(string)
	rec["STAGE_SEMANTIC_ID"] = stageSemantic(st)
	rec["CLOSED"] = map[bool]string{true: "N", false: "Y"}[stageSemantic(st) == "P"]
	rec["IS_NEW"] = map[bool]string{true: "Y", false: "N"}[st == "NEW" || strings.HasSuffix(st, ":NEW")]
}

func fixHas(rec map[string]any) {
	for _, k := range []string{"PHONE", "EMAIL"} {
		if v, ok := rec[k].([]fmValue); ok || rec[k] != nil {
			rec["HAS_"+k] = map[bool]string{true: "Y", false: "N"}[len(v) > 0]
		}
	}
}

func stageInCategory(stage, category string) bool {
	cat, err := strconv.Atoi(category)
	if err != nil || cat < 0 || cat >= len(dealCategories) {
		return false
	}
	for _, s := range dealCategories[cat].stages {
		if s.statusID == stage {
			return true
		}
	}
	return false
}

func firstStage(category string) string {
	cat, err := strconv.Atoi(category)
	if err != nil || cat < 0 || cat >= len(dealCategories) {
		cat = 0
	}
	return dealCategories[cat].stages[0].statusID
}

var errNotArray = newErr(http.StatusBadRequest, "", "Parameter 'fields' must be array.")
