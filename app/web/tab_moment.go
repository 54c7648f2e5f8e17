package web

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/views"
)

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

// Layouts of a moment: exact, as the entries link it, or a wall time of
// the viewer's zone, as the date-time picker sends it.
var pickerLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04"}

// clockSkew is how far ahead of Trail's clock a moment may be: a change's
// time is the portal's (DATE_MODIFY), and its entry links to it.
const clockSkew = 10 * time.Minute

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
	if err != nil || t.Before(firstDay) || t.After(now.Add(clockSkew)) {
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
