package web

import (
	"errors"
	"net/url"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/revert"
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
	if revert.Supports(entity) {
		r := url.Values{}
		cutQuery(r, "at", "before", "after", m, change)
		d.Restore = restorePath(entity.String(), id) + "?" + r.Encode()
	}
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
