package web

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
)

// deletedBase is where the list of deleted records a request came through
// lives: the settings' (administrators), or the app's own page.
func deletedBase(c *fiber.Ctx) string {
	if strings.HasPrefix(c.Path(), "/settings/") {
		return "/settings/deleted"
	}
	return "/deleted"
}

// readableTypes are those of types whose records Bitrix24 lets the viewer
// read now, asked with the viewer's own token: crm.item.fields needs the
// read right on the type, and a deleted record itself can no longer be
// asked about. Nil means every type: the settings' guard let an
// administrator in.
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-fields.html
func (h *handlers) readableTypes(c *fiber.Ctx, types []crm.Type) ([]crm.Type, error) {
	if deletedBase(c) == "/settings/deleted" {
		return nil, nil
	}
	a, err := h.actor(c, viewerOf(c))
	if err != nil {
		return nil, err
	}
	var b b24.Batch
	for _, t := range types {
		b.Add(fmt.Sprintf("t%d", int(t)), "crm.item.fields", b24.Params{"entityTypeId": int(t)})
	}
	res, err := h.Clients.ForUser(a.In, a.Token, interactiveWait).Batch(c.UserContext(), &b)
	if err != nil {
		return nil, h.readError(c, err)
	}
	out := []crm.Type{}
	for _, t := range types {
		_, err := res.Result(fmt.Sprintf("t%d", int(t)))
		var be *b24.Error
		switch {
		case err == nil:
			out = append(out, t)
		case errors.As(err, &be) && !be.Temporary():
			// Refused: no read right on the type (or no such type any more).
		default:
			return nil, h.readError(c, err)
		}
	}
	return out, nil
}

// readError is a failed check of the viewer's rights: the portal busy, or
// the session's token no longer taken.
func (h *handlers) readError(c *fiber.Ctx, err error) error {
	if errors.Is(err, b24.ErrInvalidToken) || errors.Is(err, b24.ErrExpiredToken) || errors.Is(err, b24.ErrReauthRequired) {
		c.Set(RenewHeader, "token")
		return fiber.NewError(fiber.StatusUnauthorized, "Bitrix24 no longer takes the session's token")
	}
	return h.entryError(c, err)
}
