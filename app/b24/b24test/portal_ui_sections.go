package b24test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The sections under a record's edit form: its product rows, linked
// contacts, files, the deal's pipeline and the stage history. Their forms
// post to /crm/record/{entityTypeId}/{id}/… and change the record through
// the Go API the control endpoints use, which fires the events REST
// changes fire.
//
//	POST /crm/record/{type}/{id}/rows                     op=add|update|remove
//	POST /crm/record/{type}/{id}/contacts                 op=add|remove, contact
//	POST /crm/record/{type}/{id}/files                    upload: field, file (multipart)
//	POST /crm/record/{type}/{id}/files/remove             field, file
//	GET  /crm/record/{type}/{id}/files/{field}/{file}     download
//	POST /crm/record/{type}/{id}/move                     category, stage (deals)

func sectionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /crm/record/{type}/{id}/rows", recordAction(editRows))
	mux.HandleFunc("POST /crm/record/{type}/{id}/contacts", recordAction(editContacts))
	mux.HandleFunc("POST /crm/record/{type}/{id}/files", recordAction(uploadFile))
	mux.HandleFunc("POST /crm/record/{type}/{id}/files/remove", recordAction(removeFile))
	mux.HandleFunc("GET /crm/record/{type}/{id}/files/{field}/{file}", recordAction(nil))
	mux.HandleFunc("POST /crm/record/{type}/{id}/move", recordAction(moveDeal))
}

// cardSections is what the sections show.
type cardSections struct {
	Base     string // the actions' path prefix
	Lang     string
	Rows     *rowsSection
	Contacts *linksSection
	Files    []fileSection
	Move     *moveSection
	History  *historySection
}

// recordRef is the record a section action is about.
type recordRef struct {
	et *entityType
	id int
}

func (rr recordRef) base() string { return fmt.Sprintf("/crm/record/%d/%d/", rr.et.id, rr.id) }

// cardPath is the record's card, where every action returns.
func (rr recordRef) cardPath() string {
	if rr.et.kind != nil {
		return typeCardPath(rr.et.id, rr.id)
	}
	return fmt.Sprintf("/crm/%s/details/%d/", rr.et.name, rr.id)
}

// recordAction resolves the record of a section action (404 when it is
// missing, 403 when the user may not read it) and runs the action, or
// serves a download (GET); an action's error is the user's: 400 with the
// message, nothing changed.
func recordAction(act func(ui uiRequest, r *http.Request, rr recordRef) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ui := uiFrom(r)
		typeID, err1 := strconv.Atoi(r.PathValue("type"))
		id, err2 := strconv.Atoi(r.PathValue("id"))
		p := ui.portal
		p.mu.Lock()
		var s *entityStore
		if err1 == nil && err2 == nil && p.crmType(typeID) != nil {
			s = p.crm[typeID]
		}
		exists := s != nil && id > 0 && s.exists(id)
		readable := exists && canRead(s, id, ui.user)
		p.mu.Unlock()
		switch {
		case !exists:
			ui.message(w, r, http.StatusNotFound, "Not found", "There is no such record.")
			return
		case !readable:
			ui.message(w, r, http.StatusForbidden, "Access denied", "You may not view this record.")
			return
		}
		rr := recordRef{et: s.et, id: id}
		if r.Method == http.MethodGet {
			ui.serveDownload(w, r, rr)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
		perr := r.ParseForm()
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			perr = r.ParseMultipartForm(1 << 20)
		}
		if perr != nil {
			ui.message(w, r, http.StatusBadRequest, "Bad request", perr.Error())
			return
		}
		back, err := act(ui, r, rr)
		if err != nil {
			ui.message(w, r, http.StatusBadRequest, "Not saved", err.Error())
			return
		}
		if back == "" {
			back = rr.cardPath() + "?saved=1"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// sections builds the sections of a record's card.
func (ui uiRequest) sections(r *http.Request, et *entityType, id int, rec map[string]any) *cardSections {
	rr := recordRef{et: et, id: id}
	cs := &cardSections{Base: rr.base(), Lang: ui.portal.languageOf(ui.user)}
	cs.Rows = ui.rowsSection(rr)
	cs.Contacts = ui.linksSection(rr)
	cs.Files = ui.fileSections(rr, rec)
	if et.id == 2 {
		cs.Move = moveSectionOf(rr, rec, r.URL.Query().Get("move"))
	}
	cs.History = ui.historySection(rr)
	return cs
}

// W is an English word of the sections in the user's language.
func (cs *cardSections) W(en string) string { return word(cs.Lang, en) }

// The section titles in the portal's languages.
var sectionWords = map[string]map[string]string{
	"ru": {
		"Products": "Товары", "Files": "Файлы", "Stage history": "История стадий", "Pipeline": "Воронка",
		"Move": "Переместить", "Add": "Добавить", "Remove": "Удалить", "Upload": "Загрузить", "Save": "Сохранить",
		"Product": "Товар", "Price": "Цена", "Quantity": "Количество", "Discount, %": "Скидка, %", "Sum": "Сумма",
		"Stage": "Стадия", "Date": "Дата", "Event": "Событие", "Contact ID": "ID контакта",
		"Created": "Создан", "Moved": "Перемещён", "Closed": "Закрыт", "Moved to another pipeline": "Перемещён в другую воронку",
	},
	"de": {
		"Products": "Produkte", "Files": "Dateien", "Stage history": "Phasenverlauf", "Pipeline": "Pipeline",
		"Move": "Verschieben", "Add": "Hinzufügen", "Remove": "Entfernen", "Upload": "Hochladen", "Save": "Speichern",
		"Product": "Produkt", "Price": "Preis", "Quantity": "Menge", "Discount, %": "Rabatt, %", "Sum": "Summe",
		"Stage": "Phase", "Date": "Datum", "Event": "Ereignis", "Contact ID": "Kontakt-ID",
		"Created": "Erstellt", "Moved": "Verschoben", "Closed": "Abgeschlossen", "Moved to another pipeline": "In andere Pipeline verschoben",
	},
}

func init() {
	for lang, words := range sectionWords {
		for en, w := range words {
			chrome[lang][en] = w
		}
	}
}

// historySection is a record's stage history, oldest first.
type historySection struct {
	Rows []historyRow
}

type historyRow struct {
	ID    int
	Time  string
	Event string
	Stage string
}

var stageEvents = map[int]string{stageCreated: "Created", stageMoved: "Moved", stageFinal: "Closed", stagePipeline: "Moved to another pipeline"}

// historySection reads the record's stage history as
// crm.stagehistory.list gives it to the user; nil when the type has none.
func (ui uiRequest) historySection(rr recordRef) *historySection {
	p := ui.portal
	p.mu.Lock()
	defer p.mu.Unlock()
	k := stageKindOf(p, rr.et.id)
	if k == nil {
		return nil
	}
	conds, aerr := parseFilter(k.rowType, objOf("OWNER_ID", strconv.Itoa(rr.id)), true, p.zone)
	if aerr != nil {
		return nil
	}
	rows, _ := k.list(listQuery{conds: conds, order: []orderKey{{f: k.rowType.byName["ID"]}}}, ui.user, p.zone)
	hs := &historySection{}
	for _, row := range rows {
		hs.Rows = append(hs.Rows, historyRow{ID: row.id, Time: row.at.In(p.zone).Format("02.01.2006 15:04"), Event: stageEvents[row.typeID], Stage: stageTitle(rr.et, row.stage)})
	}
	return hs
}

// stageTitle is a stage's name, or its id when it has none.
func stageTitle(et *entityType, stage string) string {
	if et.kind != nil {
		for _, st := range kindStages(et) {
			if st.statusID == stage {
				return st.name
			}
		}
		return stage
	}
	e := uiEntityByName(et.name)
	if e == nil {
		return stage
	}
	name, _ := stageName(e, map[string]any{e.stage: stage})
	return name
}

// moveSection offers the deal's other pipelines and, once one is chosen,
// its stages.
type moveSection struct {
	Pipelines []selectOption
	Chosen    string // the chosen pipeline's id, "" before the choice
	Stages    []selectOption
}

func moveSectionOf(rr recordRef, rec map[string]any, chosen string) *moveSection {
	ms := &moveSection{}
	cur := str(rec["CATEGORY_ID"])
	for _, c := range dealCategories {
		id := strconv.Itoa(c.id)
		if id == cur {
			continue
		}
		ms.Pipelines = append(ms.Pipelines, selectOption{Value: id, Label: c.name, Selected: id == chosen})
		if id == chosen {
			ms.Chosen = id
			for _, st := range c.stages {
				ms.Stages = append(ms.Stages, selectOption{Value: st.statusID, Label: st.name})
			}
		}
	}
	return ms
}

// moveDeal moves a deal to the chosen pipeline and stage.
func moveDeal(ui uiRequest, r *http.Request, rr recordRef) (string, error) {
	if rr.et.id != 2 {
		return "", fmt.Errorf("only deals move between pipelines here")
	}
	category, err := strconv.Atoi(r.PostFormValue("category"))
	if err != nil {
		return "", fmt.Errorf("choose a pipeline")
	}
	return "", ui.portal.MoveDeal(rr.id, category, r.PostFormValue("stage"), ui.user.id)
}
