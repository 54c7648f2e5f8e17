package admin

import (
	"context"
	"fmt"
	"net/url"
	"strings"
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

// Page is everything the settings page shows but the session; p prints
// the feed's times as the tab does.
func (s *Service) Page(ctx context.Context, in *db.Installation, p timeline.Printer) (views.SettingsData, error) {
	set, err := db.LoadSettings(ctx, s.DB.Bun, in.ID)
	if err != nil {
		return views.SettingsData{}, err
	}
	found, err := db.FoundTypes(ctx, s.DB.Bun, in.ID)
	if err != nil {
		return views.SettingsData{}, err
	}
	d := views.SettingsData{Reauth: in.Status == db.StatusReauth, Tracking: trackingForm(ctx, set, found)}
	if d.Fields, err = s.fieldGroups(ctx, in.ID, set, found); err != nil {
		return d, err
	}
	if d.Sync, err = s.Progress(ctx, in); err != nil {
		return d, err
	}
	if d.Health, err = s.Health(ctx, in); err != nil {
		return d, err
	}
	if d.Chart, err = s.chart(ctx, in.ID); err != nil {
		return d, err
	}
	if d.Feed, err = s.feed(ctx, in, p); err != nil {
		return d, err
	}
	if d.Calls, err = s.Calls(ctx, in.ID, CallQuery{Days: DefaultCallDays}); err != nil {
		return d, err
	}
	return d, nil
}

// trackingForm lists every type the portal has, smart processes by their
// title, and the deleted ones whose history Trail keeps.
func trackingForm(ctx context.Context, set *db.Settings, found []db.FoundType) views.TrackingForm {
	f := views.TrackingForm{RetentionDays: set.RetentionDays, MinRetention: MinRetention, MaxRetention: MaxRetention}
	for _, t := range db.PortalTypes(found) {
		ft, _ := db.Found(found, t)
		f.Entities = append(f.Entities, views.EntityChoice{
			Name: t.String(), Label: FoundLabel(ctx, found, t), Tracked: set.Tracks(t), Tab: set.HasTab(t), Deleted: ft.Deleted,
		})
	}
	return f
}

func (s *Service) fieldGroups(ctx context.Context, portalID int64, set *db.Settings, found []db.FoundType) ([]views.FieldGroup, error) {
	var out []views.FieldGroup
	for _, t := range db.PortalTypes(found) {
		if f, ok := db.Found(found, t); ok && f.Deleted {
			continue
		}
		fields, err := s.FieldChoices(ctx, portalID, t)
		if err != nil {
			return nil, err
		}
		g := views.FieldGroup{Entity: t.String(), Label: FoundLabel(ctx, found, t)}
		for _, f := range fields {
			g.Fields = append(g.Fields, views.FieldChoice{Code: f.Name, Title: f.Title, Tracked: !set.Ignores(t, f.Name)})
		}
		out = append(out, g)
	}
	return out, nil
}

// feed is the portal's last changes across every record, one item per
// change. It lists what changed (field titles), not the values: it is an
// overview, and the values are one click away in the record's own tab.
func (s *Service) feed(ctx context.Context, in *db.Installation, p timeline.Printer) ([]views.FeedItem, error) {
	rows, err := db.RecentChanges(ctx, s.DB.Bun, in.ID, feedChanges)
	if err != nil {
		return nil, err
	}
	labels := map[crm.Type]*timeline.Labels{}
	var out []views.FeedItem
	var last int64 // change of the last item; rows of one change are adjacent
	for _, r := range rows {
		l := labels[r.Entity]
		if l == nil {
			if l, err = timeline.LoadLabels(ctx, s.DB.Bun, in.ID, r.Entity); err != nil {
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

// recordURL is the record's page in the portal (its CRM detail card), or
// "" when the portal's address is not a plain http(s) one.
func recordURL(clientEndpoint, entity string, id int64) string {
	u, err := url.Parse(clientEndpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || strings.ContainsAny(u.Host, " ;'\"") {
		return ""
	}
	return fmt.Sprintf("%s://%s/crm/%s/details/%d/", u.Scheme, u.Host, entity, id)
}

// chart counts the portal's changes per day over the last chartDays days.
func (s *Service) chart(ctx context.Context, portalID int64) (views.Chart, error) {
	days, err := db.ChangesPerDay(ctx, s.DB.Bun, portalID, chartDays, time.UTC)
	if err != nil {
		return views.Chart{}, err
	}
	c := views.Chart{Days: make([]views.ChartDay, len(days))}
	for i, d := range days {
		c.Days[i] = views.ChartDay{Day: d.Day, Changes: d.Changes}
	}
	return c, nil
}
