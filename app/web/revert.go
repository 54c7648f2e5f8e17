package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// revertPath is where a record's change is reverted: GET previews, POST
// writes.
func revertPath(t crm.Type, id int64) string {
	return "/tab/" + t.String() + "/" + itoa(id) + "/revert/"
}

// tabRevertPreview shows what reverting a change (or one field of it,
// ?field=) would write, read from the portal now with the viewer's token.
func (h *handlers) tabRevertPreview(c *fiber.Ctx) error {
	v, t, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	change, err := strconv.ParseInt(c.Params("change"), 10, 64)
	field := c.Query("field")
	if err != nil || change <= 0 || field != "" && !isFieldCode(field) {
		return fiber.NewError(fiber.StatusBadRequest, "change must be a change id and field a field code")
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	r, err := h.reverts.Preview(c.UserContext(), a, t, id, change, field)
	if err != nil {
		return h.revertError(c, err)
	}
	return h.renderRevert(c, v, r)
}

// tabRevert writes the ticked fields of a preview, once per preview key.
func (h *handlers) tabRevert(c *fiber.Ctx) error {
	v, t, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	change, err := strconv.ParseInt(c.Params("change"), 10, 64)
	if err != nil || change <= 0 {
		return fiber.NewError(fiber.StatusBadRequest, "change must be a change id")
	}
	key, chosen, err := readSubmit(c)
	if err != nil {
		return err
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	r, err := h.reverts.Submit(c.UserContext(), a, t, id, change, key, chosen)
	if err != nil {
		return h.revertError(c, err)
	}
	return h.renderRevert(c, v, r)
}

// readSubmit reads a submitted preview: its key and the ticked fields.
func readSubmit(c *fiber.Ctx) (string, []string, error) {
	key := c.FormValue("key")
	if key == "" || len(key) > 64 || !plausibleToken(key) {
		return "", nil, fiber.NewError(fiber.StatusBadRequest, "key must be the preview's key")
	}
	var chosen []string
	for _, f := range c.Request().PostArgs().PeekMulti("field") {
		if !isFieldCode(string(f)) {
			return "", nil, fiber.NewError(fiber.StatusBadRequest, "field must be a field code")
		}
		chosen = append(chosen, string(f))
	}
	return key, chosen, nil
}

// actor is the viewer with their own Bitrix24 token, which a write needs.
// A session without one renews (the page brings a fresh token).
func (h *handlers) actor(c *fiber.Ctx, v viewer) (revert.Actor, error) {
	token := userToken(h.Sessions, h.Keys, c.UserContext(), v)
	if token == "" {
		c.Set(RenewHeader, "token")
		return revert.Actor{}, fiber.NewError(fiber.StatusUnauthorized, "the session holds no Bitrix24 token")
	}
	return revert.Actor{In: installationOf(c), UserID: v.UserID, Token: token}, nil
}

func (h *handlers) revertError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, revert.ErrToken):
		c.Set(RenewHeader, "token")
		return fiber.NewError(fiber.StatusUnauthorized, "Bitrix24 no longer takes the session's token")
	case errors.Is(err, revert.ErrNoChange):
		return h.problem(c, fiber.StatusNotFound, "error.revert_none")
	case errors.Is(err, revert.ErrType):
		return h.problem(c, fiber.StatusBadRequest, "error.revert_type")
	}
	return h.entryError(c, err)
}

// renderRevert shows a revert with the portal's field titles and values
// as the tab shows them.
func (h *handlers) renderRevert(c *fiber.Ctx, v viewer, r *db.Revert) error {
	labels, err := timeline.LoadLabels(c.UserContext(), h.DB.Bun, v.PortalID, r.Entity)
	if err != nil {
		return err
	}
	p := printer(c, v)
	d := views.RevertData{Action: revertPath(r.Entity, r.EntityID) + itoa(r.ChangeID), Key: r.Key, Done: r.State != db.RevertPreviewed}
	if r.Moment != nil {
		d.Action, d.Moment = restorePath(r.Entity.String(), r.EntityID), showMoment(*r.Moment, p)
	}
	for _, f := range r.Fields {
		out := f.Outcome
		if out == "" && d.Done {
			out = "applying"
		}
		d.Fields = append(d.Fields, views.RevertField{
			Field: f.Field, Title: labels.Title(f.Field), Current: labels.Display(f.Field, f.Current, p), Target: labels.Display(f.Field, f.Target, p),
			Conflict: f.Conflict, Writable: f.Writable, Chosen: f.Chosen, Outcome: out, Reason: f.Reason,
		})
	}
	return views.Render(c, views.Revert(d))
}
