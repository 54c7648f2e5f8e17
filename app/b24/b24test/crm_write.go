package b24test

import (
	"fmt"
	"net/http"
	"slices"
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
		if f == nil || f.readOnly || (f.immutable && !isAdd && !p.pipelineField(s.et, f, item)) {
			continue
		}
		switch {
		case f.isFile():
			fv, err := p.fileInput(rec[f.name], f, v, item)
			if err != nil {
				return err
			}
			rec[f.name] = fv
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
		if !slices.Contains(multifieldKinds, typeID) {
			return fmt.Errorf("fm: typeId must be one of %s", strings.Join(multifieldKinds, ", "))
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
	// fields are data[FIELDS] entries after the ID.
	fields [][2]string
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
	if et.kind != nil {
		return p.addKindItem(et, in, item, actor)
	}
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
	defaults := map[string]string{"OPENED": "Y", "CURRENCY_ID": "USD", "OPPORTUNITY": "0.00", "CATEGORY_ID": "0", "PROBABILITY": "", "CLOSED": "N", "TAX_VALUE": "0.00", "IS_MANUAL_OPPORTUNITY": "N", "STATUS_ID": "NEW", "IS_RECURRING": "N", "IS_RETURN_CUSTOMER": "N", "IS_REPEATED_APPROACH": "N", "EXPORT": "Y", "IS_MY_COMPANY": "N"}
	for k, v := range defaults {
		if _, ok := et.byName[k]; ok {
			rec[k] = v
		}
	}
	if err := s.applyInput(p, rec, in, item, true); err != nil {
		return 0, err
	}
	fixLinks(rec, in, item, et)
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
	if et.id == 1 {
		rec["MOVED_BY_ID"], rec["MOVED_TIME"] = strconv.Itoa(who), now
		fixLeadDerived(rec, nil, now)
	}
	fixHas(rec)
	p.mirrorLinks(s, id, rec) // crm_links.go
	s.over[id] = rec
	p.logStage(et, id, nil, rec, p.srv.now())
	return id, nil
}

// updateRecord changes a record; the record must exist.
func (p *Portal) updateRecord(et *entityType, id int, in *obj, item bool, actor *user) error {
	if et.kind != nil {
		return p.updateKindItem(et, id, in, item, actor)
	}
	s := p.crm[et.id]
	rec := s.record(id)
	oldStage, oldStatus := rec["STAGE_ID"], rec["STATUS_ID"]
	was := stagePointOf(rec)
	if err := s.applyInput(p, rec, in, item, false); err != nil {
		return err
	}
	fixLinks(rec, in, item, et)
	p.enterPipeline(et, was, rec)
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
	if et.id == 1 {
		if rec["STATUS_ID"] != oldStatus {
			rec["MOVED_BY_ID"], rec["MOVED_TIME"] = strconv.Itoa(who), now
		}
		fixLeadDerived(rec, oldStatus, now)
	}
	fixHas(rec)
	p.mirrorLinks(s, id, rec) // crm_links.go
	s.over[id] = rec
	p.logStage(et, id, &was, rec, p.srv.now())
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

// fixHas derives HAS_PHONE, HAS_EMAIL and HAS_IMOL (an open-line
// messenger value) from the multifields.
func fixHas(rec map[string]any) {
	if _, ok := rec["HAS_PHONE"]; !ok {
		return
	}
	phones, _ := rec["PHONE"].([]fmValue)
	emails, _ := rec["EMAIL"].([]fmValue)
	ims, _ := rec["IM"].([]fmValue)
	rec["HAS_PHONE"] = hasFlag(phones, "")
	rec["HAS_EMAIL"] = hasFlag(emails, "")
	rec["HAS_IMOL"] = hasFlag(ims, "IMOL")
}

// fixLeadDerived keeps STATUS_SEMANTIC_ID on the status and DATE_CLOSED
// on the time the lead reached a final status.
func fixLeadDerived(rec map[string]any, oldStatus any, now string) {
	sem := leadSemantic(str(rec["STATUS_ID"]))
	rec["STATUS_SEMANTIC_ID"] = sem
	switch {
	case sem == "P":
		rec["DATE_CLOSED"] = ""
	case rec["STATUS_ID"] != oldStatus || str(rec["DATE_CLOSED"]) == "":
		rec["DATE_CLOSED"] = now
	}
}

// fixLinks keeps the deprecated single link (CONTACT_ID of deals and
// leads, COMPANY_ID of contacts) and its multiple form the same: the
// single one is the first of the list.
func fixLinks(rec map[string]any, in *obj, item bool, et *entityType) {
	single, list := "CONTACT_ID", "CONTACT_IDS"
	if et.id == 3 {
		single, list = "COMPANY_ID", "COMPANY_IDS"
	}
	if et.byName[list] == nil {
		return
	}
	var gotSingle, gotList bool
	for _, k := range in.keys {
		if f := et.field(k, item); f != nil {
			gotSingle = gotSingle || f.name == single
			gotList = gotList || f.name == list
		}
	}
	switch {
	case gotList:
		ids, _ := rec[list].([]string)
		rec[single] = "0"
		if len(ids) > 0 {
			rec[single] = ids[0]
		}
	case gotSingle:
		rec[list] = []string(nil)
		if v := str(rec[single]); v != "" && v != "0" {
			rec[list] = []string{v}
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
