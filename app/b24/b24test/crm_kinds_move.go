package b24test

import (
	"fmt"
	"net/http"
	"strconv"
)

// MoveDeal moves a deal to another pipeline as a person (userID) or an
// automation (Automation) does on the deal's card: the deal starts at
// stageID, or at the pipeline's first stage when stageID is "". It is
// crm.item.update with categoryId (and stageId): the same record changes,
// the same stage-history row and the same ONCRMDEALMOVETOCATEGORY, with no
// ONCRMDEALUPDATE
// (https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-move-to-category.html).
func (p *Portal) MoveDeal(id, category int, stageID string, userID int) error {
	u, err := p.actor(userID)
	if err != nil {
		return err
	}
	if category < 0 || category >= len(dealCategories) {
		return fmt.Errorf("b24test: no deal pipeline %d", category)
	}
	in := objOf("categoryId", strconv.Itoa(category))
	if stageID != "" {
		in.set("stageId", stageID)
	}
	p.mu.Lock()
	et := p.crmType(2)
	if !p.crm[2].exists(id) {
		p.mu.Unlock()
		return fmt.Errorf("b24test: deal %d not found", id)
	}
	was := p.standing(et, id)
	if was.category == strconv.Itoa(category) {
		p.mu.Unlock()
		return fmt.Errorf("b24test: deal %d is in pipeline %d already", id, category)
	}
	err = p.updateRecord(et, id, in, true, u)
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("b24test: move deal %d: %w", id, err)
	}
	p.changed(p.pipelineChange(change{et: et, action: "UPDATE", id: id, actor: u}, was))
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
