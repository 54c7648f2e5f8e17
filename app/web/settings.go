package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// settingsPage renders the settings of the viewer's portal.
func (h *handlers) settingsPage(c *fiber.Ctx, in *db.Installation, sess views.FrameSession) error {
	ctx := c.UserContext()
	states, err := db.SyncStates(ctx, h.DB.Bun, in.ID)
	if err != nil {
		return err
	}
	return views.Render(c, views.Settings(views.SettingsData{Session: sess, Reauth: in.Status == db.StatusReauth, Sync: states}))
}
