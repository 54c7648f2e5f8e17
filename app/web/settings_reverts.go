package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// revertsShown is how many of the latest reverts the settings list.
const revertsShown = 20

// revertsSection is the audit of the portal's latest reverts.
func (h *handlers) revertsSection(c *fiber.Ctx) error {
	v, in := viewerOf(c), installationOf(c)
	ctx := c.UserContext()
	list, err := db.RecentReverts(ctx, h.DB.Bun, v.PortalID, revertsShown)
	if err != nil {
		return err
	}
	p := printer(c, v)
	rows := make([]views.RevertRow, 0, len(list))
	labels := map[string]*timeline.Labels{}
	for _, r := range list {
		l := labels[r.Entity.String()]
		if l == nil {
			if l, err = timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, r.Entity); err != nil {
				return err
			}
			labels[r.Entity.String()] = l
		}
		row := views.RevertRow{
			At: r.CreatedAt.In(p.Zone()).Format("02.01.2006 15:04"), Who: l.User(r.UserID).Name, Change: r.ChangeID,
			Record:    views.T(ctx, "settings.entity_one."+r.Entity.String()) + " " + itoa(r.EntityID),
			RecordURL: h.PortalScheme + "://" + in.Domain + "/crm/" + r.Entity.String() + "/details/" + itoa(r.EntityID) + "/",
		}
		if r.Moment != nil {
			row.Moment = showMoment(*r.Moment, p)
		}
		if r.Recreate {
			row.Recreate = true
			if r.RecreatedID != nil {
				row.RecreatedID, row.RecreatedURL = *r.RecreatedID, h.portalRecordURL(c, r.Entity, *r.RecreatedID)
			}
		}
		for _, f := range r.Fields {
			out := f.Outcome
			if out == "" {
				out = "applying"
			}
			row.Fields = append(row.Fields, views.RevertField{Field: f.Field, Title: l.Title(f.Field), Outcome: out, Reason: f.Reason})
		}
		rows = append(rows, row)
	}
	return views.Render(c, views.RevertsSection(rows))
}
