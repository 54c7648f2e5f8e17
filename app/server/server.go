// Package server assembles one Trail process from the configuration: the
// database pool, the River client and, depending on the mode, the HTTP server
// and the job workers. It owns start-up order and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"riverqueue.com/riverui"

	"github.com/trailhq/trail/app/apilog"
	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/app/web"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/migrations"
)

// Mode says what a process runs.
type Mode struct {
	HTTP    bool // serve web requests
	Workers bool // run background jobs
}

// Run serves until ctx is cancelled, then shuts down gracefully: stop
// accepting, finish in-flight requests, let running jobs finish (cancelling
// them when the shutdown timeout runs out). ln may be nil, to listen on the
// configured port.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger, mode Mode, ln net.Listener) error {
	d, err := openDB(ctx, cfg, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer d.Close()
	if mode.Workers && cfg.Pooled() {
		if err := d.OpenListen(ctx, cfg.DirectDatabaseURL); err != nil {
			return err
		}
	}

	m := metrics.New()
	m.WatchPool(d.Pool)

	calls := apilog.New(d, log, 10_000)
	clients := &portal.Clients{
		HTTP:     portal.HTTPClient(cfg.Env == config.Development),
		Limiter:  db.NewBucket(d),
		Pacer:    &b24.Pacer{Budget: cfg.OperatingBudget},
		Observer: b24.ObserverFunc(func(ev b24.Event) { calls.Observe(ev); m.ObserveCall(ev) }),
		Keys:     cfg.Keys,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL(),
	}
	if cfg.Keys != nil {
		clients.Tokens = db.NewTokenStore(d, cfg.Keys)
	}
	m.WatchAPILog(calls.Dropped)
	logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	logDone := make(chan struct{})
	go func() { defer close(logDone); calls.Run(logCtx) }()
	defer func() { stopLog(); <-logDone }()

	rc, err := jobs.NewClient(jobs.Deps{
		DB: d, Log: log, Clients: clients, BaseURL: cfg.BaseURL, APILogRetention: cfg.APILogRetention, Metrics: m,
	}, jobs.Options{Work: mode.Workers, Periodic: mode.Workers, ID: workerID(cfg, mode), ServesHTTP: mode.HTTP})
	if err != nil {
		return err
	}
	lc := &lifecycle.Service{DB: d, Keys: cfg.Keys, Jobs: rc, Auth: lifecycle.OAuthServer{App: clients.App()}, Portals: clients, Log: log, Metrics: m}
	waiting := func(ctx context.Context) ([]metrics.JobCount, error) { return jobs.WaitingJobs(ctx, d.Bun) }
	m.SampleDB(ctx, d.Pool, waiting, 15*time.Second, log)

	errc := make(chan error, 2)
	if mode.Workers {
		if n, err := jobs.ReclaimOrphans(ctx, d, workerID(cfg, mode)); err != nil {
			return err
		} else if n > 0 {
			log.Warn("took back jobs left running by this worker's previous run", "jobs", n)
		}
		if err := rc.Start(ctx); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		log.Info("workers started")
	}

	var httpDone chan struct{}
	var app interface {
		ShutdownWithTimeout(time.Duration) error
	}
	if mode.HTTP {
		var ui http.Handler
		if cfg.OperatorPassword != "" {
			h, err := riverui.NewHandler(&riverui.HandlerOpts{
				Endpoints: riverui.NewEndpoints(rc, nil), Logger: log, Prefix: "/ops/riverui",
			})
			if err != nil {
				return fmt.Errorf("river ui: %w", err)
			}
			if err := h.Start(ctx); err != nil {
				return fmt.Errorf("river ui: %w", err)
			}
			ui = detachContext(h)
		}
		fa := web.New(web.Deps{
			Config: cfg, Log: log, DB: d, Metrics: m, RiverUI: ui, Lifecycle: lc,
			Sessions: web.NewSessions(d), Clients: clients, Jobs: rc,
			Ready: func(ctx context.Context) error { return Ready(ctx, d) },
		})
		app = fa
		if ln == nil {
			ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
		}
		log.Info("http listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String())
		httpDone = make(chan struct{})
		go func() {
			defer close(httpDone)
			if err := fa.Listener(ln); err != nil {
				errc <- fmt.Errorf("http: %w", err)
			}
		}()
	}

	if cfg.MetricsPort > 0 {
		stopMetrics, err := serveMetrics(m, cfg.MetricsPort, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
		log.Error("stopping after failure", "err", runErr)
	}

	if app != nil {
		if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
			log.Warn("http shutdown", "err", err)
		}
		<-httpDone
	}
	if mode.Workers {
		stopJobs(rc, cfg.ShutdownTimeout, log)
	}
	return runErr
}

// openDB opens the process's pool on DATABASE_URL, in the pooler's terms
// when DIRECT_DATABASE_URL says it goes through one.
func openDB(ctx context.Context, cfg *config.Config, maxConns int32) (*db.DB, error) {
	if cfg.Pooled() {
		return db.OpenPooled(ctx, cfg.DatabaseURL, maxConns)
	}
	return db.Open(ctx, cfg.DatabaseURL, maxConns)
}

// serveMetrics serves /metrics on a port of its own, which the platform
// scrapes over its private network; the public port never serves it.
func serveMetrics(m *metrics.Metrics, port int, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server", "err", err)
		}
	}()
	return func() { _ = srv.Close() }, nil
}

// workerID is River's client ID for this process: the configured stable ID
// for a process that runs jobs, random for an insert-only web process.
func workerID(cfg *config.Config, mode Mode) string {
	if !mode.Workers {
		return ""
	}
	return cfg.WorkerID
}

// stopJobs lets running jobs finish for most of the timeout, then cancels the
// rest; River puts cancelled jobs back to be retried, so nothing is lost.
func stopJobs(rc *jobs.Client, timeout time.Duration, log *slog.Logger) {
	soft, cancel := context.WithTimeout(context.Background(), timeout*4/5)
	defer cancel()
	if err := rc.Stop(soft); err == nil {
		log.Info("workers stopped")
		return
	}
	hard, cancel2 := context.WithTimeout(context.Background(), timeout/5)
	defer cancel2()
	if err := rc.StopAndCancel(hard); err != nil {
		log.Warn("workers did not stop in time", "err", err)
	}
}

// Ready checks what /readyz promises: the database answers and the schema is
// at head. Errors are short and safe to show.
func Ready(ctx context.Context, d *db.DB) error {
	if err := d.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	pending, err := d.Pending(ctx, migrations.FS)
	if err != nil {
		return errors.New("migration status unknown")
	}
	if len(pending) > 0 {
		return fmt.Errorf("%d migrations pending", len(pending))
	}
	return nil
}

// detachContext gives a net/http handler behind Fiber's adaptor a request
// context of its own. The adaptor's context is the fasthttp request, whose
// Done races with the server's shutdown when a handler derives a context
// from it (as the River UI's API does).
func detachContext(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
	})
}
