package b24test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The edit form of estimates, smart invoices and smart-process items: the
// same form as the legacy cards, built from the type's own fields, saved
// through the write path REST uses (crm.item.add/update), so events and
// stage history follow.

// notOnForm are standard fields a person does not edit on the card: ids,
// flags the portal keeps, the pipeline (changed by moving the item) and
// the deprecated single links.
var notOnForm = map[string]bool{
	"ID": true, "XML_ID": true, "CATEGORY_ID": true, "OPENED": true, "IS_MANUAL_OPPORTUNITY": true,
	"TAX_VALUE": true, "WEBFORM_ID": true, "CONTACT_ID": true,
}

// kindFormFields are the fields of a type's edit form, in the type's
// order; file fields have their own section.
func kindFormFields(et *entityType) []*field {
	var out []*field
	for _, f := range et.got {
		if f.readOnly || f.deprecated || f.isFM() || f.isFile() || notOnForm[f.name] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// kindInput is one control of a type's form.
func (ui uiRequest) kindInput(et *entityType, f *field, rec map[string]any) formInput {
	label := f.title
	if f.uf {
		label = f.label
	}
	switch {
	case f.name == "STAGE_ID" || (f.name == "STATUS_ID" && et.id == typeQuote):
		in := formInput{Name: f.name, Label: label, Kind: "select", Value: str(rec[f.name])}
		for _, st := range formStages(et, rec) {
			in.Options = append(in.Options, selectOption{Value: st.statusID, Label: st.name, Selected: st.statusID == in.Value})
		}
		return in
	case f.typ == "date":
		return formInput{Name: f.name, Label: label, Kind: "date", Value: dateOnly(str(rec[f.name]))}
	case f.typ == "integer" || strings.HasPrefix(f.typ, "crm_") && f.typ != "crm_currency" && f.typ != "crm_status":
		if f.multiple {
			return formInput{Name: f.name, Label: label, Kind: "multi", Values: storedValues(rec[f.name])}
		}
		v := str(rec[f.name])
		if v == "0" {
			v = ""
		}
		return formInput{Name: f.name, Label: label, Kind: "text", Value: v}
	case f.multiple && (f.typ == "user" || f.typ == "enumeration"):
		in := ui.input(f, map[string]any{})
		in.Label, in.Multiple, in.Value = label, true, ""
		vals := storedValues(rec[f.name])
		in.Options = slices.DeleteFunc(in.Options, func(o selectOption) bool { return o.Value == "" })
		for i := range in.Options {
			in.Options[i].Selected = slices.Contains(vals, in.Options[i].Value)
		}
		return in
	case f.multiple:
		return formInput{Name: f.name, Label: label, Kind: "multi", Values: storedValues(rec[f.name])}
	}
	in := ui.input(f, rec)
	in.Label = label
	if in.Kind == "select" && !slices.ContainsFunc(in.Options, func(o selectOption) bool { return o.Selected }) {
		in.Options = append([]selectOption{{Value: "", Label: "(not set)", Selected: true}}, in.Options...)
	}
	return in
}

// formStages are the stages an item may take on its form: its pipeline's,
// or the estimate statuses.
func formStages(et *entityType, rec map[string]any) []statusEntry {
	if et.id == typeQuote {
		return quoteStatuses()
	}
	cat, _ := strconv.Atoi(str(rec["CATEGORY_ID"]))
	if pl, ok := pipelineOf(et, cat); ok {
		return pl.stages
	}
	if pl := defaultPipeline(et); pl != nil {
		return pl.stages
	}
	return nil
}

// dateOnly is the calendar date of a stored date ("2024-06-18T02:00:00+02:00").
func dateOnly(v string) string {
	if len(v) >= 10 {
		return v[:10]
	}
	return v
}

// formChanges reads a posted form into the fields to write: on an update
// (rec holds the item) only what differs, on an add (rec nil) what is
// filled in. A value the field cannot take is an error, so that nothing is
// written.
func formChanges(inputs []formInput, fields []*field, rec map[string]any, form url.Values) (*obj, error) {
	in := newObj()
	for i, f := range fields {
		ctl := inputs[i]
		vals, sent := form[f.name]
		if !sent { // a field the form did not send stays as it is
			continue
		}
		if ctl.Kind == "multi" || ctl.Multiple {
			var list []string
			for _, v := range vals {
				if v = strings.TrimSpace(v); v != "" {
					if err := checkValue(ctl, f, v); err != nil {
						return nil, err
					}
					list = append(list, v)
				}
			}
			if (rec == nil && len(list) > 0) || (rec != nil && !slices.Equal(list, storedValues(rec[f.name]))) {
				l := listOf()
				for _, v := range list {
					l.push(v)
				}
				in.set(f.name, l)
			}
			continue
		}
		v := strings.TrimSpace(vals[0])
		if v != "" {
			if err := checkValue(ctl, f, v); err != nil {
				return nil, err
			}
		}
		switch {
		case rec == nil:
			if v != "" {
				in.set(f.name, v)
			}
		case v != ctl.Value && !(f.typ == "double" && sameNumber(v, ctl.Value)):
			in.set(f.name, v)
		}
	}
	return in, nil
}

// checkValue refuses what a control could not have sent.
func checkValue(ctl formInput, f *field, v string) error {
	bad := func() error { return fmt.Errorf("%s: %q is not a valid value", ctl.Label, v) }
	switch {
	case ctl.Kind == "select":
		if !slices.ContainsFunc(ctl.Options, func(o selectOption) bool { return o.Value == v }) {
			return bad()
		}
	case ctl.Kind == "date":
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return bad()
		}
	case f.typ == "double":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad()
		}
	case f.typ == "money":
		amount, _, _ := strings.Cut(v, "|")
		if _, err := strconv.ParseFloat(amount, 64); err != nil {
			return bad()
		}
	case f.typ == "integer" || strings.HasPrefix(f.typ, "crm_") && f.typ != "crm_currency" && f.typ != "crm_status":
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return bad()
		}
	}
	return nil
}

// typeCard is what a /crm/type/ card page is about; id 0 is a new item.
type typeCard struct {
	et  *entityType
	id  int
	rec map[string]any
}

// typeCardOf reads the type and item of a card request, answering 404 or
// 403 itself when there is none to show.
func (ui uiRequest) typeCardOf(w http.ResponseWriter, r *http.Request) (typeCard, bool) {
	et := ui.uiType(w, r)
	if et == nil {
		return typeCard{}, false
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	p := ui.portal
	p.mu.Lock()
	title := et.kind.title
	s := p.crm[et.id]
	exists := err == nil && id > 0 && s.exists(id)
	readable := exists && canRead(s, id, ui.user)
	tc := typeCard{et: et, id: id}
	if readable {
		tc.rec = s.record(id)
	}
	p.mu.Unlock()
	switch {
	case err == nil && id == 0:
		tc.rec = map[string]any{"ASSIGNED_BY_ID": strconv.Itoa(ui.user.id), "CURRENCY_ID": "USD"}
		if d := defaultPipeline(et); d != nil {
			tc.rec["CATEGORY_ID"] = strconv.Itoa(d.id)
		}
		return tc, true
	case !exists:
		ui.message(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("%s item %s was not found.", title, r.PathValue("id")))
		return typeCard{}, false
	case !readable:
		ui.message(w, r, http.StatusForbidden, "Access denied", fmt.Sprintf("You may not view %s item %d.", title, id))
		return typeCard{}, false
	}
	return tc, true
}

func (tc typeCard) inputs(ui uiRequest) []formInput {
	var out []formInput
	for _, f := range kindFormFields(tc.et) {
		out = append(out, ui.kindInput(tc.et, f, tc.rec))
	}
	return out
}

// saveTypeCard adds or updates an item from its form.
func saveTypeCard(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	tc, ok := ui.typeCardOf(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		ui.message(w, r, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	inputs := tc.inputs(ui)
	cur := tc.rec
	if tc.id == 0 {
		cur = nil
	}
	in, err := formChanges(inputs, kindFormFields(tc.et), cur, r.PostForm)
	id := tc.id
	switch {
	case err != nil:
	case id == 0:
		id, err = ui.portal.addRecordObj(tc.et.name, ui.user.id, in)
	case in.len() > 0:
		err = ui.portal.updateRecordObj(tc.et.name, id, ui.user.id, in)
	}
	if err != nil {
		ui.renderTypeCard(w, r, tc, http.StatusBadRequest, err.Error(), r.PostForm)
		return
	}
	http.Redirect(w, r, typeCardPath(tc.et.id, id)+"?saved=1", http.StatusSeeOther)
}

// deleteTypeCard deletes an item and fires the events.
func deleteTypeCard(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	tc, ok := ui.typeCardOf(w, r)
	if !ok {
		return
	}
	if tc.id == 0 {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such record.")
		return
	}
	if err := ui.portal.DeleteRecord(tc.et.name, tc.id, ui.user.id); err != nil {
		ui.message(w, r, http.StatusConflict, "Not deleted", err.Error())
		return
	}
	http.Redirect(w, r, typeListPath(tc.et.id), http.StatusSeeOther)
}

// refill puts the rejected form input back into the controls.
func refill(inputs []formInput, form url.Values) {
	for i := range inputs {
		in := &inputs[i]
		vals := form[in.Name]
		switch {
		case in.Kind == "multi":
			in.Values = vals
		case in.Multiple:
			for j := range in.Options {
				in.Options[j].Selected = slices.Contains(vals, in.Options[j].Value)
			}
		default:
			in.Value = form.Get(in.Name)
			for j := range in.Options {
				in.Options[j].Selected = in.Options[j].Value == in.Value
			}
		}
	}
}

// storedValues are the values of a multiple field as a record holds them.
func storedValues(v any) []string {
	if l, ok := v.([]string); ok {
		return l
	}
	return strList(v)
}
