package b24test

import (
	"fmt"
	"net/http"
	"strconv"
)

// errTypeNotSupported is crm.item's and crm.category's answer for a type
// they do not serve.
func errTypeNotSupported(name string) *apiError {
	return newErr(http.StatusBadRequest, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `"+name+"` is not supported")
}

// kindDefaults are the values a new estimate, smart invoice or smart-process
// item starts with.
var kindDefaults = map[string]string{"OPENED": "Y", "CURRENCY_ID": "USD", "OPPORTUNITY": "0.00", "TAX_VALUE": "0.00", "IS_MANUAL_OPPORTUNITY": "N", "STATUS_ID": "DRAFT", "CLOSED": "N"}

// addKindItem creates an item of a type with a kind (crm.item.add); p.mu
// held.
func (p *Portal) addKindItem(et *entityType, in *obj, item bool, actor *user) (int, error) {
	s := p.crm[et.id]
	rec := map[string]any{}
	for _, f := range et.fields {
		rec[f.name] = ""
		if f.multiple {
			rec[f.name] = []string(nil)
		}
		if v, ok := kindDefaults[f.name]; ok {
			rec[f.name] = v
		}
	}
	if pl := defaultPipeline(et); pl != nil {
		rec["CATEGORY_ID"] = strconv.Itoa(pl.id)
	}
	if err := p.applyKindInput(et, rec, in, item, true); err != nil {
		return 0, err
	}
	id := s.nextID
	if str(rec["TITLE"]) == "" && et.kind.statusEntity == "" {
		rec["TITLE"] = fmt.Sprintf("%s #%d", et.kind.title, id)
	}
	who := actorID(actor, rec)
	if rec["ASSIGNED_BY_ID"] == "" {
		rec["ASSIGNED_BY_ID"] = strconv.Itoa(who)
	}
	if err := fixKindStage(et, rec, nil); err != nil {
		return 0, err
	}
	now := p.formatTime(p.srv.now())
	s.nextID++
	rec["ID"] = strconv.Itoa(id)
	setPresent(rec, strconv.Itoa(who), "CREATED_BY", "CREATED_BY_ID", "UPDATED_BY", "MODIFY_BY_ID", "MOVED_BY")
	setPresent(rec, now, "CREATED_TIME", "DATE_CREATE", "UPDATED_TIME", "DATE_MODIFY", "MOVED_TIME")
	if et.id == typeQuote && str(rec["QUOTE_NUMBER"]) == "" {
		rec["QUOTE_NUMBER"] = strconv.Itoa(id)
	}
	s.over[id] = rec
	p.logStage(et, id, nil, rec, p.srv.now())
	return id, nil
}

// updateKindItem changes an existing item (crm.item.update); p.mu held.
func (p *Portal) updateKindItem(et *entityType, id int, in *obj, item bool, actor *user) error {
	s := p.crm[et.id]
	rec := s.record(id)
	old := map[string]any{"STAGE_ID": rec["STAGE_ID"], "CATEGORY_ID": rec["CATEGORY_ID"], "STATUS_ID": rec["STATUS_ID"]}
	was := stagePointOf(rec)
	if err := p.applyKindInput(et, rec, in, item, false); err != nil {
		return err
	}
	if err := fixKindStage(et, rec, old); err != nil {
		return err
	}
	who := strconv.Itoa(actorID(actor, rec))
	now := p.formatTime(p.srv.now())
	setPresent(rec, who, "UPDATED_BY", "MODIFY_BY_ID")
	setPresent(rec, now, "UPDATED_TIME", "DATE_MODIFY")
	if _, staged := rec["STAGE_ID"]; staged && rec["STAGE_ID"] != old["STAGE_ID"] {
		rec["PREVIOUS_STAGE_ID"] = old["STAGE_ID"]
		setPresent(rec, who, "MOVED_BY")
		setPresent(rec, now, "MOVED_TIME")
	}
	s.over[id] = rec
	p.logStage(et, id, &was, rec, p.srv.now())
	return nil
}

// applyKindInput writes crm.item fields: file fields by the rules of
// fileInput (item false: the legacy form the Go and control API take), the
// rest as every type writes them.
func (p *Portal) applyKindInput(et *entityType, rec map[string]any, in *obj, item, isAdd bool) error {
	rest := newObj()
	for _, k := range in.keys {
		f := et.field(k, true)
		if f == nil || !f.isFile() {
			rest.set(k, in.m[k])
			continue
		}
		v, err := p.fileInput(rec[f.name], f, in.m[k], item)
		if err != nil {
			return err
		}
		rec[f.name] = v
	}
	if err := p.crm[et.id].applyInput(p, rec, rest, true, isAdd); err != nil {
		return err
	}
	fixLinks(rec, rest, true, et)
	return nil
}

// fixKindStage keeps the stage in the item's pipeline: a new item or one
// moved to another pipeline without a stage of it starts at the pipeline's
// first stage; a stage of another pipeline is refused. Estimates keep a
// known status. old is nil on add.
func fixKindStage(et *entityType, rec, old map[string]any) error {
	if et.id == typeQuote {
		st := str(rec["STATUS_ID"])
		if !hasStatus(quoteStatuses(), st) {
			return fmt.Errorf("unknown status %q", st)
		}
		rec["CLOSED"] = map[bool]string{true: "N", false: "Y"}[kindSemantic(et, st) == "P"]
		return nil
	}
	if _, ok := rec["CATEGORY_ID"]; !ok {
		return nil
	}
	cat, _ := strconv.Atoi(str(rec["CATEGORY_ID"]))
	pl, ok := pipelineOf(et, cat)
	if !ok {
		return fmt.Errorf("pipeline %v not found", rec["CATEGORY_ID"])
	}
	if _, staged := rec["STAGE_ID"]; !staged {
		return nil
	}
	st := str(rec["STAGE_ID"])
	moved := old != nil && old["CATEGORY_ID"] != rec["CATEGORY_ID"]
	switch {
	case hasStatus(pl.stages, st):
	case st == "" || old == nil && st == "" || moved && st == old["STAGE_ID"]:
		rec["STAGE_ID"] = pl.stages[0].statusID
	default:
		return fmt.Errorf("stage %q is not in pipeline %d", st, pl.id)
	}
	return nil
}

func hasStatus(list []statusEntry, id string) bool {
	for _, s := range list {
		if s.statusID == id {
			return true
		}
	}
	return false
}

// setPresent sets v on those of names the record has.
func setPresent(rec map[string]any, v string, names ...string) {
	for _, n := range names {
		if _, ok := rec[n]; ok {
			rec[n] = v
		}
	}
}
