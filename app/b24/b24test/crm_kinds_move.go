package b24test

import (
	"fmt"
	"net/http"
	"strconv"
)

// MoveDeal moves a deal to another pipeline as a person (userID) or an
// automation (Automation) does on the deal's card: the deal starts at
// stageID, or at the pipeline's first stage when stageID is "". It fires
// ONCRMDEALMOVETOCATEGORY with the new pipeline and stage, and no
// ONCRMDEALUPDATE
// (https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-move-to-category.html).
func (p *Portal) MoveDeal(id, category int, stageID string, userID int) error {
	u, err := p.actor(userID)
	if err != nil {
		return err
	}
	cat := strconv.Itoa(category)
	if category < 0 || category >= len(dealCategories) {
		return fmt.Errorf("b24test: no deal pipeline %d", category)
	}
	if stageID == "" {
		stageID = firstStage(cat)
	}
	if !stageInCategory(stageID, cat) {
		return fmt.Errorf("b24test: stage %q is not in pipeline %d", stageID, category)
	}
	p.mu.Lock()
	s := p.crm[2]
	if !s.exists(id) {
		p.mu.Unlock()
		return fmt.Errorf("b24test: deal %d not found", id)
	}
	rec := s.record(id)
	if rec["CATEGORY_ID"] == cat {
		p.mu.Unlock()
		return fmt.Errorf("b24test: deal %d is in pipeline %d already", id, category)
	}
	who, now := strconv.Itoa(actorID(u, rec)), p.formatTime(p.srv.now())
	rec["CATEGORY_ID"], rec["STAGE_ID"] = cat, stageID
	rec["MOVED_BY_ID"], rec["MOVED_TIME"] = who, now
	rec["MODIFY_BY_ID"], rec["DATE_MODIFY"] = who, now
	fixStageDerived(rec)
	s.over[id] = rec
	p.mu.Unlock()
	ev := crmEvent{name: "ONCRMDEALMOVETOCATEGORY", extra: [][2]string{{"CATEGORY_ID", cat}, {"STAGE_ID", stageID}}}
	p.fire(ev, change{et: entityTypes[2], action: "MOVETOCATEGORY", id: id, actor: u})
	return nil
}

// kindControl adds the control endpoints of pipelines and types.
func kindControl(mux *http.ServeMux, portal func(func(http.ResponseWriter, *http.Request, *Portal)) http.HandlerFunc) {
	// POST {"user_id": N, "category_id": N, "stage_id": "C1:NEW"} moves a deal.
	mux.HandleFunc("POST /_emulator/portals/{portal}/deals/{id}/move", portal(func(w http.ResponseWriter, r *http.Request, p *Portal) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		var body struct {
			UserID     int    `json:"user_id"`
			CategoryID int    `json:"category_id"`
			StageID    string `json:"stage_id"`
		}
		if err := decodeOptional(r, &body); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		ctlDone(w, p.MoveDeal(id, body.CategoryID, body.StageID, body.UserID))
	}))
}
