package web

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// The settings page is the app's main page (placement DEFAULT). Every route
// under /settings sits behind requireAdmin, so a portal's ordinary users
// can neither see nor change anything here; and every query takes the
// portal from the session, never from the request, so one portal's admin
// cannot reach another portal's data.

// settingsRoutes registers the settings page's fragments and forms.
func (h *handlers) settingsRoutes(r fiber.Router) {
	r.Post("/tracking", h.saveTracking)
	r.Post("/fields/:entity", h.saveFields)
	r.Post("/resync", h.resync)
	r.Get("/sync", h.syncProgress)
	r.Get("/health", h.healthSection)
	r.Get("/health/portal", h.portalHealth)
	r.Get("/calls", h.apiCalls)
	r.Post("/reauthorize", h.reauthorize)
}

// timeFormat is how the settings page shows instants (UTC: the portal's
// time zone is not known to Trail).
const timeFormat = "02.01.2006 15:04 UTC"

// settingsPage renders the settings of the viewer's portal.
func (h *handlers) settingsPage(c *fiber.Ctx, in *db.Installation, sess views.FrameSession) error {
	ctx := c.UserContext()
	set, err := db.LoadSettings(ctx, h.DB.Bun, in.ID)
	if err != nil {
		return err
	}
	d := views.SettingsData{Session: sess, Reauth: in.Status == db.StatusReauth, Tracking: trackingForm(ctx, set)}
	if d.Fields, err = h.fieldGroups(ctx, in.ID, set); err != nil {
		return err
	}
	if d.Sync, err = h.syncView(ctx, in); err != nil {
		return err
	}
	if d.Health, err = h.health(ctx, in); err != nil {
		return err
	}
	if d.Chart, err = h.chart(ctx, in.ID); err != nil {
		return err
	}
	if d.Feed, err = h.feed(ctx, in, printer(c, viewerOf(c))); err != nil {
		return err
	}
	if d.Calls, err = h.callLog(ctx, in.ID, callQuery{Days: defaultCallDays}); err != nil {
		return err
	}
	return views.Render(c, views.Settings(d))
}

func entityLabel(ctx context.Context, entity string) string {
	return views.T(ctx, "settings.entity."+entity)
}

func trackingForm(ctx context.Context, s *db.Settings) views.TrackingForm {
	f := views.TrackingForm{RetentionDays: s.RetentionDays, MinRetention: minRetention, MaxRetention: maxRetention}
	for _, e := range db.TypeNames(crm.Types) {
		f.Entities = append(f.Entities, views.EntityChoice{
			Name: e, Label: entityLabel(ctx, e), Tracked: s.Tracks(typeNamed(e)), Tab: slices.Contains(s.Tabs, e),
		})
	}
	return f
}

// fieldChoices are the fields of entity an admin can choose from: those the
// portal's stored *.fields answer names, less the system fields Trail never
// records anyway. It returns nil when the field list was not read yet.
func (h *handlers) fieldChoices(ctx context.Context, portalID int64, entity string) ([]history.Field, error) {
	raw, err := db.LoadMeta(ctx, h.DB.Bun, portalID, db.MetaFields(typeNamed(entity)))
	if err != nil || raw == nil {
		return nil, err
	}
	schema, err := history.ParseFields(raw)
	if err != nil {
		return nil, nil // unreadable metadata: nothing to choose from until setup reads it again
	}
	var out []history.Field
	for code, f := range schema.Fields {
		if history.IsSystemField(code) {
			continue
		}
		f.Name = code
		if f.Title == "" {
			f.Title = code
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b history.Field) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

func (h *handlers) fieldGroups(ctx context.Context, portalID int64, s *db.Settings) ([]views.FieldGroup, error) {
	var out []views.FieldGroup
	for _, e := range db.TypeNames(crm.Types) {
		fields, err := h.fieldChoices(ctx, portalID, e)
		if err != nil {
			return nil, err
		}
		g := views.FieldGroup{Entity: e, Label: entityLabel(ctx, e)}
		for _, f := range fields {
			g.Fields = append(g.Fields, views.FieldChoice{Code: f.Name, Title: f.Title, Tracked: !s.Ignores(typeNamed(e), f.Name)})
		}
		out = append(out, g)
	}
	return out, nil
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}
