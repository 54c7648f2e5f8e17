package web

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// pageChanges is how many changes one page of a tab shows.
const pageChanges = 25

// tabPage renders the history tab of one record.
func (h *handlers) tabPage(c *fiber.Ctx, v viewer, entity crm.Type, id int64, sess views.FrameSession) error {
	ctx := c.UserContext()
	labels, err := timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, entity)
	if err != nil {
		return err
	}
	page, err := h.timelinePage(c, v, labels, entity, id, db.HistoryFilter{}, nil)
	if err != nil {
		return err
	}
	d := views.TabData{Session: sess, Entity: entity.String(), ID: id, Page: page, TrackingSince: page.TrackingSince,
		Now: pickerValue(time.Now(), printer(c, v))}
	fields, err := db.HistoryFields(ctx, h.DB.Bun, v.PortalID, entity, id)
	if err != nil {
		return err
	}
	for _, f := range fields {
		d.Fields = append(d.Fields, views.Option{Value: f, Label: labels.Title(f)})
	}
	authors, err := db.HistoryAuthors(ctx, h.DB.Bun, v.PortalID, entity, id)
	if err != nil {
		return err
	}
	for _, a := range authors {
		d.People = append(d.People, views.Option{Value: itoa(a), Label: labels.User(a).Name})
	}
	return views.Render(c, views.Tab(d))
}

// tabEntries renders a page of the timeline (filters, infinite scroll).
func (h *handlers) tabEntries(c *fiber.Ctx) error {
	v, entity, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	f, after, err := readFilter(c, printer(c, v).Zone())
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	labels, err := timeline.LoadLabels(c.UserContext(), h.DB.Bun, v.PortalID, entity)
	if err != nil {
		return err
	}
	page, err := h.timelinePage(c, v, labels, entity, id, f, after)
	if err != nil {
		return err
	}
	return views.Render(c, views.Timeline(page))
}

// readableRecord is the record of a tab route, if the session may read it.
// A lapsed grant answers 401, so the page renews its session (which checks
// the record again with a fresh token).
func (h *handlers) readableRecord(c *fiber.Ctx) (viewer, crm.Type, int64, error) {
	v := viewerOf(c)
	t, ok := crm.ParseType(c.Params("entity"))
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 || !ok {
		return v, 0, 0, fiber.ErrNotFound
	}
	if !mayRead(h.Sessions, c.UserContext(), t.String(), id) {
		return v, 0, 0, fiber.NewError(fiber.StatusUnauthorized, "session does not cover this record")
	}
	return v, t, id, nil
}

func (h *handlers) timelinePage(c *fiber.Ctx, v viewer, labels *timeline.Labels, entity crm.Type, id int64, f db.HistoryFilter, after *db.HistoryCursor) (views.TimelinePage, error) {
	ctx := c.UserContext()
	rows, err := db.RecordHistory(ctx, h.DB.Bun, v.PortalID, entity, id, f, after, pageChanges+1)
	if err != nil {
		return views.TimelinePage{}, err
	}
	if err := labels.LoadLinks(ctx, h.DB.Bun, v.PortalID, timeline.Refs(rows, labels)); err != nil {
		return views.TimelinePage{}, err
	}
	if err := labels.LoadCurrencies(ctx, h.DB.Bun, v.PortalID, entity, id, rows); err != nil {
		return views.TimelinePage{}, err
	}
	entries := timeline.Build(rows, labels, printer(c, v))
	p := views.TimelinePage{First: after == nil, Record: recordPath(entity, id)}
	if revert.Supports(entity) {
		p.Revert = revertPath(entity, id)
	}
	if len(entries) > pageChanges {
		entries = entries[:pageChanges]
		last := entries[len(entries)-1]
		q := filterQuery(f)
		q.Set("after", fmt.Sprintf("%d_%d", last.At.UnixMicro(), last.ChangeID))
		p.Next = "/tab/" + entity.String() + "/" + itoa(id) + "/entries?" + q.Encode()
	} else if snap, err := db.SnapshotOf(ctx, h.DB.Bun, v.PortalID, entity, id); err == nil {
		p.TrackingSince = snap.TrackedSince.In(printer(c, v).Zone()).Format("02.01.2006")
	}
	p.Entries = entries
	return p, nil
}

// TimeZoneHeader carries the browser's IANA time zone (trail.js sends it).
const TimeZoneHeader = "X-Time-Zone"

// printer renders values in the viewer's language and time zone: their own
// zone, else the portal's (see timeline.Printer), else the browser's.
func printer(c *fiber.Ctx, v viewer) timeline.Printer {
	ctx := c.UserContext()
	p := timeline.Printer{Empty: "—", Unknown: views.T(ctx, "tab.unknown_value"), Yes: views.T(ctx, "yes"), No: views.T(ctx, "no"),
		Loc: zone(v.TimeZone), Browser: zone(c.Get(TimeZoneHeader)), Records: map[string]string{},
		Rows: timeline.RowWords{Product: views.T(ctx, "tab.row.product"), Price: views.T(ctx, "tab.row.price"),
			Quantity: views.T(ctx, "tab.row.quantity"), Discount: views.T(ctx, "tab.row.discount"),
			Tax: views.T(ctx, "tab.row.tax"), TaxIncluded: views.T(ctx, "tab.row.tax_included")}}
	if v.PortalOffset != nil {
		p.Portal = time.FixedZone("", int(*v.PortalOffset))
	}
	for _, t := range append([]crm.Type{crm.Quote, crm.SmartInvoice}, crm.Types...) {
		p.Records[t.String()] = views.T(ctx, "settings.entity_one."+t.String())
	}
	p.Records[timeline.AnyItem] = views.T(ctx, "settings.entity_one.dynamic")
	return p
}

// zone loads an IANA zone name; nil for none, an unknown name, or the
// server's own zone.
func zone(name string) *time.Location {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return l
}

// Bounds of the tab's filters: history is recorded as it happens, so days
// outside these years name nothing, and PostgreSQL and the page cursor
// stay far from the ends of their ranges.
var (
	firstDay = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDay  = time.Date(9998, 12, 31, 0, 0, 0, 0, time.UTC)
)

// readFilter reads the filter form and the page cursor; days are the
// viewer's days in loc, as the tab shows times. Anything it cannot read is
// the asker's mistake: the message says what was wrong.
func readFilter(c *fiber.Ctx, loc *time.Location) (db.HistoryFilter, *db.HistoryCursor, error) {
	var f db.HistoryFilter
	f.Field = c.Query("field")
	if f.Field != "" && !isFieldCode(f.Field) {
		return f, nil, fmt.Errorf("field must be a field code (letters, digits, _)")
	}
	if p := c.Query("person"); p != "" {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n <= 0 {
			return f, nil, fmt.Errorf("person must be a user id")
		}
		f.AuthorID = n
	}
	for _, d := range []struct {
		name string
		into *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if s := c.Query(d.name); s != "" {
			day, err := time.Parse(time.DateOnly, s)
			if err != nil || day.Before(firstDay) || day.After(lastDay) {
				return f, nil, fmt.Errorf("%s must be a date (YYYY-MM-DD) between %s and %s",
					d.name, firstDay.Format(time.DateOnly), lastDay.Format(time.DateOnly))
			}
			*d.into = time.Date(day.Year(), day.Month(), day.Day()+d.add, 0, 0, 0, 0, loc)
		}
	}
	after, err := readCursor(c.Query("after"))
	return f, after, err
}

// isFieldCode reports whether s can be a Bitrix24 field code (TITLE,
// UF_CRM_1687188367): anything else names no field.
func isFieldCode(s string) bool {
	if len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// readCursor reads the "after" cursor a page links to: the microsecond and
// change id of the last entry shown.
func readCursor(s string) (*db.HistoryCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := fmt.Errorf("after must be a page cursor from this tab")
	us, cid, ok := strings.Cut(s, "_")
	micro, err1 := strconv.ParseInt(us, 10, 64)
	change, err2 := strconv.ParseInt(cid, 10, 64)
	if !ok || err1 != nil || err2 != nil || change <= 0 {
		return nil, bad
	}
	at := time.UnixMicro(micro).UTC()
	if at.Before(firstDay) || at.After(lastDay.AddDate(0, 0, 1)) {
		return nil, bad
	}
	return &db.HistoryCursor{At: at, ChangeID: change}, nil
}

func filterQuery(f db.HistoryFilter) url.Values {
	q := url.Values{}
	if f.Field != "" {
		q.Set("field", f.Field)
	}
	if f.AuthorID != 0 {
		q.Set("person", itoa(f.AuthorID))
	}
	if !f.From.IsZero() {
		q.Set("from", f.From.Format("2006-01-02"))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.AddDate(0, 0, -1).Format("2006-01-02"))
	}
	return q
}

// tabExport sends the record's whole (filtered) history as CSV.
func (h *handlers) tabExport(c *fiber.Ctx) error {
	v, entity, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	f, _, err := readFilter(c, printer(c, v).Zone())
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	ctx := c.UserContext()
	labels, err := timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, entity)
	if err != nil {
		return err
	}
	rows, err := db.RecordHistory(ctx, h.DB.Bun, v.PortalID, entity, id, f, nil, 1_000_000)
	if err != nil {
		return err
	}
	if err := labels.LoadLinks(ctx, h.DB.Bun, v.PortalID, timeline.Refs(rows, labels)); err != nil {
		return err
	}
	if err := labels.LoadCurrencies(ctx, h.DB.Bun, v.PortalID, entity, id, rows); err != nil {
		return err
	}
	p := printer(c, v)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%d-history.csv"`, entity.String(), id))
	w := csv.NewWriter(c.Response().BodyWriter())
	_ = w.Write(csvRow(views.T(ctx, "csv.when"), views.T(ctx, "csv.who"), views.T(ctx, "csv.how"),
		views.T(ctx, "csv.action"), views.T(ctx, "csv.field"), views.T(ctx, "csv.old"), views.T(ctx, "csv.new")))
	for _, e := range timeline.Build(rows, labels, p) {
		who := views.T(ctx, "who.unknown")
		if e.Author != nil {
			who = e.Author.Name
		}
		base := []string{e.At.Format(time.RFC3339), who, views.T(ctx, "source."+e.Source), views.T(ctx, "tab."+e.Action)}
		if len(e.Changes) == 0 {
			_ = w.Write(csvRow(append(base, "", "", "")...))
		}
		for _, ch := range e.Changes {
			_ = w.Write(csvRow(append(base[:4:4], ch.Title, ch.Old, ch.New)...))
		}
	}
	w.Flush()
	return w.Error()
}
