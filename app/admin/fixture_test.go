package admin

import (
	"context"
	"testing"

	"github.com/trailhq/trail/app/installtest"
	"github.com/trailhq/trail/db"
)

const baseURL = installtest.BaseURL

// fixture is Trail installed on an emulated portal, with a Service over it.
type fixture struct {
	*installtest.Env
	svc *Service
	in  *db.Installation // on Portal(0)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env, in := installtest.Installed(t)
	return &fixture{Env: env, in: in, svc: &Service{DB: env.DB, Jobs: env.Jobs, Portals: env.Clients, BaseURL: baseURL}}
}

// settings are the portal's stored settings.
func (f *fixture) settings(t *testing.T) *db.Settings {
	t.Helper()
	set, err := db.LoadSettings(context.Background(), f.DB.Bun, f.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
