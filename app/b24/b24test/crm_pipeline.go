package b24test

import "strconv"

// Moving a deal to another pipeline, which only crm.item.update does.

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
