package web

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// Retention bounds, as the portal_settings check constraint has them.
const (
	minRetention = 1
	maxRetention = 36500
)

// placementTimeout bounds the portal calls a save makes while the admin
// waits; setup binds the rest later if the portal is slow.
const placementTimeout = 10 * time.Second

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

// knownEntities checks names against the CRM types Trail knows and returns
// them in display order without repeats.
func knownEntities(names []string) ([]string, bool) {
	for _, n := range names {
		if !isEntity(n) {
			return nil, false
		}
	}
	var out []string
	for _, e := range db.TypeNames(crm.Types) {
		if slices.Contains(names, e) {
			out = append(out, e)
		}
	}
	return out, true
}

// saveTracking stores which CRM types are recorded, which show a tab and
// how long history is kept. The drain reads the settings on every round,
// so recording starts or stops for new events at once.
//
// When a type is turned on, its events must be bound and its baseline
// copied: the settings and a setup job commit in one transaction, and
// setup (which also syncs the tabs, after the events) does the portal
// work. Otherwise the tabs are bound or unbound right here through the
// portal client, so the admin sees the result in the answer. Never both at
// once: two placement syncs racing would bind a tab twice. Events of a
// type turned off stay bound: the drain skips them, and turning the type
// on again needs no new binding.
func (h *handlers) saveTracking(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewerOf(c)
	entities, ok1 := knownEntities(formValues(c, "entity"))
	tabs, ok2 := knownEntities(formValues(c, "tab"))
	if !ok1 || !ok2 {
		return badForm(c, "settings.error.entity")
	}
	days, err := strconv.Atoi(c.FormValue("retention_days"))
	if err != nil || days < minRetention || days > maxRetention {
		return badForm(c, "settings.error.retention", minRetention, maxRetention)
	}
	in, err := db.InstallationByID(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	setup := false
	err = h.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, v.PortalID)
		if err != nil {
			return err
		}
		setup = slices.ContainsFunc(entities, func(e string) bool { return !set.Tracks(typeNamed(e)) })
		set.Entities, set.Tabs, set.RetentionDays = entities, tabs, days
		if set.Entities == nil {
			set.Entities = []string{}
		}
		if set.Tabs == nil {
			set.Tabs = []string{}
		}
		if err := db.SaveSettings(ctx, tx, set); err != nil {
			return err
		}
		if !setup || in.Status != db.StatusActive {
			return nil // (without access setup would be skipped; restoring access enqueues it)
		}
		return tx.Pgx(func(ptx pgx.Tx) error {
			_, err := h.Jobs.InsertTx(ctx, ptx, jobs.SetupArgs{PortalID: v.PortalID}, nil)
			return err
		})
	})
	if err != nil {
		return err
	}
	msg := "settings.saved"
	switch {
	case setup:
		msg = "settings.saved_setup"
	case h.syncTabs(ctx, in, tabs) != nil:
		msg = "settings.saved_tabs_later"
	}
	if err := views.Render(c, views.FormStatus(views.T(ctx, msg), false)); err != nil {
		return err
	}
	// A type just turned on has a baseline to copy: the progress bar
	// rides along and starts polling.
	p, err := h.syncView(ctx, in)
	if err != nil {
		return err
	}
	p.OOB = true
	return views.Render(c, views.SyncBar(p))
}

// syncTabs binds and unbinds the CRM tabs through the portal client.
func (h *handlers) syncTabs(ctx context.Context, in *db.Installation, tabs []string) error {
	if in.Status != db.StatusActive {
		return errors.New("portal not callable")
	}
	client, err := h.Clients.For(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, placementTimeout)
	defer cancel()
	return jobs.SyncPlacements(ctx, client, h.BaseURL, db.TypesNamed(tabs))
}

// saveFields stores which fields of one CRM type are recorded: the fields
// posted are tracked, every other known field is ignored. Only fields the
// portal's field list names are accepted.
func (h *handlers) saveFields(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewerOf(c)
	entity := c.Params("entity")
	if !isEntity(entity) {
		return badForm(c, "settings.error.entity")
	}
	known, err := h.fieldChoices(ctx, v.PortalID, entity)
	if err != nil {
		return err
	}
	if known == nil {
		return badForm(c, "settings.fields.unknown")
	}
	tracked := formValues(c, "field")
	codes := make(map[string]bool, len(known))
	for _, f := range known {
		codes[f.Name] = true
	}
	for _, f := range tracked {
		if !codes[f] {
			return badForm(c, "settings.error.field", f)
		}
	}
	ignored := []string{}
	for _, f := range known {
		if !slices.Contains(tracked, f.Name) {
			ignored = append(ignored, f.Name)
		}
	}
	err = h.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, v.PortalID)
		if err != nil {
			return err
		}
		if len(ignored) == 0 {
			delete(set.IgnoredFields, entity)
		} else {
			set.IgnoredFields[entity] = ignored
		}
		return db.SaveSettings(ctx, tx, set)
	})
	if err != nil {
		return err
	}
	return views.Render(c, views.FormStatus(views.Tf(ctx, "settings.fields.saved", len(tracked), len(known)), false))
}
