package b24test

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// crm.stagehistory.list: the stages an item went through
// (https://apidocs.bitrix24.com/api-reference/crm/crm-stage-history-list.html).
// A row is added when an item is created, moves to another stage or to
// another pipeline. Generated records have a generated past that ends in
// their current stage at their MOVED_TIME; it is computed on read like the
// records themselves, so only the rows of changes take memory.
func init() {
	register(&method{name: "crm.stagehistory.list", scope: "crm", fn: stageHistoryList})
}

// The TYPE_ID of a row.
const (
	stageCreated  = 1 // the item was created
	stageMoved    = 2 // moved to a stage in progress
	stageFinal    = 3 // moved to a final stage
	stagePipeline = 5 // moved to another pipeline
)

// genStageSlots is how many row ids each generated record owns: the
// generated rows of record n are (n-1)*genStageSlots+1 onwards, rows of
// changes come after all of them.
const genStageSlots = 4

// stageRow is one row of a stage history.
type stageRow struct {
	id       int
	typeID   int
	owner    int
	at       time.Time
	category int
	stage    string
}

// stageLog is the rows that changes added to one type's history, in id
// order.
type stageLog struct {
	rows []stageRow
}

// stageKind is how one entity type keeps its stage history: lead-style
// types (STATUS_ID, no pipelines) or stage-style ones (CATEGORY_ID,
// STAGE_ID, STAGE_SEMANTIC_ID).
type stageKind struct {
	store *entityStore
	// statusStyle: the rows carry STATUS_ID and STATUS_SEMANTIC_ID and the
	// type has no pipelines (leads, old invoices).
	statusStyle bool
	// stageField and categoryField name the record's fields ("" when the
	// type has no pipelines).
	stageField, categoryField string
	// stages lists a pipeline's stages in their order.
	stages func(category int) []statusEntry
	// rowType describes the history's fields for filter and order.
	rowType *entityType
}

// stageKindOf is the one place that says which entity types have a stage
// history and where their records live; nil means the type has none
// (contacts, companies, estimates: ENTITY_TYPE_NOT_SUPPORTED). Smart
// invoices (31) and smart processes are stage-style types with pipelines
// like deals.
func stageKindOf(p *Portal, entityTypeID int) *stageKind {
	switch entityTypeID {
	case 1:
		return &stageKind{store: p.crm[1], statusStyle: true, stageField: "STATUS_ID", stages: leadStages, rowType: statusHistoryType}
	case 2:
		return &stageKind{store: p.crm[2], stageField: "STAGE_ID", categoryField: "CATEGORY_ID", stages: dealStages, rowType: stageHistoryType}
	}
	return nil
}

func dealStages(category int) []statusEntry {
	if category < 0 || category >= len(dealCategories) {
		return nil
	}
	return dealCategories[category].stages
}

var leadStatuses = func() []statusEntry {
	var out []statusEntry
	for _, e := range allStatuses {
		if e.entityID == "STATUS" {
			out = append(out, e)
		}
	}
	return out
}()

func leadStages(int) []statusEntry { return leadStatuses }

// semantic is P, S or F for a stage of the type.
func (k *stageKind) semantic(category int, stage string) string {
	for _, e := range k.stages(category) {
		if e.statusID == stage && e.semantics != "" {
			return e.semantics
		}
	}
	return "P"
}

// moveType is the TYPE_ID of a move into stage.
func (k *stageKind) moveType(category int, stage string) int {
	if k.semantic(category, stage) == "P" {
		return stageMoved
	}
	return stageFinal
}

// current reads the pipeline and stage of an existing record.
func (k *stageKind) current(id int) (category int, stage string) {
	s := k.store
	if k.categoryField != "" {
		category, _ = strconv.Atoi(firstString(s.value(id, s.et.byName[k.categoryField])))
	}
	return category, firstString(s.value(id, s.et.byName[k.stageField]))
}

// stagePoint is where a record stands: its pipeline and stage.
type stagePoint struct {
	category string
	stage    string
}

// stagePointOf reads a record's pipeline and stage in the legacy form.
func stagePointOf(rec map[string]any) stagePoint {
	return stagePoint{category: str(rec["CATEGORY_ID"]), stage: nonEmpty(rec["STAGE_ID"], str(rec["STATUS_ID"]))}
}

// logStage adds the rows a write made: the created row for a new record
// (before nil), a pipeline or stage move for a changed one. p.mu is held.
func (p *Portal) logStage(et *entityType, id int, before *stagePoint, rec map[string]any, at time.Time) {
	k := stageKindOf(p, et.id)
	if k == nil {
		return
	}
	after := stagePointOf(rec)
	category, _ := strconv.Atoi(after.category)
	typeID := k.moveType(category, after.stage)
	switch {
	case before == nil:
		typeID = stageCreated
	case before.category != after.category:
		typeID = stagePipeline
	case before.stage == after.stage:
		return
	}
	s := k.store
	if s.stages == nil {
		s.stages = &stageLog{}
	}
	rowID := s.g.count*genStageSlots + len(s.stages.rows) + 1
	s.stages.rows = append(s.stages.rows, stageRow{id: rowID, typeID: typeID, owner: id, at: at, category: category, stage: after.stage})
}

// genStageRows is the generated past of generated record id: created in
// the first stage of its pipeline, then one or two moves ending in its
// generated stage at its MOVED_TIME. A record still in its first stage
// went on and came back.
func (k *stageKind) genStageRows(id int) []stageRow {
	g := &k.store.g
	category := 0
	if k.categoryField != "" {
		category, _ = strconv.Atoi(genCategory(g, id).(string))
	}
	stages := k.stages(category)
	cur := str(k.store.et.byName[k.stageField].gen(g, id))
	idx := slices.IndexFunc(stages, func(e statusEntry) bool { return e.statusID == cur })
	created, modified := g.created(id), g.modified(id)
	moved := created.Add(modified.Sub(created) / 2).Truncate(time.Minute)
	between := created.Add(moved.Sub(created) / 2).Truncate(time.Minute)
	// The stages in progress after the first, where a record may pass.
	var mid []string
	for _, e := range stages[1:] {
		if e.semantics == "" && (idx <= 0 || e.statusID != cur) {
			mid = append(mid, e.statusID)
		}
	}
	path := []string{stages[0].statusID}
	switch {
	case idx <= 0:
		path = append(path, mid[g.n(id, 700, len(mid))], cur)
	default:
		var before []string
		for _, st := range mid {
			if i := slices.IndexFunc(stages, func(e statusEntry) bool { return e.statusID == st }); i < idx || stages[idx].semantics != "" {
				before = append(before, st)
			}
		}
		if len(before) > 0 && g.n(id, 701, 3) > 0 {
			path = append(path, before[g.n(id, 702, len(before))])
		}
		path = append(path, cur)
	}
	rows := make([]stageRow, len(path))
	base := (id - 1) * genStageSlots
	for i, st := range path {
		r := stageRow{id: base + i + 1, typeID: k.moveType(category, st), owner: id, at: moved, category: category, stage: st}
		switch {
		case i == 0:
			r.typeID, r.at = stageCreated, created
		case i < len(path)-1:
			r.at = between
		}
		rows[i] = r
	}
	return rows
}

// visible reports whether a row is listed: its record exists, the caller
// may read it, and it belongs to the record's current pipeline (earlier
// pipelines' rows are not returned).
func (k *stageKind) visible(r stageRow, u *user) bool {
	s := k.store
	if !s.exists(r.owner) || !canRead(s, r.owner, u) {
		return false
	}
	if k.categoryField == "" {
		return true
	}
	category, _ := k.current(r.owner)
	return category == r.category
}

// value is a row's field in the legacy string form filters compare.
func (k *stageKind) value(r stageRow, name string, zone *time.Location) string {
	switch name {
	case "ID":
		return strconv.Itoa(r.id)
	case "TYPE_ID":
		return strconv.Itoa(r.typeID)
	case "OWNER_ID":
		return strconv.Itoa(r.owner)
	case "CREATED_TIME":
		return r.at.In(zone).Format(time.RFC3339)
	case "CATEGORY_ID":
		return strconv.Itoa(r.category)
	case "STAGE_ID", "STATUS_ID":
		return r.stage
	case "STAGE_SEMANTIC_ID", "STATUS_SEMANTIC_ID":
		return k.semantic(r.category, r.stage)
	}
	return ""
}

// render writes a row as the method answers it: UPPER_CASE keys, integer
// ids.
func (k *stageKind) render(r stageRow, sel []*field, zone *time.Location) *obj {
	o := newObj()
	for _, f := range sel {
		v := k.value(r, f.name, zone)
		if f.typ == "integer" {
			n, _ := strconv.Atoi(v)
			o.set(f.name, n)
			continue
		}
		o.set(f.name, v)
	}
	return o
}

func (k *stageKind) matches(r stageRow, conds []cond, zone *time.Location) bool {
	for _, c := range conds {
		if !c.match(k.value(r, c.f.name, zone)) {
			return false
		}
	}
	return true
}

// each walks the rows whose ids lie in [lo, hi] in id order (descending
// when desc) until fn returns false. Generated rows are produced one
// record at a time, so a keyset page of a million records costs a page.
func (k *stageKind) each(lo, hi, ownerLo, ownerHi int, desc bool, fn func(stageRow) bool) {
	s := k.store
	var log []stageRow
	if s.stages != nil {
		log = s.stages.rows
	}
	genLo := max(ownerLo, (lo-1)/genStageSlots+1, 1)
	genHi := min(ownerHi, s.g.count, (hi-1)/genStageSlots+1)
	gen := func(owner int) bool {
		rows := k.genStageRows(owner)
		if desc {
			slices.Reverse(rows)
		}
		for _, r := range rows {
			if r.id >= lo && r.id <= hi && !fn(r) {
				return false
			}
		}
		return true
	}
	changes := func() bool {
		for i := range log {
			r := log[i]
			if desc {
				r = log[len(log)-1-i]
			}
			if r.id >= lo && r.id <= hi && r.owner >= ownerLo && r.owner <= ownerHi && !fn(r) {
				return false
			}
		}
		return true
	}
	if desc {
		if !changes() {
			return
		}
		for owner := genHi; owner >= genLo; owner-- {
			if !gen(owner) {
				return
			}
		}
		return
	}
	for owner := genLo; owner <= genHi; owner++ {
		if !gen(owner) {
			return
		}
	}
	changes()
}

// ownerBounds narrows the records from OWNER_ID conditions.
func ownerBounds(conds []cond) (lo, hi int) {
	var owner []cond
	for _, c := range conds {
		if c.f.name == "OWNER_ID" {
			owner = append(owner, cond{f: stageIDField, op: c.op, vals: c.vals})
		}
	}
	return idBounds(owner)
}

// list runs a query over the history, as entityStore.list does over
// records: by ID it walks and stops early without a count; any other
// order sorts every match.
func (k *stageKind) list(q listQuery, u *user, zone *time.Location) ([]stageRow, listResult) {
	lo, hi := idBounds(q.conds)
	ownerLo, ownerHi := ownerBounds(q.conds)
	natural := len(q.order) == 0 || (len(q.order) == 1 && q.order[0].f.name == "ID")
	desc := natural && len(q.order) == 1 && q.order[0].desc
	start := max(q.start, 0)
	var page, all []stageRow
	matched := 0
	k.each(lo, hi, ownerLo, ownerHi, desc, func(r stageRow) bool {
		if !k.matches(r, q.conds, zone) || !k.visible(r, u) {
			return true
		}
		if !natural {
			all = append(all, r)
			return true
		}
		if matched >= start && len(page) < pageSize {
			page = append(page, r)
		}
		matched++
		return q.start >= 0 || len(page) < pageSize
	})
	if !natural {
		sort.SliceStable(all, func(a, b int) bool { return k.less(all[a], all[b], q.order, zone) })
		matched = len(all)
		if start < len(all) {
			page = all[start:min(start+pageSize, len(all))]
		}
	}
	res := listResult{skipped: min(start, matched)}
	for _, r := range page {
		res.ids = append(res.ids, r.id)
	}
	if q.start >= 0 || !natural {
		res.counted = matched
	}
	if q.start >= 0 {
		res.total = matched
	}
	return page, res
}

func (k *stageKind) less(a, b stageRow, order []orderKey, zone *time.Location) bool {
	for _, o := range order {
		c := compareValues(k.value(a, o.f.name, zone), k.value(b, o.f.name, zone), o.f, zone)
		if c == 0 {
			continue
		}
		if o.desc {
			return c > 0
		}
		return c < 0
	}
	return a.id < b.id
}

// The fields of the two row styles, typed for filters and order.
var (
	stageIDField     = &field{name: "ID", typ: "integer"}
	stageHistoryType = newEntityType(0, "stagehistory", false, []*field{
		stageIDField,
		{name: "TYPE_ID", typ: "integer"},
		{name: "OWNER_ID", typ: "integer"},
		{name: "CREATED_TIME", typ: "datetime"},
		{name: "CATEGORY_ID", typ: "integer"},
		{name: "STAGE_SEMANTIC_ID", typ: "string"},
		{name: "STAGE_ID", typ: "string"},
	})
	statusHistoryType = newEntityType(0, "statushistory", false, []*field{
		{name: "ID", typ: "integer"},
		{name: "TYPE_ID", typ: "integer"},
		{name: "OWNER_ID", typ: "integer"},
		{name: "CREATED_TIME", typ: "datetime"},
		{name: "STATUS_SEMANTIC_ID", typ: "string"},
		{name: "STATUS_ID", typ: "string"},
	})
)

// entityTypeNames are the symbolic names of the types without a stage
// history, for the error text.
var entityTypeNames = map[int]string{3: "CONTACT", 4: "COMPANY", 7: "QUOTE", 8: "REQUISITE", 14: "ORDER", 31: "SMART_INVOICE", 36: "SMART_DOCUMENT"}

func errStageHistoryType(n int) *apiError {
	name := entityTypeNames[n]
	if name == "" && n >= 128 {
		name = "DYNAMIC_" + strconv.Itoa(n)
	}
	return newErr(http.StatusBadRequest, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type `"+name+"` is not supported")
}

func stageHistoryList(c *call) (callResult, *apiError) {
	n, _ := strconv.Atoi(c.str("entityTypeId"))
	if n == 5 {
		// Old invoices have a history, but the emulated portals have none.
		return callResult{value: objOf("items", listOf()), hasTotal: true}, nil
	}
	c.portal.mu.Lock()
	k := stageKindOf(c.portal, n)
	c.portal.mu.Unlock()
	if k == nil {
		return callResult{}, errStageHistoryType(n)
	}
	conds, aerr := parseFilter(k.rowType, c.obj("filter"), true, c.portal.zone)
	if aerr != nil {
		return callResult{}, aerr
	}
	order, aerr := parseOrder(k.rowType, c.obj("order"), true)
	if aerr != nil {
		return callResult{}, aerr
	}
	sel := stageSelect(k.rowType, c)
	q := listQuery{conds: conds, order: order, start: startParam(c, false)}
	c.portal.mu.Lock()
	rows, res := k.list(q, c.user, c.portal.zone)
	items := listOf()
	for _, r := range rows {
		items.push(k.render(r, sel, c.portal.zone))
	}
	c.portal.mu.Unlock()
	c.cost += c.srv.opts.Cost.listCost(len(rows), res.skipped, res.counted) + c.srv.opts.Cost.fieldsCost(len(rows), sel)
	r := callResult{value: objOf("items", items)}
	listMeta(&r, res, q.start)
	return r, nil
}

// stageSelect is the selected fields in the type's order: all of them
// unless select names some; unknown names are left out.
func stageSelect(rt *entityType, c *call) []*field {
	v, _ := c.param("select")
	names := strList(v)
	if len(names) == 0 || slices.Contains(names, "*") {
		return rt.fields
	}
	var out []*field
	for _, f := range rt.fields {
		for _, n := range names {
			if rt.field(n, true) == f {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// pipelineField reports whether f is the pipeline of a type whose items
// crm.item.update may move to another pipeline ("If you need to change the
// Sales Funnel of the deal, use crm.item.update",
// https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-update.html);
// the legacy update keeps it immutable.
func (p *Portal) pipelineField(et *entityType, f *field, item bool) bool {
	k := stageKindOf(p, et.id)
	return item && k != nil && k.categoryField != "" && f.name == k.categoryField
}

// enterPipeline puts a record that changed pipeline without being given a
// stage of the new one into the new pipeline's first stage.
func (p *Portal) enterPipeline(et *entityType, was stagePoint, rec map[string]any) {
	k := stageKindOf(p, et.id)
	if k == nil || k.categoryField == "" {
		return
	}
	now := stagePointOf(rec)
	if now.category == was.category || now.stage != was.stage {
		return
	}
	category, err := strconv.Atoi(now.category)
	if stages := k.stages(category); err == nil && len(stages) > 0 {
		rec[k.stageField] = stages[0].statusID
	}
}

// standing reads where an existing record stands; p.mu is held.
func (p *Portal) standing(et *entityType, id int) stagePoint {
	k := stageKindOf(p, et.id)
	if k == nil {
		return stagePoint{}
	}
	category, stage := k.current(id)
	return stagePoint{category: strconv.Itoa(category), stage: stage}
}

// pipelineChange turns the update of a deal that moved to another pipeline
// into ONCRMDEALMOVETOCATEGORY with the new CATEGORY_ID and STAGE_ID; such
// a move does not fire ONCRMDEALUPDATE
// (https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-move-to-category.html).
func (p *Portal) pipelineChange(ch change, was stagePoint) change {
	if ch.et.id != 2 {
		return ch
	}
	p.mu.Lock()
	now := p.standing(ch.et, ch.id)
	p.mu.Unlock()
	if now.category == was.category {
		return ch
	}
	ch.action = "MOVETOCATEGORY"
	ch.fields = [][2]string{{"data[FIELDS][CATEGORY_ID]", now.category}, {"data[FIELDS][STAGE_ID]", now.stage}}
	return ch
}
