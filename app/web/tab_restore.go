package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/revert"
)

// restorePath is where a record is put back as it was at a moment: GET
// previews (the moment as the as-of view reads it), POST writes.
func restorePath(entity string, id int64) string {
	return "/tab/" + entity + "/" + itoa(id) + "/restore"
}

// tabRestorePreview shows what putting the record back as it was at a
// moment would write: every tracked field's value then, against the
// portal's now, read with the viewer's token.
func (h *handlers) tabRestorePreview(c *fiber.Ctx) error {
	v, t, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	pr := printer(c, v)
	now := time.Now()
	m, change, err := readCut(c, "at", "before", "after", pr.Zone(), now)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	_, past, note, err := h.past(c, t, id, now, pr, []int64{change}, m)
	if err != nil {
		return err
	}
	if note != "" {
		return fiber.NewError(fiber.StatusBadRequest, note)
	}
	st := past.At(m)
	if st.Gone {
		return h.problem(c, fiber.StatusBadRequest, "error.restore_gone")
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	targets := revert.FromState(st.Fields, past.Tracked, past.ChangedSince(m, v.UserID))
	r, err := h.reverts.PreviewMoment(c.UserContext(), a, t, id, m.At, targets)
	if err != nil {
		return h.revertError(c, err)
	}
	return h.renderRevert(c, v, r)
}

// tabRestore writes the ticked fields of a restore's preview, once per
// preview key.
func (h *handlers) tabRestore(c *fiber.Ctx) error {
	v, t, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	key, chosen, err := readSubmit(c)
	if err != nil {
		return err
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	r, err := h.reverts.Submit(c.UserContext(), a, t, id, 0, key, chosen)
	if err != nil {
		return h.revertError(c, err)
	}
	return h.renderRevert(c, v, r)
}
