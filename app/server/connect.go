package server

import (
	"context"
	"log/slog"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Connect registers a local integration (incoming + outgoing webhook) as
// an installation: `trail connect`.
func Connect(ctx context.Context, cfg *config.Config, log *slog.Logger, w lifecycle.Webhook) (*db.Installation, error) {
	d, err := openDB(ctx, cfg, 4)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	rc, err := jobs.NewClient(jobs.Deps{DB: d, Log: log}, jobs.Options{})
	if err != nil {
		return nil, err
	}
	lc := &lifecycle.Service{DB: d, Keys: cfg.Keys, Jobs: rc, Log: log}
	return lc.ConnectWebhook(ctx, w, b24.Options{HTTPClient: portal.HTTPClient(cfg.Env == config.Development)})
}
