package views

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trailhq/trail/app/timeline"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func authorName(ctx context.Context, u *timeline.User) string {
	if u == nil {
		return T(ctx, "who.unknown")
	}
	return u.Name
}

func initials(u *timeline.User) string {
	if u == nil {
		return "?"
	}
	var b strings.Builder
	for _, w := range strings.Fields(u.Name) {
		r, _ := utf8.DecodeRuneInString(w)
		b.WriteRune(r)
		if b.Len() >= 2 {
			break
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return strings.ToUpper(b.String())
}

// reason is a revert reason for a person: Trail's own reasons have
// messages; anything else is the portal's words, shown as they are.
func reason(ctx context.Context, r string) string {
	if m := T(ctx, "revert.reason."+r); m != "revert.reason."+r {
		return m
	}
	return r
}
