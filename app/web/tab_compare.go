package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/views"
)

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
