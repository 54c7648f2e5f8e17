package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// bulkShown is how many of the latest bulk reverts the settings list.
const bulkShown = 5

// bulkRowsShown is how many records not restored the page lists; the CSV
// report has them all.
const bulkRowsShown = 200

// bulkTypes are the types the form offers.
var bulkTypes = []crm.Type{crm.Deal, crm.Lead, crm.Contact, crm.Company}

// bulkSection is the bulk revert form and the latest bulk reverts.
func (h *handlers) bulkSection(c *fiber.Ctx) error {
	v := viewerOf(c)
	list, err := db.RecentBulkReverts(c.UserContext(), h.DB.Bun, v.PortalID, bulkShown)
	if err != nil {
		return err
	}
	out := make([]views.BulkProgress, 0, len(list))
	for i := range list {
		t, err := db.TallyBulk(c.UserContext(), h.DB.Bun, v.PortalID, list[i].ID)
		if err != nil {
			return err
		}
		p, err := h.bulkProgress(c, v, revert.Report{BulkRevert: &list[i], BulkTally: t})
		if err != nil {
			return err
		}
		out = append(out, p)
	}
	return views.Render(c, views.BulkSection(bulkForm(views.BulkForm{}), out))
}

// bulkPreview counts what the form selects.
func (h *handlers) bulkPreview(c *fiber.Ctx) error {
	v := viewerOf(c)
	form, f, err := readBulkFilter(c, printer(c, v).Zone())
	if err != nil {
		return err
	}
	n, err := h.bulk.Count(c.UserContext(), v.PortalID, f)
	if err != nil {
		return err
	}
	return views.Render(c, views.BulkCounted(views.BulkCount{Form: form, Records: n.Records, Changes: n.Changes, Conflicts: n.Conflicts}))
}

// bulkStart starts a bulk revert of what the form selects, written with
// the admin's own token.
func (h *handlers) bulkStart(c *fiber.Ctx) error {
	v := viewerOf(c)
	_, f, err := readBulkFilter(c, printer(c, v).Zone())
	if err != nil {
		return err
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	bk, err := h.bulk.Start(c.UserContext(), a, f)
	switch {
	case errors.Is(err, revert.ErrNothing):
		return h.problem(c, fiber.StatusBadRequest, "error.bulk_nothing")
	case errors.Is(err, revert.ErrBulkRunning):
		return h.problem(c, fiber.StatusConflict, "error.bulk_running")
	case err != nil:
		return err
	}
	p, err := h.bulkProgress(c, v, revert.Report{BulkRevert: bk})
	if err != nil {
		return err
	}
	return views.Render(c, views.BulkBar(p))
}

// bulkPoll is a bulk revert's progress bar. The admin who started it
// hands the job their session's token with every poll (see revert.Bulk).
func (h *handlers) bulkPoll(c *fiber.Ctx) error {
	v := viewerOf(c)
	r, err := h.bulkReport(c, v)
	if err != nil {
		return err
	}
	p, err := h.bulkProgress(c, v, r)
	if err != nil {
		return err
	}
	return views.Render(c, views.BulkBar(p))
}

// bulkStop ends a bulk revert; records not reached are reported skipped.
func (h *handlers) bulkStop(c *fiber.Ctx) error {
	v := viewerOf(c)
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusBadRequest, "id must be a bulk revert's id")
	}
	r, err := h.bulk.Stop(c.UserContext(), revert.Actor{In: installationOf(c), UserID: v.UserID}, id)
	if errors.Is(err, db.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "no such bulk revert")
	}
	if err != nil {
		return err
	}
	p, err := h.bulkProgress(c, v, r)
	if err != nil {
		return err
	}
	return views.Render(c, views.BulkBar(p))
}

// bulkCSV is a bulk revert's report, a row per record and field.
func (h *handlers) bulkCSV(c *fiber.Ctx) error {
	v := viewerOf(c)
	r, err := h.bulkReport(c, v)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	recs, err := db.BulkRecords(ctx, h.DB.Bun, v.PortalID, r.ID)
	if err != nil {
		return err
	}
	labels := map[crm.Type]*timeline.Labels{}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="bulk-revert-%d.csv"`, r.ID))
	w := csv.NewWriter(c.Response().BodyWriter())
	_ = w.Write(csvRow("type", "id", "outcome", "reason", "field", "field outcome", "field reason"))
	for _, rec := range recs {
		l := labels[rec.Entity]
		if l == nil {
			if l, err = timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, rec.Entity); err != nil {
				return err
			}
			labels[rec.Entity] = l
		}
		head := []string{rec.Entity.String(), itoa(rec.EntityID), rec.Outcome, rec.Reason}
		if len(rec.Fields) == 0 {
			_ = w.Write(csvRow(append(head, "", "", "")...))
		}
		for _, f := range rec.Fields {
			_ = w.Write(csvRow(append(head, l.Title(f.Field), f.Outcome, f.Reason)...))
		}
	}
	w.Flush()
	return w.Error()
}

// bulkReport is the bulk revert the path names, of the viewer's portal.
func (h *handlers) bulkReport(c *fiber.Ctx, v viewer) (revert.Report, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return revert.Report{}, fiber.NewError(fiber.StatusBadRequest, "id must be a bulk revert's id")
	}
	a := revert.Actor{In: installationOf(c), UserID: v.UserID, Token: userToken(h.Sessions, h.Keys, c.UserContext(), v)}
	r, err := h.bulk.Progress(c.UserContext(), a, id)
	if errors.Is(err, db.ErrNotFound) {
		return r, fiber.NewError(fiber.StatusNotFound, "no such bulk revert")
	}
	return r, err
}

// bulkProgress is a bulk revert as the page shows it; done, with the
// records not restored.
func (h *handlers) bulkProgress(c *fiber.Ctx, v viewer, r revert.Report) (views.BulkProgress, error) {
	ctx := c.UserContext()
	p := printer(c, v)
	users, err := timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, crm.Deal)
	if err != nil {
		return views.BulkProgress{}, err
	}
	scope := views.T(ctx, "settings.bulk.every_type")
	if r.Type != 0 {
		scope = views.T(ctx, "settings.entity."+r.Entity().String())
	}
	if r.Field != "" {
		scope += ", " + r.Field
	}
	out := views.BulkProgress{
		ID: r.ID, Who: users.User(r.UserID).Name, Author: users.User(r.AuthorID).Name,
		Window: showMoment(r.From, p) + " – " + showMoment(r.To, p), Scope: scope,
		State: r.State, PausedWhy: r.PausedWhy, Total: r.Total, Done: r.Done,
		Restored: r.Restored, Skipped: r.Skipped, Conflicts: r.Conflicts, Refused: r.Refused,
	}
	if r.State != db.BulkDone || r.Done == r.Restored {
		return out, nil
	}
	recs, err := db.BulkRecords(ctx, h.DB.Bun, v.PortalID, r.ID)
	if err != nil {
		return out, err
	}
	in := installationOf(c)
	for _, rec := range recs {
		if rec.Outcome == db.BulkRestored || len(out.Rows) == bulkRowsShown {
			continue
		}
		out.Rows = append(out.Rows, views.BulkRow{
			Record:    views.T(ctx, "settings.entity_one."+rec.Entity.String()) + " " + itoa(rec.EntityID),
			RecordURL: h.PortalScheme + "://" + in.Domain + "/crm/" + rec.Entity.String() + "/details/" + itoa(rec.EntityID) + "/",
			Outcome:   rec.Outcome, Reason: rec.Reason,
		})
	}
	return out, nil
}

// bulkForm fills the form's choices.
func bulkForm(f views.BulkForm) views.BulkForm {
	for _, t := range bulkTypes {
		if revert.BulkSupports(t) {
			f.Entities = append(f.Entities, t.String())
		}
	}
	return f
}

// readBulkFilter reads the bulk revert form: a user id, a window within
// the history Trail can hold (from before to, neither absurd), a type the
// revert writes back and a field code, both optional.
func readBulkFilter(c *fiber.Ctx, loc *time.Location) (views.BulkForm, db.BulkFilter, error) {
	form := views.BulkForm{Author: c.FormValue("author"), From: c.FormValue("from"), To: c.FormValue("to"), Entity: c.FormValue("entity"), Field: c.FormValue("field")}
	bad := func(msg string) (views.BulkForm, db.BulkFilter, error) {
		return form, db.BulkFilter{}, fiber.NewError(fiber.StatusBadRequest, msg)
	}
	author, err := strconv.ParseInt(form.Author, 10, 64)
	if err != nil || author <= 0 {
		return bad("author must be a user id")
	}
	now := time.Now()
	from, err := readMoment("from", form.From, loc, now)
	if err != nil {
		return bad(err.Error())
	}
	to, err := readMoment("to", form.To, loc, now)
	if err != nil {
		return bad(err.Error())
	}
	if !from.Before(to) {
		return bad("from must be before to")
	}
	var t crm.Type
	if form.Entity != "" {
		var ok bool
		if t, ok = crm.ParseType(form.Entity); !ok || !revert.BulkSupports(t) {
			return bad("entity must be a type a bulk revert writes back")
		}
	}
	if form.Field != "" && !isFieldCode(form.Field) {
		return bad("field must be a field code")
	}
	f, err := revert.BulkFilter(author, from, to, t, form.Field)
	if err != nil {
		return bad(err.Error())
	}
	return bulkForm(form), f, nil
}
