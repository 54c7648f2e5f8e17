package web

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// The API call log view: the last days of the portal's Bitrix24 calls,
// newest first, a page at a time.
const (
	callsPage       = 50
	defaultCallDays = 3
)

// callDayChoices are the periods the log offers; the log keeps at least
// three days (the marketplace's rule), often more.
var callDayChoices = []int{1, 3, 7}

var (
	// A method prefix is a REST method name or its beginning; nothing else
	// (and no LIKE wildcard) gets through.
	methodPrefix = regexp.MustCompile(`^[A-Za-z0-9_.]{0,100}$`)
	// An error code as Bitrix24 and the client write them.
	errorCode = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// callQuery is the log's filter and page as the request gives them.
type callQuery struct {
	Method, Outcome string
	Days, Page      int
}

func (q callQuery) url(page int) string {
	v := url.Values{}
	v.Set("method", q.Method)
	v.Set("outcome", q.Outcome)
	v.Set("days", strconv.Itoa(q.Days))
	v.Set("page", strconv.Itoa(page))
	return "/settings/calls?" + v.Encode()
}

// readCallQuery validates the filter; the error names what is wrong.
func readCallQuery(c *fiber.Ctx) (callQuery, string) {
	q := callQuery{Method: c.Query("method"), Outcome: c.Query("outcome"), Days: defaultCallDays}
	if !methodPrefix.MatchString(q.Method) {
		return q, "settings.error.method"
	}
	if q.Outcome != "" && q.Outcome != db.OutcomeOK && q.Outcome != db.OutcomeError && !errorCode.MatchString(q.Outcome) {
		return q, "settings.error.outcome"
	}
	if s := c.Query("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(callDayChoices, n) {
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
	l, err := h.callLog(c.UserContext(), viewerOf(c).PortalID, q)
	if err != nil {
		return err
	}
	return views.Render(c, views.CallTable(l))
}

func (h *handlers) callLog(ctx context.Context, portalID int64, q callQuery) (views.CallLog, error) {
	since := time.Now().Add(-time.Duration(q.Days) * 24 * time.Hour)
	f := db.APICallFilter{Since: since, MethodPrefix: q.Method, Outcome: q.Outcome}
	rows, more, err := db.APICalls(ctx, h.DB.Bun, portalID, f, q.Page*callsPage, callsPage)
	if err != nil {
		return views.CallLog{}, err
	}
	codes, err := db.APIErrorCodes(ctx, h.DB.Bun, portalID, since)
	if err != nil {
		return views.CallLog{}, err
	}
	l := views.CallLog{Method: q.Method, Outcome: q.Outcome, Days: q.Days, DayOpts: callDayChoices, Codes: codes}
	for _, r := range rows {
		l.Rows = append(l.Rows, views.APICallRow{
			At: r.At.UTC(), Method: r.Method, Commands: r.Commands, HTTPStatus: r.HTTPStatus, ErrorCode: r.ErrorCode,
			DurationMS: r.DurationMS, WaitedMS: r.WaitedMS, Attempt: r.Attempt,
		})
	}
	if q.Page > 0 {
		l.Prev = q.url(q.Page - 1)
	}
	if more {
		l.Next = q.url(q.Page + 1)
	}
	return l, nil
}
