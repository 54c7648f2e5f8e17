package web

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/admin"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

var (
	// A method prefix is a REST method name or its beginning; nothing else
	// (and no LIKE wildcard) gets through.
	methodPrefix = regexp.MustCompile(`^[A-Za-z0-9_.]{0,100}$`)
	// An error code as Bitrix24 and the client write them.
	errorCode = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// readCallQuery validates the filter; the error names what is wrong.
func readCallQuery(c *fiber.Ctx) (admin.CallQuery, string) {
	q := admin.CallQuery{Method: c.Query("method"), Outcome: c.Query("outcome"), Days: admin.DefaultCallDays}
	if !methodPrefix.MatchString(q.Method) {
		return q, "settings.error.method"
	}
	if q.Outcome != "" && q.Outcome != db.OutcomeOK && q.Outcome != db.OutcomeError && !errorCode.MatchString(q.Outcome) {
		return q, "settings.error.outcome"
	}
	if s := c.Query("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(admin.CallDayChoices, n) {
			return q, "settings.error.days"
		}
		q.Days = n
	}
	if s := c.Query("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 10000 {
			return q, "settings.error.page"
		}
		q.Page = n
	}
	return q, ""
}

// apiCalls is the fragment the log's filter and pager load.
func (h *handlers) apiCalls(c *fiber.Ctx) error {
	q, bad := readCallQuery(c)
	if bad != "" {
		// The answer replaces the log, so it keeps the log's element.
		c.Status(fiber.StatusBadRequest)
		return views.Render(c, views.CallTable(views.CallLog{Refused: views.T(c.UserContext(), bad)}))
	}
	l, err := h.admin.Calls(c.UserContext(), installationOf(c).ID, q)
	if err != nil {
		return err
	}
	return views.Render(c, views.CallTable(l))
}
