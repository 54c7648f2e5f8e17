package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// APICall is one logged Bitrix24 call: the marketplace wants them kept for
// at least three days (see app/apilog).
type APICall struct {
	bun.BaseModel `bun:"table:api_calls"`

	PortalID   int64     `bun:"portal_id"`
	At         time.Time `bun:"at"`
	Method     string    `bun:"method"`
	Commands   int       `bun:"commands"`
	HTTPStatus int       `bun:"http_status"`
	ErrorCode  string    `bun:"error_code"`
	DurationMS float32   `bun:"duration_ms"`
	Attempt    int       `bun:"attempt"`
	WaitedMS   float32   `bun:"waited_ms"`
	Operating  *float32  `bun:"operating"`
}

// Outcomes an API log filter can ask for besides one error code.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// APICallFilter narrows the API call log.
type APICallFilter struct {
	Since time.Time
	// MethodPrefix keeps calls whose method starts with it (e.g. "crm.deal").
	MethodPrefix string
	// Outcome is "", OutcomeOK, OutcomeError or one error code.
	Outcome string
}

func (f APICallFilter) apply(s *bun.SelectQuery, portalID int64) *bun.SelectQuery {
	s = s.Where("portal_id = ?", portalID).Where("at >= ?", f.Since)
	if f.MethodPrefix != "" {
		s = s.Where("method LIKE ?", likePrefix(f.MethodPrefix))
	}
	switch f.Outcome {
	case "":
	case OutcomeOK:
		s = s.Where("error_code = ''")
	case OutcomeError:
		s = s.Where("error_code <> ''")
	default:
		s = s.Where("error_code = ?", f.Outcome)
	}
	return s
}

// APICalls returns one page of the portal's logged calls, newest first, and
// whether more follow. The log has no key of its own, so pages go by offset;
// it is short (days) and paged by an admin, so that is cheap enough.
func APICalls(ctx context.Context, q bun.IDB, portalID int64, f APICallFilter, offset, limit int) ([]APICall, bool, error) {
	var rows []APICall
	s := q.NewSelect().Table("api_calls").
		Column("at", "method", "commands", "http_status", "error_code", "duration_ms", "attempt", "waited_ms")
	err := f.apply(s, portalID).OrderExpr("at DESC").Offset(int64(offset)).Limit(int64(limit+1)).Scan(ctx, &rows)
	if err != nil {
		return nil, false, fmt.Errorf("api calls: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	return rows, more, nil
}

// APIErrorCodes lists the error codes in the portal's log since a time, for
// the outcome filter.
func APIErrorCodes(ctx context.Context, q bun.IDB, portalID int64, since time.Time) ([]string, error) {
	var out []string
	err := q.NewRaw(`SELECT DISTINCT error_code FROM api_calls WHERE portal_id = ? AND at >= ? AND error_code <> '' ORDER BY 1`,
		portalID, since).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("api error codes: %w", err)
	}
	return out, nil
}

// likePrefix is a LIKE pattern matching strings that start with p, with
// LIKE's own wildcards in p taken literally.
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(p) + "%"
}
