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

// uiEntity is how the pages show one CRM entity type.
type uiEntity struct {
	et     *entityType
	plural string // "Deals"
	single string // "Deal"
	stage  string // field shown as the stage column
	amount string // money field with CURRENCY_ID, or ""
	edit   []string
}

var uiEntities = []*uiEntity{
	{et: entityTypes[2], plural: "Deals", single: "Deal", stage: "STAGE_ID", amount: "OPPORTUNITY",
		edit: []string{"TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID", "ASSIGNED_BY_ID", "COMMENTS"}},
	{et: entityTypes[1], plural: "Leads", single: "Lead", stage: "STATUS_ID", amount: "OPPORTUNITY",
		edit: []string{"TITLE", "NAME", "LAST_NAME", "STATUS_ID", "OPPORTUNITY", "CURRENCY_ID", "ASSIGNED_BY_ID", "PHONE", "EMAIL"}},
	{et: entityTypes[3], plural: "Contacts", single: "Contact", stage: "TYPE_ID",
		edit: []string{"NAME", "LAST_NAME", "POST", "TYPE_ID", "ASSIGNED_BY_ID", "PHONE", "EMAIL"}},
	{et: entityTypes[4], plural: "Companies", single: "Company", stage: "COMPANY_TYPE", amount: "REVENUE",
		edit: []string{"TITLE", "COMPANY_TYPE", "INDUSTRY", "REVENUE", "CURRENCY_ID", "ASSIGNED_BY_ID", "PHONE", "EMAIL"}},
}

func init() {
	// Every entity's form also edits its enumeration user field.
	for _, e := range uiEntities {
		for _, f := range e.et.fields {
			if f.uf && f.typ == "enumeration" {
				e.edit = append(e.edit, f.name)
				break
			}
		}
	}
}

func uiEntityByName(name string) *uiEntity {
	for _, e := range uiEntities {
		if e.et.name == name {
			return e
		}
	}
	return nil
}

// detailTab is the placement code of the entity's card tab.
func (e *uiEntity) detailTab() string { return "CRM_" + e.et.upper + "_DETAIL_TAB" }

func (e *uiEntity) cardPath(id int) string {
	return fmt.Sprintf("/crm/%s/details/%d/", e.et.name, id)
}

// listPage is the content of the list page.
type listPage struct {
	Entity     string
	Plural     string
	StageTitle string
	HasAmount  bool
	Rows       []listRow
	Total      int
	Page, Last int
	PrevURL    string
	NextURL    string
}

type listRow struct {
	ID          int
	URL         string
	Title       string
	Stage       string
	StageColor  string
	Amount      string
	Responsible string
}

const uiPageSize = 50

func serveList(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	e := uiEntityByName(r.PathValue("entity"))
	if e == nil {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such CRM section.")
		return
	}
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = max(pageNo, 1)
	lp := listPage{Entity: e.et.name, Plural: e.plural, StageTitle: e.et.byName[e.stage].title, HasAmount: e.amount != "", Page: pageNo}
	p := ui.portal
	p.mu.Lock()
	s := p.crm[e.et.id]
	q := listQuery{conds: ownCond(e.et, ui.user), order: []orderKey{{f: e.et.byName["ID"], desc: true}}, start: (pageNo - 1) * uiPageSize}
	res := s.list(q, uiPageSize)
	for _, id := range res.ids {
		rec := s.record(id)
		st, color := stageName(e, rec)
		lp.Rows = append(lp.Rows, listRow{
			ID: id, URL: e.cardPath(id), Title: recordTitle(e, rec), Stage: st, StageColor: color,
			Amount: amountText(e, rec), Responsible: p.userName(str(rec["ASSIGNED_BY_ID"])),
		})
	}
	p.mu.Unlock()
	lp.Total = res.total
	lp.Last = max((res.total+uiPageSize-1)/uiPageSize, 1)
	if pageNo > 1 {
		lp.PrevURL = fmt.Sprintf("?page=%d", pageNo-1)
	}
	if pageNo < lp.Last {
		lp.NextURL = fmt.Sprintf("?page=%d", pageNo+1)
	}
	render(w, http.StatusOK, "list", ui.page(r, e.plural, e.et.name, lp))
}

// recordTitle is the title, or the person's name for contacts.
func recordTitle(e *uiEntity, rec map[string]any) string {
	if t := str(rec["TITLE"]); t != "" {
		return t
	}
	if n := strings.TrimSpace(str(rec["NAME"]) + " " + str(rec["LAST_NAME"])); n != "" {
		return n
	}
	return fmt.Sprintf("%s #%s", e.single, str(rec["ID"]))
}

// stageName finds the display name and colour of the record's stage.
func stageName(e *uiEntity, rec map[string]any) (name, color string) {
	f := e.et.byName[e.stage]
	v := str(rec[e.stage])
	for _, st := range allStatuses {
		if st.statusID == v && strings.HasPrefix(st.entityID, f.statusType) {
			return st.name, st.color
		}
	}
	return v, ""
}

func amountText(e *uiEntity, rec map[string]any) string {
	if e.amount == "" {
		return ""
	}
	return groupThousands(str(rec[e.amount])) + " " + str(rec["CURRENCY_ID"])
}

// groupThousands writes 1234567.50 as 1 234 567.50.
func groupThousands(s string) string {
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 && whole[i-1] != '-' {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

func (p *Portal) userName(id string) string {
	n, _ := strconv.Atoi(id)
	if u := p.user(n); u != nil {
		return u.name + " " + u.last
	}
	return ""
}

// cardPage is the content of the record card.
type cardPage struct {
	Entity   string
	Single   string
	ID       int
	Title    string
	Stage    string
	Color    string
	Action   string
	Inputs   []formInput
	Info     []infoRow
	Saved    bool
	Error    string
	Tabs     []tabLink
	Frame    *frameView
	TabTitle string
	ListURL  string
	// Sections are the card's products, contacts, files, pipeline and
	// stage history; nil on a new record and on an app's tab.
	Sections *cardSections
}

type formInput struct {
	Name     string
	Label    string
	Kind     string // text, number, textarea, select, date, multi
	Value    string
	Options  []selectOption
	Values   []string // a multi control's values
	Multiple bool     // a select of several values
}

type selectOption struct {
	Value, Label string
	Selected     bool
}

type infoRow struct{ Label, Value string }

type tabLink struct {
	Title  string
	URL    string
	Active bool
}

func (ui uiRequest) cardEntity(w http.ResponseWriter, r *http.Request) (*uiEntity, int, bool) {
	e := uiEntityByName(r.PathValue("entity"))
	id, err := strconv.Atoi(r.PathValue("id"))
	if e == nil || err != nil || id < 0 {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such record.")
		return nil, 0, false
	}
	if id == 0 { // details/0 is the form for a new record
		return e, 0, true
	}
	p := ui.portal
	p.mu.Lock()
	s := p.crm[e.et.id]
	exists, readable := s.exists(id), s.exists(id) && canRead(s, id, ui.user)
	p.mu.Unlock()
	switch {
	case !exists:
		ui.message(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("%s %d was not found.", e.single, id))
		return nil, 0, false
	case !readable:
		ui.message(w, r, http.StatusForbidden, "Access denied", fmt.Sprintf("You may not view %s %d.", strings.ToLower(e.single), id))
		return nil, 0, false
	}
	return e, id, true
}

func serveCard(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	e, id, ok := ui.cardEntity(w, r)
	if !ok {
		return
	}
	ui.renderCard(w, r, e, id, http.StatusOK, r.URL.Query().Get("saved") == "1", "", nil)
}

// renderCard shows the card; failed holds the rejected form input.
func (ui uiRequest) renderCard(w http.ResponseWriter, r *http.Request, e *uiEntity, id, status int, saved bool, errText string, failed url.Values) {
	p := ui.portal
	rec := ui.newRecord(e)
	if id > 0 {
		p.mu.Lock()
		rec = p.crm[e.et.id].record(id)
		p.mu.Unlock()
	}
	cp := cardPage{Entity: e.et.name, Single: e.single, ID: id, Title: recordTitle(e, rec), Action: e.cardPath(id), Saved: saved, Error: errText, ListURL: "/crm/" + e.et.name + "/list/"}
	cp.Stage, cp.Color = stageName(e, rec)
	if id == 0 {
		cp.Title, cp.Stage = "New "+strings.ToLower(e.single), ""
	}
	for _, name := range e.edit {
		in := ui.input(e.et.byName[name], rec)
		if failed != nil {
			in.Value = failed.Get(name)
			for i := range in.Options {
				in.Options[i].Selected = in.Options[i].Value == in.Value
			}
		}
		cp.Inputs = append(cp.Inputs, in)
	}
	if id == 0 {
		render(w, status, "card", ui.page(r, cp.Title, e.et.name, cp))
		return
	}
	if cat, err := strconv.Atoi(str(rec["CATEGORY_ID"])); err == nil && e.et.id == 2 && cat >= 0 && cat < len(dealCategories) {
		cp.Info = append(cp.Info, infoRow{Label: "Pipeline", Value: dealCategories[cat].name})
	}
	for _, name := range []string{"ID", "CREATED_BY_ID", "DATE_CREATE", "MODIFY_BY_ID", "DATE_MODIFY"} {
		f := e.et.byName[name]
		v := str(rec[name])
		if f.typ == "user" {
			v = p.userName(v)
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil && f.isTime() {
			v = t.Format("02.01.2006 15:04")
		}
		cp.Info = append(cp.Info, infoRow{Label: f.title, Value: v})
	}
	tab, _ := strconv.Atoi(r.URL.Query().Get("tab"))
	cp.Tabs = append(cp.Tabs, tabLink{Title: word(p.languageOf(ui.user), "General"), URL: e.cardPath(id), Active: tab == 0})
	if tab == 0 {
		cp.Sections = ui.sections(r, e.et, id, rec)
	}
	if p.Installed() {
		n := 0
		for _, pl := range p.Placements() {
			if pl.Code != e.detailTab() {
				continue
			}
			n++
			title := pl.TitleIn(p.languageOf(ui.user))
			if title == "" {
				title = word(p.languageOf(ui.user), "Application")
			}
			cp.Tabs = append(cp.Tabs, tabLink{Title: title, URL: fmt.Sprintf("%s?tab=%d", e.cardPath(id), n), Active: n == tab})
			if n == tab {
				cp.TabTitle = title
				fv, err := ui.openFrame(pl.Handler, pl.Code, placementOptions(strconv.Itoa(id), e.cardPath(id)), false)
				if err != nil {
					cp.Error = err.Error()
				}
				cp.Frame = fv
			}
		}
	}
	render(w, status, "card", ui.page(r, cp.Title, e.et.name, cp))
}

// input builds one form control from the field and the record's value.
func (ui uiRequest) input(f *field, rec map[string]any) formInput {
	in := formInput{Name: f.name, Label: f.title, Kind: "text", Value: str(rec[f.name])}
	if f.uf {
		in.Label = f.label
	}
	var opts []selectOption
	switch {
	case f.isFM():
		in.Kind = map[string]string{"PHONE": "tel", "EMAIL": "email"}[f.name]
		if vs, _ := rec[f.name].([]fmValue); len(vs) > 0 {
			in.Value = vs[0].value
		}
	case f.name == "COMMENTS":
		in.Kind = "textarea"
	case f.typ == "double":
		in.Kind = "number"
	case f.typ == "crm_status":
		entity := f.statusType
		if f.name == "STAGE_ID" {
			if cat := str(rec["CATEGORY_ID"]); cat != "0" && cat != "" {
				entity += "_" + cat
			}
		}
		for _, st := range allStatuses {
			if st.entityID == entity {
				opts = append(opts, selectOption{Value: st.statusID, Label: st.name})
			}
		}
	case f.typ == "crm_currency":
		for _, c := range currencies {
			if !slices.ContainsFunc(opts, func(o selectOption) bool { return o.Value == c }) {
				opts = append(opts, selectOption{Value: c, Label: c})
			}
		}
	case f.typ == "user":
		for _, u := range ui.portal.users {
			opts = append(opts, selectOption{Value: strconv.Itoa(u.id), Label: u.name + " " + u.last})
		}
	case f.typ == "enumeration":
		opts = append(opts, selectOption{Value: "", Label: "(not set)"})
		for _, it := range f.items {
			opts = append(opts, selectOption{Value: it.id, Label: it.value})
		}
	}
	if opts != nil {
		in.Kind = "select"
		for i := range opts {
			opts[i].Selected = opts[i].Value == in.Value
		}
		in.Options = opts
	}
	return in
}

// saveCard applies the edit form through the portal's write path, which
// fires the events, as a save in the real card does.
func saveCard(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	e, id, ok := ui.cardEntity(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		ui.message(w, r, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	p := ui.portal
	if id == 0 {
		ui.createRecord(w, r, e)
		return
	}
	p.mu.Lock()
	rec := p.crm[e.et.id].record(id)
	p.mu.Unlock()
	in := newObj()
	for _, name := range e.edit {
		vals, sent := r.PostForm[name]
		if !sent {
			continue
		}
		v := strings.TrimSpace(vals[0])
		f := e.et.byName[name]
		if f.isFM() {
			cur, _ := rec[name].([]fmValue)
			switch {
			case len(cur) > 0 && cur[0].value != v:
				in.set(name, listOf(objOf("ID", cur[0].id, "VALUE", v)))
			case len(cur) == 0 && v != "":
				in.set(name, listOf(objOf("VALUE", v, "VALUE_TYPE", "WORK")))
			}
			continue
		}
		if v != str(rec[name]) && !(moneyFields[name] && sameNumber(v, str(rec[name]))) {
			in.set(name, v)
		}
	}
	if in.len() > 0 {
		if err := p.updateRecordObj(e.et.name, id, ui.user.id, in); err != nil {
			ui.renderCard(w, r, e, id, http.StatusBadRequest, false, err.Error(), r.PostForm)
			return
		}
	}
	http.Redirect(w, r, e.cardPath(id)+"?saved=1", http.StatusSeeOther)
}

func sameNumber(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// newRecord is what the form for a new record starts with.
func (ui uiRequest) newRecord(e *uiEntity) map[string]any {
	rec := map[string]any{"CATEGORY_ID": "0", "CURRENCY_ID": "USD", "ASSIGNED_BY_ID": strconv.Itoa(ui.user.id)}
	if f := e.et.byName[e.stage]; f != nil && f.name != "TYPE_ID" && f.name != "COMPANY_TYPE" {
		for _, st := range allStatuses {
			if st.entityID == f.statusType {
				rec[f.name] = st.statusID
				break
			}
		}
	}
	return rec
}

// createRecord adds a record from the form for a new one and fires the
// events.
func (ui uiRequest) createRecord(w http.ResponseWriter, r *http.Request, e *uiEntity) {
	in := newObj()
	for _, name := range e.edit {
		v := strings.TrimSpace(r.PostForm.Get(name))
		switch {
		case v == "":
		case e.et.byName[name].isFM():
			in.set(name, listOf(objOf("VALUE", v, "VALUE_TYPE", "WORK")))
		default:
			in.set(name, v)
		}
	}
	id, err := ui.portal.addRecordObj(e.et.name, ui.user.id, in)
	if err != nil {
		ui.renderCard(w, r, e, 0, http.StatusBadRequest, false, err.Error(), r.PostForm)
		return
	}
	http.Redirect(w, r, e.cardPath(id)+"?saved=1", http.StatusSeeOther)
}

// deleteCard deletes the record and fires the events.
func deleteCard(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	e, id, ok := ui.cardEntity(w, r)
	if !ok {
		return
	}
	if id == 0 {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such record.")
		return
	}
	if err := ui.portal.DeleteRecord(e.et.name, id, ui.user.id); err != nil {
		ui.message(w, r, http.StatusConflict, "Not deleted", err.Error())
		return
	}
	http.Redirect(w, r, "/crm/"+e.et.name+"/list/", http.StatusSeeOther)
}
