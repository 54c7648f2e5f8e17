package b24test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The pages of estimates, smart invoices and smart processes: a list and a
// read-only card under /crm/type/{entityTypeId}/, as Bitrix24 addresses
// them, with the app's detail tab.

type typeMenuLink struct {
	Title  string
	URL    string
	Active bool
}

// typeMenu links every type beyond the legacy four; section is the page's.
func (p *Portal) typeMenu(section string) []typeMenuLink {
	types := []*entityType{universalTypes[typeQuote], universalTypes[typeSmartInvoice]}
	p.mu.Lock()
	defer p.mu.Unlock()
	types = append(types, p.sortedSPAs()...)
	out := make([]typeMenuLink, len(types))
	for i, et := range types {
		out[i] = typeMenuLink{Title: et.kind.title, URL: typeListPath(et.id), Active: section == typeSection(et.id)}
	}
	return out
}

func typeSection(id int) string { return "type/" + strconv.Itoa(id) }

// typeListPath is the list of a type's items, in all pipelines (0).
func typeListPath(id int) string { return "/crm/type/" + strconv.Itoa(id) + "/list/category/0/" }

func typeCardPath(typeID, id int) string {
	return fmt.Sprintf("/crm/type/%d/details/%d/", typeID, id)
}

// detailTabCode is the placement code of a type's card tab.
func detailTabCode(et *entityType) string {
	switch {
	case et.id == typeQuote:
		return "CRM_QUOTE_DETAIL_TAB"
	case et.id == typeSmartInvoice:
		return "CRM_SMART_INVOICE_DETAIL_TAB"
	case et.kind != nil:
		return "CRM_DYNAMIC_" + strconv.Itoa(et.id) + "_DETAIL_TAB"
	}
	return "CRM_" + et.upper + "_DETAIL_TAB"
}

// uiType reads the type of a /crm/type/ page; nil when it has none.
func (ui uiRequest) uiType(w http.ResponseWriter, r *http.Request) *entityType {
	id, err := strconv.Atoi(r.PathValue("type"))
	var et *entityType
	if err == nil {
		et = ui.portal.crmTypeLocked(id)
	}
	if et == nil || et.kind == nil {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such CRM section.")
		return nil
	}
	return et
}

// kindStageName is the name and colour of an item's stage.
func kindStageName(et *entityType, rec map[string]any) (name, color string) {
	v := str(rec["STAGE_ID"])
	if et.id == typeQuote {
		v = str(rec["STATUS_ID"])
	}
	for _, st := range kindStages(et) {
		if st.statusID == v {
			return st.name, st.color
		}
	}
	return v, ""
}

func serveTypeList(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	et := ui.uiType(w, r)
	if et == nil {
		return
	}
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = max(pageNo, 1)
	lp := listPage{Entity: typeSection(et.id), StageTitle: "Stage", HasAmount: et.byName["OPPORTUNITY"] != nil, Page: pageNo}
	p := ui.portal
	p.mu.Lock()
	lp.Plural = et.kind.title
	s := p.crm[et.id]
	q := listQuery{conds: ownCond(et, ui.user), order: []orderKey{{f: et.byName["ID"], desc: true}}, start: (pageNo - 1) * uiPageSize}
	res := s.list(q, uiPageSize)
	for _, id := range res.ids {
		rec := s.record(id)
		st, color := kindStageName(et, rec)
		row := listRow{ID: id, URL: typeCardPath(et.id, id), Title: str(rec["TITLE"]), Stage: st, StageColor: color, Responsible: p.userName(str(rec["ASSIGNED_BY_ID"]))}
		if lp.HasAmount {
			row.Amount = groupThousands(str(rec["OPPORTUNITY"])) + " " + str(rec["CURRENCY_ID"])
		}
		lp.Rows = append(lp.Rows, row)
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
	render(w, http.StatusOK, "list", ui.page(r, lp.Plural, lp.Entity, lp))
}

// serveTypeCard shows an item's edit form, its sections and the app's
// detail tabs; a tab's frame gets PLACEMENT_OPTIONS with the item's id.
// Item 0 is the form for a new item.
func serveTypeCard(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	tc, ok := ui.typeCardOf(w, r)
	if !ok {
		return
	}
	ui.renderTypeCard(w, r, tc, http.StatusOK, "", nil)
}

// renderTypeCard shows the card; failed holds the rejected form input.
func (ui uiRequest) renderTypeCard(w http.ResponseWriter, r *http.Request, tc typeCard, status int, errText string, failed url.Values) {
	et, id, rec, p := tc.et, tc.id, tc.rec, ui.portal
	path := typeCardPath(et.id, id)
	p.mu.Lock()
	title := et.kind.title
	p.mu.Unlock()
	cp := cardPage{Entity: typeSection(et.id), Single: title, ID: id, Title: str(rec["TITLE"]), Action: path, ListURL: typeListPath(et.id),
		Saved: r.URL.Query().Get("saved") == "1", Error: errText, Inputs: tc.inputs(ui)}
	cp.Stage, cp.Color = kindStageName(et, rec)
	if failed != nil {
		refill(cp.Inputs, failed)
	}
	if id == 0 {
		cp.Title, cp.Stage = "New item: "+title, ""
		render(w, status, "card", ui.page(r, cp.Title, cp.Entity, cp))
		return
	}
	if cp.Title == "" {
		cp.Title = fmt.Sprintf("%s #%d", title, id)
	}
	for _, name := range []string{"ID", "CREATED_BY", "CREATED_BY_ID", "CREATED_TIME", "DATE_CREATE", "UPDATED_BY", "MODIFY_BY_ID", "UPDATED_TIME", "DATE_MODIFY"} {
		f := et.byName[name]
		if f == nil {
			continue
		}
		v := str(rec[name])
		if f.typ == "user" {
			v = p.userName(v)
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil && f.isTime() {
			v = t.Format("02.01.2006 15:04")
		}
		cp.Info = append(cp.Info, infoRow{Label: f.title, Value: v})
	}
	lang := p.languageOf(ui.user)
	tab, _ := strconv.Atoi(r.URL.Query().Get("tab"))
	cp.Tabs = append(cp.Tabs, tabLink{Title: word(lang, "General"), URL: path, Active: tab == 0})
	if tab == 0 {
		cp.Sections = ui.sections(r, et, id, rec)
	}
	if p.Installed() {
		n := 0
		for _, pl := range p.Placements() {
			if pl.Code != detailTabCode(et) {
				continue
			}
			n++
			title := pl.TitleIn(lang)
			if title == "" {
				title = word(lang, "Application")
			}
			cp.Tabs = append(cp.Tabs, tabLink{Title: title, URL: fmt.Sprintf("%s?tab=%d", path, n), Active: n == tab})
			if n == tab {
				cp.TabTitle = title
				fv, err := ui.openFrame(pl.Handler, pl.Code, placementOptions(strconv.Itoa(id), path), false)
				if err != nil {
					cp.Error = err.Error()
				}
				cp.Frame = fv
			}
		}
	}
	render(w, status, "card", ui.page(r, cp.Title, cp.Entity, cp))
}
