package web

import (
	"errors"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/admin"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/views"
)

// badForm answers 400 with the reason, shown under the form; nothing was saved.
func badForm(c *fiber.Ctx, key string, args ...any) error {
	c.Status(fiber.StatusBadRequest)
	return views.Render(c, views.FormStatus(views.Tf(c.UserContext(), key, args...), true))
}

// formValues returns every value of a repeated form field.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		out = append(out, mf.Value[name]...)
	}
	return out
}

// crmTypesOf reads type names as the forms post them ("deal",
// "dynamic_156") and returns the types in display order without repeats;
// false if one is not a type's name. Whether the portal has them is
// admin.SaveTracking's to check.
func crmTypesOf(names []string) ([]crm.Type, bool) {
	var out []crm.Type
	for _, n := range names {
		t, ok := crm.ParseType(n)
		if !ok {
			return nil, false
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	crm.Sort(out)
	return out, true
}

// saveTracking stores which CRM types are recorded, which show a tab and
// how long history is kept (admin.Service.SaveTracking).
func (h *handlers) saveTracking(c *fiber.Ctx) error {
	ctx := c.UserContext()
	types, ok1 := crmTypesOf(formValues(c, "entity"))
	tabs, ok2 := crmTypesOf(formValues(c, "tab"))
	if !ok1 || !ok2 {
		return badForm(c, "settings.error.entity")
	}
	days, err := strconv.Atoi(c.FormValue("retention_days"))
	if err != nil {
		days = 0 // refused below as out of range
	}
	in := installationOf(c)
	saved, err := h.admin.SaveTracking(ctx, in, admin.Tracking{Types: types, Tabs: tabs, RetentionDays: days})
	switch {
	case errors.Is(err, admin.ErrRetention):
		return badForm(c, "settings.error.retention", admin.MinRetention, admin.MaxRetention)
	case errors.Is(err, admin.ErrUnknownType):
		return badForm(c, "settings.error.entity")
	case err != nil:
		return err
	}
	msg := map[admin.Saved]string{
		admin.SavedOnly: "settings.saved", admin.SavedSetup: "settings.saved_setup", admin.SavedTabsLater: "settings.saved_tabs_later",
	}[saved]
	if err := views.Render(c, views.FormStatus(views.T(ctx, msg), false)); err != nil {
		return err
	}
	// A type just turned on has a baseline to copy: the progress bar
	// rides along and starts polling.
	p, err := h.admin.Progress(ctx, in)
	if err != nil {
		return err
	}
	p.OOB = true
	return views.Render(c, views.SyncBar(p))
}

// saveFields stores which fields of one CRM type are recorded: the fields
// posted are tracked, every other known field is ignored.
func (h *handlers) saveFields(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t, ok := crm.ParseType(c.Params("entity"))
	if !ok {
		return badForm(c, "settings.error.entity")
	}
	tracked := formValues(c, "field")
	known, err := h.admin.SaveFields(ctx, installationOf(c).ID, t, tracked)
	var unknown *admin.UnknownFieldError
	switch {
	case errors.Is(err, admin.ErrNoFieldList):
		return badForm(c, "settings.fields.unknown")
	case errors.As(err, &unknown):
		return badForm(c, "settings.error.field", unknown.Code)
	case err != nil:
		return err
	}
	return views.Render(c, views.FormStatus(views.Tf(ctx, "settings.fields.saved", len(tracked), known), false))
}
