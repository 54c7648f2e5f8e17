package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/db"
)

// Filter days are the viewer's days: "from 1 December" in a portal at
// UTC+2 starts at 22:00 UTC on 30 November, as the tab shows that change
// on 1 December.
func TestReadFilterDays(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("", 2*3600)
	var got db.HistoryFilter
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		f, _, err := readFilter(c, loc)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, err.Error())
		}
		got = f
		return nil
	})
	resp, err := app.Test(httptest.NewRequest("GET", "/?from=2026-12-01&to=2026-12-31&field=TITLE&person=3", nil), -1)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("good filter = %v %v", resp, err)
	}
	if want := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC); !got.From.Equal(want) {
		t.Errorf("from = %s, want %s", got.From.UTC(), want)
	}
	if want := time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC); !got.To.Equal(want) {
		t.Errorf("to = %s, want the end of 31 December there, %s", got.To.UTC(), want)
	}
	if q := filterQuery(got); q.Get("from") != "2026-12-01" || q.Get("to") != "2026-12-31" {
		t.Errorf("next page's query = %v", q)
	}
}
