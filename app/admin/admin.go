// Package admin is what a portal's administrator does on the settings
// page: choose what is tracked, resynchronise, watch the installation's
// health and the API call log. Handlers parse the request, call one method
// of Service and render what it returns. Every method takes the portal
// from the caller's session (the installation the access check loaded),
// never from the request.
package admin

import (
	"errors"

	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// ErrNoAccess: Trail has lost its grant to the portal, so nothing can be
// asked of it until an administrator restores access.
var ErrNoAccess = errors.New("admin: no access to the portal")

// Service is the settings logic; all fields are required.
type Service struct {
	DB   *db.DB
	Jobs *jobs.Client
	// Portals calls the portal: the tabs an admin turns on or off, the
	// health panel's bindings and offline queue.
	Portals *portal.Clients
	// BaseURL is Trail's public address, under which handlers are bound.
	BaseURL string
}
