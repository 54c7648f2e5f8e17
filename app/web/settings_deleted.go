package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// deletedShown is how many deleted records one page of the list shows.
const deletedShown = 25

// deletedRoutes registers the list of deleted records, one record's last
// state and history, and its restore, under the settings' guard.
func (h *handlers) deletedRoutes(r fiber.Router) {
	r.Get("/deleted", h.deletedSection)
	r.Get("/deleted/:entity/:id", h.deletedRecord)
	r.Get("/deleted/:entity/:id/entries", h.deletedEntries)
	r.Get("/deleted/:entity/:id/restore", h.recreatePreview)
	r.Post("/deleted/:entity/:id/restore", wellFormed, h.recreate)
}

// peopleDeletedRoutes registers the same pages on a group at /deleted for
// anybody with a session: each shows only types Bitrix24 lets the viewer
// read now (readableTypes), and a restore writes with the viewer's own
// token, so Bitrix24's add right decides.
func (h *handlers) peopleDeletedRoutes(r fiber.Router) {
	r.Get("", h.deletedSection)
	r.Get("/:entity/:id", h.deletedRecord)
	r.Get("/:entity/:id/entries", h.deletedEntries)
	r.Get("/:entity/:id/restore", h.recreatePreview)
	r.Post("/:entity/:id/restore", wellFormed, h.recreate)
}

// deletedSection is a page of the portal's deleted records (?type= one
// type, ?after= the page after a cursor of this list).
func (h *handlers) deletedSection(c *fiber.Ctx) error {
	v, ctx := viewerOf(c), c.UserContext()
	var only crm.Type
	if s := c.Query("type"); s != "" {
		t, ok := crm.ParseType(s)
		if !ok {
			return fiber.NewError(fiber.StatusBadRequest, "type must be a CRM type")
		}
		only = t
	}
	after, err := readDeletedCursor(c.Query("after"))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	found, err := db.FoundTypes(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	types, err := h.readableTypes(c, db.PortalTypes(found))
	if err != nil {
		return err
	}
	shown := types
	if only != 0 {
		shown = []crm.Type{}
		if types == nil || slices.Contains(types, only) {
			shown = []crm.Type{only}
		}
	}
	list, err := db.DeletedRecords(ctx, h.DB.Bun, v.PortalID, shown, after, deletedShown+1)
	if err != nil {
		return err
	}
	base := deletedBase(c)
	d := views.DeletedData{Base: base}
	for _, t := range db.PortalTypes(found) {
		if types == nil || slices.Contains(types, t) {
			d.Types = append(d.Types, views.Option{Value: t.String(), Label: typeName(c, found, t), Selected: t == only})
		}
	}
	if len(list) > deletedShown {
		list = list[:deletedShown]
		last := list[len(list)-1]
		q := fmt.Sprintf("after=%d_%d_%d", last.DeletedAt.UnixMicro(), int(last.Entity), last.EntityID)
		if only != 0 {
			q += "&type=" + only.String()
		}
		d.Next = base + "?" + q
	}
	p, labels := printer(c, v), map[crm.Type]*timeline.Labels{}
	for _, r := range list {
		l := labels[r.Entity]
		if l == nil {
			if l, err = timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, r.Entity); err != nil {
				return err
			}
			labels[r.Entity] = l
		}
		row := views.DeletedRow{Type: typeName(c, found, r.Entity), ID: r.EntityID, Title: recordTitle(r.Data),
			Who: deleter(c, l, r.AuthorID), At: r.ChangedAt.In(p.Zone()).Format("02.01.2006 15:04"),
			Open: views.DeletedPath(base, r.Entity.String(), r.EntityID)}
		if r.RecreatedID != nil {
			row.RestoredAs, row.RestoredURL = *r.RecreatedID, h.portalRecordURL(c, r.Entity, *r.RecreatedID)
		}
		d.Rows = append(d.Rows, row)
	}
	if after != nil {
		return views.Render(c, views.DeletedRows(d))
	}
	return views.Render(c, views.DeletedSection(d))
}

// deletedRecord shows a deleted record as Trail last saw it, its history
// (read only: the record is gone, so nothing of it can be reverted) and
// its restore.
func (h *handlers) deletedRecord(c *fiber.Ctx) error {
	v, ctx := viewerOf(c), c.UserContext()
	d, err := h.deletedOf(c)
	if err != nil {
		return err
	}
	pr := printer(c, v)
	labels, err := timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, d.Entity)
	if err != nil {
		return err
	}
	found, err := db.FoundTypes(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	out := views.DeletedRecordData{Type: typeName(c, found, d.Entity), ID: d.EntityID, Title: recordTitle(d.Data),
		Who: deleter(c, labels, d.AuthorID), At: d.ChangedAt.In(pr.Zone()).Format("02.01.2006 15:04")}
	switch {
	case d.RecreatedID != nil:
		out.RestoredAs, out.RestoredURL = *d.RecreatedID, h.portalRecordURL(c, d.Entity, *d.RecreatedID)
	case revert.Recreatable(d.Entity):
		out.Restore = views.DeletedPath(deletedBase(c), d.Entity.String(), d.EntityID) + "/restore"
	default:
		out.NoRestore = views.T(ctx, "settings.deleted.cannot")
	}
	past, err := timeline.LoadPast(ctx, h.DB.Bun, v.PortalID, d.Entity, d.EntityID, labels.Schema, time.Now())
	if err != nil {
		return err
	}
	st := past.At(history.Moment{At: d.ChangedAt, Until: d.ChangeID})
	if err := labels.LoadLinks(ctx, h.DB.Bun, v.PortalID, timeline.StateRefs(labels, st)); err != nil {
		return err
	}
	out.Fields = labels.Show(past, st, pr)
	if out.Page, err = h.timelinePage(c, v, labels, d.Entity, d.EntityID, db.HistoryFilter{}, nil); err != nil {
		return err
	}
	readOnly(&out.Page, deletedBase(c))
	return views.Render(c, views.DeletedRecord(out))
}

// deletedEntries is the next page of a deleted record's history.
func (h *handlers) deletedEntries(c *fiber.Ctx) error {
	v := viewerOf(c)
	d, err := h.deletedOf(c)
	if err != nil {
		return err
	}
	after, err := readCursor(c.Query("after"))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	labels, err := timeline.LoadLabels(c.UserContext(), h.DB.Bun, v.PortalID, d.Entity)
	if err != nil {
		return err
	}
	page, err := h.timelinePage(c, v, labels, d.Entity, d.EntityID, db.HistoryFilter{}, after)
	if err != nil {
		return err
	}
	readOnly(&page, deletedBase(c))
	return views.Render(c, views.Timeline(page))
}

// readOnly makes a tab's page of a deleted record's history one that
// neither reverts nor opens the record's moments (the tab's routes need a
// record the portal still has), paged on the list's own route (base).
func readOnly(p *views.TimelinePage, base string) {
	p.Record, p.Revert = "", ""
	if rest, ok := strings.CutPrefix(p.Next, "/tab/"); ok {
		p.Next = base + "/" + rest
	}
}

// recreatePreview shows what restoring a deleted record would write.
func (h *handlers) recreatePreview(c *fiber.Ctx) error {
	v := viewerOf(c)
	t, id, err := h.deletedParams(c)
	if err != nil {
		return err
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	r, err := h.reverts.PreviewRecreate(c.UserContext(), a, t, id)
	if err != nil {
		return h.recreateError(c, err)
	}
	return h.renderRecreate(c, v, r)
}

// recreate restores a deleted record as previewed, once per preview key.
func (h *handlers) recreate(c *fiber.Ctx) error {
	v := viewerOf(c)
	t, id, err := h.deletedParams(c)
	if err != nil {
		return err
	}
	key, _, err := readSubmit(c)
	if err != nil {
		return err
	}
	a, err := h.actor(c, v)
	if err != nil {
		return err
	}
	r, err := h.reverts.SubmitRecreate(c.UserContext(), a, t, id, key)
	if err != nil {
		return h.recreateError(c, err)
	}
	return h.renderRecreate(c, v, r)
}

func (h *handlers) recreateError(c *fiber.Ctx, err error) error {
	var done *revert.ErrRecreated
	switch {
	case errors.As(err, &done):
		msg := views.T(c.UserContext(), "error.recreated")
		if done.Restore.RecreatedID != nil {
			msg = views.Tf(c.UserContext(), "error.recreated", itoa(*done.Restore.RecreatedID))
		}
		return fiber.NewError(fiber.StatusConflict, msg)
	case errors.Is(err, revert.ErrNoChange):
		return h.problem(c, fiber.StatusNotFound, "error.recreate_none")
	case errors.Is(err, revert.ErrType):
		return h.problem(c, fiber.StatusBadRequest, "settings.deleted.cannot")
	}
	return h.revertError(c, err)
}

// renderRecreate shows a restore's fields with the portal's titles and
// values as the tab shows them.
func (h *handlers) renderRecreate(c *fiber.Ctx, v viewer, r *db.Revert) error {
	labels, err := timeline.LoadLabels(c.UserContext(), h.DB.Bun, v.PortalID, r.Entity)
	if err != nil {
		return err
	}
	p := printer(c, v)
	d := views.RecreateData{Action: views.DeletedPath(deletedBase(c), r.Entity.String(), r.EntityID) + "/restore", Key: r.Key,
		Done: r.State == db.RevertDone, Applying: r.State == db.RevertApplying}
	if r.RecreatedID != nil {
		d.NewID, d.NewURL = *r.RecreatedID, h.portalRecordURL(c, r.Entity, *r.RecreatedID)
	}
	for _, f := range r.Fields {
		out := f.Outcome
		if out == "" && d.Applying && f.Writable {
			out = "applying"
		}
		rf := views.RevertField{Field: f.Field, Title: labels.Title(f.Field), Target: labels.Display(f.Field, f.Target, p),
			Writable: f.Writable, Chosen: f.Chosen, Outcome: out, Reason: f.Reason}
		if f.Field == history.ProductRows {
			// The portal's field lists do not name the rows.
			rf.Title, rf.Target = views.T(c.UserContext(), "tab.row.product"), strings.Join(timeline.RowLines(f.Target, p), "; ")
		}
		d.Fields = append(d.Fields, rf)
	}
	return views.Render(c, views.Recreate(d))
}

// deletedOf is the deleted record a route names, of the viewer's portal.
func (h *handlers) deletedOf(c *fiber.Ctx) (*db.DeletedRecord, error) {
	t, id, err := h.deletedParams(c)
	if err != nil {
		return nil, err
	}
	d, err := db.DeletedOne(c.UserContext(), h.DB.Bun, viewerOf(c).PortalID, t, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fiber.NewError(fiber.StatusNotFound, views.T(c.UserContext(), "error.recreate_none"))
	}
	return d, err
}

// deletedParams is the type and id a route names; a type the viewer may
// not read (readableTypes) is refused.
func (h *handlers) deletedParams(c *fiber.Ctx) (crm.Type, int64, error) {
	t, ok := crm.ParseType(c.Params("entity"))
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 || !ok {
		return 0, 0, fiber.ErrNotFound
	}
	types, err := h.readableTypes(c, []crm.Type{t})
	if err != nil {
		return 0, 0, err
	}
	if types != nil && !slices.Contains(types, t) {
		return 0, 0, fiber.NewError(fiber.StatusForbidden, views.T(c.UserContext(), "error.no_read"))
	}
	return t, id, nil
}

// readDeletedCursor reads the list's "after": the microsecond of the last
// record's deletion, its type and its id.
func readDeletedCursor(s string) (*db.DeletedCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := fmt.Errorf("after must be a page cursor from this list")
	parts := strings.Split(s, "_")
	if len(parts) != 3 {
		return nil, bad
	}
	var n [3]int64
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v <= 0 && i > 0 {
			return nil, bad
		}
		n[i] = v
	}
	at := time.UnixMicro(n[0]).UTC()
	if at.Before(firstDay) || at.After(lastDay) || n[1] > 1<<31-1 {
		return nil, bad
	}
	return &db.DeletedCursor{At: at, Entity: crm.Type(n[1]), EntityID: n[2]}, nil
}

// typeName is a type as the viewer reads it: a smart process by its title.
func typeName(c *fiber.Ctx, found []db.FoundType, t crm.Type) string {
	ctx := c.UserContext()
	if t.Dynamic() {
		if f, ok := db.Found(found, t); ok && f.Title != "" {
			return f.Title
		}
		return views.Tf(ctx, "settings.entity.dynamic", int(t))
	}
	return views.T(ctx, "settings.entity_one."+t.String())
}

// deleter names who deleted a record; unknown when the portal did not say.
func deleter(c *fiber.Ctx, l *timeline.Labels, author *int64) string {
	if author == nil {
		return views.T(c.UserContext(), "who.unknown")
	}
	return l.User(*author).Name
}

// recordTitle is what a person calls a record: its title, or a contact's
// name.
func recordTitle(data json.RawMessage) string {
	var f map[string]any
	if json.Unmarshal(data, &f) != nil {
		return ""
	}
	str := func(k string) string { s, _ := f[k].(string); return s }
	if t := str("TITLE"); t != "" {
		return t
	}
	return strings.TrimSpace(str("NAME") + " " + str("LAST_NAME"))
}

// portalRecordURL is a record's card in the portal.
func (h *handlers) portalRecordURL(c *fiber.Ctx, t crm.Type, id int64) string {
	path := "/crm/" + t.String() + "/details/" + itoa(id) + "/"
	if t.Dynamic() || t == crm.SmartInvoice || t == crm.Quote {
		path = "/crm/type/" + strconv.Itoa(int(t)) + "/details/" + itoa(id) + "/"
	}
	return h.PortalScheme + "://" + installationOf(c).Domain + path
}
