package views

import (
	"context"
	"strings"
)

// orNever shows a time, or that it never happened.
func orNever(ctx context.Context, s string) string {
	if s == "" {
		return T(ctx, "settings.never")
	}
	return s
}

func joinFields(titles []string) string { return strings.Join(titles, ", ") }
