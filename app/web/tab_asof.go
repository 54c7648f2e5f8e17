package web

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// tabAsOf renders the record as it was at one moment: a time, or just
// before or after one of its changes.
func (h *handlers) tabAsOf(c *fiber.Ctx) error {
	v, entity, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	pr := printer(c, v)
	now := time.Now()
	m, change, err := readCut(c, "at", "before", "after", pr.Zone(), now)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	d := views.AsOfData{Record: recordPath(entity, id), At: showMoment(m.At, pr), AtInput: pickerValue(m.At, pr)}
	q := url.Values{}
	cutQuery(q, "from", "from_before", "from_after", m, change)
	cutQuery(q, "to", "", "", history.Moment{At: now}, 0)
	d.CompareNow = d.Record + "/compare?" + q.Encode()
	labels, past, note, err := h.past(c, entity, id, now, pr, []int64{change}, m)
	if err != nil || note != "" {
		d.Note = note
		return orRender(c, err, views.AsOf(d))
	}
	st := past.At(m)
	if err := labels.LoadLinks(c.UserContext(), h.DB.Bun, v.PortalID, timeline.StateRefs(labels, st)); err != nil {
		return err
	}
	d.Gone, d.Fields = st.Gone, labels.Show(past, st, pr)
	return views.Render(c, views.AsOf(d))
}

// readCut reads a moment: the time param, and the change it is just
// before or after, if any (see history.Moment).
func readCut(c *fiber.Ctx, name, beforeName, afterName string, loc *time.Location, now time.Time) (history.Moment, int64, error) {
	at, err := readMoment(name, c.Query(name), loc, now)
	if err != nil {
		return history.Moment{}, 0, err
	}
	m := history.Moment{At: at}
	before, after := c.Query(beforeName), c.Query(afterName)
	if before != "" && after != "" {
		return m, 0, fmt.Errorf("%s and %s cannot both be given", beforeName, afterName)
	}
	var change int64
	for _, p := range []struct {
		name, value string
		add         int64
	}{{beforeName, before, 0}, {afterName, after, 1}} {
		if p.value == "" {
			continue
		}
		n, err := strconv.ParseInt(p.value, 10, 64)
		if err != nil || n <= 0 || n == math.MaxInt64 {
			return m, 0, fmt.Errorf("%s must be a change of this record", p.name)
		}
		change, m.Until = n, n+p.add
	}
	return m, change, nil
}

// cutQuery is a moment as readCut reads it back.
func cutQuery(q url.Values, name, beforeName, afterName string, m history.Moment, change int64) {
	q.Set(name, m.At.UTC().Format(views.MomentLayout))
	switch {
	case change == 0:
	case m.Until == change:
		q.Set(beforeName, itoa(change))
	default:
		q.Set(afterName, itoa(change))
	}
}

// tabCompare renders the record at two moments side by side.
func (h *handlers) tabCompare(c *fiber.Ctx) error {
	v, entity, id, err := h.readableRecord(c)
	if err != nil {
		return err
	}
	pr := printer(c, v)
	now := time.Now()
	from, fromChange, err := readCut(c, "from", "from_before", "from_after", pr.Zone(), now)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	to, toChange, err := readCut(c, "to", "to_before", "to_after", pr.Zone(), now)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	d := views.CompareData{Record: recordPath(entity, id), From: showMoment(from.At, pr), To: showMoment(to.At, pr),
		FromInput: pickerValue(from.At, pr), ToInput: pickerValue(to.At, pr)}
	labels, past, note, err := h.past(c, entity, id, now, pr, []int64{fromChange, toChange}, from, to)
	if err != nil || note != "" {
		d.Note = note
		return orRender(c, err, views.Compare(d))
	}
	a, b := past.At(from), past.At(to)
	if err := labels.LoadLinks(c.UserContext(), h.DB.Bun, v.PortalID, timeline.StateRefs(labels, a, b)); err != nil {
		return err
	}
	d.FromGone, d.ToGone, d.Fields = a.Gone, b.Gone, labels.Compare(past, a, b, pr)
	for _, f := range d.Fields {
		if f.Differs {
			d.Differing++
		}
	}
	return views.Render(c, views.Compare(d))
}

// past loads what Trail holds of a record, or the note that explains why
// it cannot show the record at one of the moments: not tracked, not yet
// tracked or created then, or past the retention. A moment cut at a change
// (which must be the record's) is exact whenever that change is still kept,
// since the later ones are too.
func (h *handlers) past(c *fiber.Ctx, entity crm.Type, id int64, now time.Time, pr timeline.Printer, changes []int64, moments ...history.Moment) (*timeline.Labels, *timeline.Past, string, error) {
	ctx := c.UserContext()
	v := viewerOf(c)
	labels, err := timeline.LoadLabels(ctx, h.DB.Bun, v.PortalID, entity)
	if err != nil {
		return nil, nil, "", err
	}
	past, err := timeline.LoadPast(ctx, h.DB.Bun, v.PortalID, entity, id, labels.Schema, now)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, views.T(ctx, "asof.not_tracked"), nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	for _, change := range changes {
		if change != 0 && !past.Has(change) {
			return nil, nil, "", fiber.NewError(fiber.StatusBadRequest, "a moment's change must be a change of this record")
		}
	}
	began := showMoment(past.Began, pr)
	for _, m := range moments {
		switch {
		case past.At(m).NotYet:
			return nil, nil, views.Tf(ctx, "asof.not_yet", began), nil
		case m.Until != 0 || !m.At.Before(past.Began):
		case past.BeforeRetention:
			return nil, nil, views.Tf(ctx, "asof.before_retention", began), nil
		default:
			return nil, nil, views.Tf(ctx, "asof.before_tracking", began), nil
		}
	}
	return labels, past, "", nil
}

func orRender(c *fiber.Ctx, err error, page templ.Component) error {
	if err != nil {
		return err
	}
	return views.Render(c, page)
}

func recordPath(entity crm.Type, id int64) string { return "/tab/" + entity.String() + "/" + itoa(id) }

// Layouts of a moment: exact, as the entries link it, or a wall time of
// the viewer's zone, as the date-time picker sends it.
var pickerLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04"}

// readMoment reads a moment of the as-of routes. It must lie between 1970
// and now (history is recorded as it happens: no other moment names a
// state); the message says what was wrong.
func readMoment(name, s string, loc *time.Location, now time.Time) (time.Time, error) {
	bad := fmt.Errorf("%s must be a date and time (YYYY-MM-DDTHH:MM[:SS], in your time zone, or RFC 3339) between %s and now",
		name, firstDay.Format(time.DateOnly))
	if s == "" || len(s) > 40 {
		return time.Time{}, bad
	}
	t, err := time.Parse(views.MomentLayout, s)
	for _, layout := range pickerLayouts {
		if err == nil {
			break
		}
		t, err = time.ParseInLocation(layout, s, loc)
	}
	if err != nil || t.Before(firstDay) || t.After(now) {
		return time.Time{}, bad
	}
	return t, nil
}

// showMoment is a moment as the tab shows times, to the second.
func showMoment(t time.Time, pr timeline.Printer) string {
	return t.In(pr.Zone()).Format("02.01.2006 15:04:05")
}

// pickerValue is a moment as the date-time picker holds it.
func pickerValue(t time.Time, pr timeline.Printer) string {
	return t.In(pr.Zone()).Format(pickerLayouts[0])
}
