package admin

import (
	"context"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/installtest"
	"github.com/trailhq/trail/db"
)

const baseURL = installtest.BaseURL

// fixture is Trail installed on an emulated portal, with a Service over it.
type fixture struct {
	*installtest.Env
	svc    *Service
	db     *db.DB
	portal *b24test.Portal
	in     *db.Installation
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := installtest.New(t)
	in := env.Install(t, 0)
	return &fixture{
		Env: env, svc: &Service{DB: env.DB, Jobs: env.Jobs, Portals: env.Clients, BaseURL: baseURL},
		db: env.DB, portal: env.Portal(0), in: in,
	}
}

// settings are the portal's stored settings.
func (f *fixture) settings(t *testing.T) *db.Settings {
	t.Helper()
	set, err := db.LoadSettings(context.Background(), f.db.Bun, f.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
