package b24test

import (
	"slices"
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
	et := p.crmType(entityTypeID)
	if et == nil || et.kind == nil || !et.kind.dynamic(et.id) || et.byName["STAGE_ID"] == nil || et.byName["CATEGORY_ID"] == nil {
		return nil
	}
	return &stageKind{store: p.crm[et.id], stageField: "STAGE_ID", categoryField: "CATEGORY_ID", stages: pipelineStages(et), rowType: stageHistoryType}
}

// pipelineStages lists the stages of a pipeline of a smart invoice or smart
// process, read from the type's own pipelines.
func pipelineStages(et *entityType) func(category int) []statusEntry {
	return func(category int) []statusEntry {
		if pl, ok := pipelineOf(et, category); ok {
			return pl.stages
		}
		return nil
	}
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
		category, _ = strconv.Atoi(str(k.store.et.byName[k.categoryField].gen(g, id)))
	}
	stages := k.stages(category)
	if len(stages) == 0 {
		return nil
	}
	cur := str(k.store.et.byName[k.stageField].gen(g, id))
	idx := slices.IndexFunc(stages, func(e statusEntry) bool { return e.statusID == cur })
	created, modified := g.created(id), g.modified(id)
	moved := created.Add(modified.Sub(created) / 2).Truncate(time.Minute)
	between := created.Add(moved.Sub(created) / 2).Truncate(time.Minute)
	// The stages in progress it may have passed: any after the first when
	// it is back in the first or in a final stage, else those before its
	// own.
	final := idx > 0 && stages[idx].semantics != ""
	var via []string
	for i := 1; i < len(stages); i++ {
		if stages[i].semantics == "" && (idx <= 0 || final || i < idx) {
			via = append(via, stages[i].statusID)
		}
	}
	path := []string{stages[0].statusID}
	switch {
	case idx <= 0 && len(via) > 0:
		path = append(path, via[g.n(id, 700, len(via))], cur)
	case idx > 0 && len(via) > 0 && g.n(id, 701, 3) > 0:
		path = append(path, via[g.n(id, 702, len(via))], cur)
	case idx > 0:
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
