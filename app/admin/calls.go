package admin

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// The API call log view: the last days of the portal's Bitrix24 calls,
// newest first, a page at a time.
const (
	callsPage = 50
	// DefaultCallDays is the period the log shows first.
	DefaultCallDays = 3
)

// CallDayChoices are the periods the log offers; the log keeps at least
// three days (the marketplace's rule), often more.
var CallDayChoices = []int{1, 3, 7}

// CallQuery is the log's filter and page, already validated.
type CallQuery struct {
	Method, Outcome string
	Days, Page      int
}

func (q CallQuery) url(page int) string {
	v := url.Values{}
	v.Set("method", q.Method)
	v.Set("outcome", q.Outcome)
	v.Set("days", strconv.Itoa(q.Days))
	v.Set("page", strconv.Itoa(page))
	return "/settings/calls?" + v.Encode()
}

// Calls is one page of the portal's API call log.
func (s *Service) Calls(ctx context.Context, portalID int64, q CallQuery) (views.CallLog, error) {
	since := time.Now().Add(-time.Duration(q.Days) * 24 * time.Hour)
	f := db.APICallFilter{Since: since, MethodPrefix: q.Method, Outcome: q.Outcome}
	rows, more, err := db.APICalls(ctx, s.DB.Bun, portalID, f, q.Page*callsPage, callsPage)
	if err != nil {
		return views.CallLog{}, err
	}
	codes, err := db.APIErrorCodes(ctx, s.DB.Bun, portalID, since)
	if err != nil {
		return views.CallLog{}, err
	}
	l := views.CallLog{Method: q.Method, Outcome: q.Outcome, Days: q.Days, DayOpts: CallDayChoices, Codes: codes}
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
