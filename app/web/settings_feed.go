package web

import (
	"context"
	"fmt"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// Sizes of the portal-wide views.
const (
	feedChanges = 50
	chartDays   = 30
)

// feed is the portal's last changes across every record, one item per
// change. It lists what changed (field titles), not the values: it is an
// overview, and the values are one click away in the record's own tab.
// Times are shown as the tab shows them (p).
func (h *handlers) feed(ctx context.Context, in *db.Installation, p timeline.Printer) ([]views.FeedItem, error) {
	rows, err := db.RecentChanges(ctx, h.DB.Bun, in.ID, feedChanges)
	if err != nil {
		return nil, err
	}
	labels := map[crm.Type]*timeline.Labels{}
	var out []views.FeedItem
	var last int64 // change of the last item; rows of one change are adjacent
	for _, r := range rows {
		l := labels[r.Entity]
		if l == nil {
			if l, err = timeline.LoadLabels(ctx, h.DB.Bun, in.ID, r.Entity); err != nil {
				return nil, err
			}
			labels[r.Entity] = l
		}
		if len(out) == 0 || r.ChangeID != last {
			it := views.FeedItem{
				At: r.ChangedAt.In(p.ForOffset(r.UTCOffset).Zone()), Action: r.Action, Entity: r.Entity.String(), EntityLabel: views.T(ctx, "settings.entity_one."+r.Entity.String()),
				ID: r.EntityID, URL: recordURL(in.ClientEndpoint, r.Entity.String(), r.EntityID), Author: views.T(ctx, "who.unknown"),
			}
			if r.AuthorID != nil {
				it.Author = l.User(*r.AuthorID).Name
			}
			out = append(out, it)
			last = r.ChangeID
		}
		if r.Field != "" {
			it := &out[len(out)-1]
			it.Fields = append(it.Fields, l.Title(r.Field))
		}
	}
	return out, nil
}

// recordURL is the record's page in the portal (its CRM detail card).
func recordURL(clientEndpoint, entity string, id int64) string {
	o := origin(clientEndpoint)
	if o == "" {
		return ""
	}
	return fmt.Sprintf("%s/crm/%s/details/%d/", o, entity, id)
}

// chart counts the portal's changes per day over the last chartDays days.
func (h *handlers) chart(ctx context.Context, portalID int64) (views.Chart, error) {
	days, err := db.ChangesPerDay(ctx, h.DB.Bun, portalID, chartDays, time.UTC)
	if err != nil {
		return views.Chart{}, err
	}
	c := views.Chart{Days: make([]views.ChartDay, len(days))}
	for i, d := range days {
		c.Days[i] = views.ChartDay{Day: d.Day, Changes: d.Changes}
	}
	return c, nil
}
