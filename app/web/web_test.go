package web

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/static"
)

func newTestApp(t *testing.T, logs *bytes.Buffer) *fiber.App {
	t.Helper()
	app, _ := newTestAppMetrics(t, logs)
	return app
}

func newTestAppMetrics(t *testing.T, logs *bytes.Buffer) (*fiber.App, *metrics.Metrics) {
	t.Helper()
	base, _ := url.Parse("http://localhost:8080")
	m := metrics.New()
	return New(Deps{
		Config:  &config.Config{BodyLimit: 4096, BaseURL: base},
		Log:     slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics: m,
	}), m
}

func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestPanicBecomes500(t *testing.T) {
	var logs bytes.Buffer
	app := newTestApp(t, &logs)
	app.Get("/explode", func(*fiber.Ctx) error { panic("kaboom") })
	resp, body := do(t, app, httptest.NewRequest("GET", "/explode", nil))
	if resp.StatusCode != 500 || strings.Contains(body, "kaboom") {
		t.Fatalf("panic answered %d %q; want 500 without internals", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Error("the panic must be logged")
	}
	// The app keeps serving.
	if resp, _ := do(t, app, httptest.NewRequest("GET", "/healthz", nil)); resp.StatusCode != 200 {
		t.Fatalf("healthz after a panic = %d", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	app := newTestApp(t, &bytes.Buffer{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	resp, err := http.Post("http://"+ln.Addr().String()+"/", "application/x-www-form-urlencoded", strings.NewReader(strings.Repeat("x", 10_000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != fiber.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body = %d, want 413", resp.StatusCode)
	}
}

func TestRequestLogLeavesQueryOut(t *testing.T) {
	var logs bytes.Buffer
	app := newTestApp(t, &logs)
	do(t, app, httptest.NewRequest("GET", "/healthz?auth=secret-token-value", nil))
	line := logs.String()
	if !strings.Contains(line, `"path":"/healthz"`) || !strings.Contains(line, `"status":200`) || !strings.Contains(line, `"duration_ms"`) {
		t.Fatalf("request line lacks path, status or duration: %s", line)
	}
	if strings.Contains(line, "secret-token-value") {
		t.Fatalf("query string leaked into the log: %s", line)
	}
}

func TestMetricsByRoute(t *testing.T) {
	app, m := newTestAppMetrics(t, &bytes.Buffer{})
	do(t, app, httptest.NewRequest("GET", "/healthz", nil))
	do(t, app, httptest.NewRequest("GET", "/no/such/page/123", nil))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`trail_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`trail_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`trail_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "/no/such/page/123") {
		t.Error("raw paths must not become label values")
	}
	// The public app does not serve /metrics (it is on a private port).
	if resp, _ := do(t, app, httptest.NewRequest("GET", "/metrics", nil)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the public app = %d, want 404", resp.StatusCode)
	}
}

func TestStaticAssetsAreHashedAndCached(t *testing.T) {
	app := newTestApp(t, &bytes.Buffer{})
	u := static.URL("trail.css")
	if u == static.Prefix+"trail.css" || !strings.HasPrefix(u, static.Prefix+"trail.") {
		t.Fatalf("asset URL %q is not content-hashed", u)
	}
	resp, body := do(t, app, httptest.NewRequest("GET", u, nil))
	if resp.StatusCode != 200 || !strings.Contains(body, "--accent") {
		t.Fatalf("GET %s = %d", u, resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("Cache-Control = %q", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	if resp, _ := do(t, app, httptest.NewRequest("GET", static.Prefix+"trail.css", nil)); resp.StatusCode != 404 {
		t.Errorf("an unhashed name must not be served (got %d)", resp.StatusCode)
	}
}

func TestHomePage(t *testing.T) {
	app := newTestApp(t, &bytes.Buffer{})
	resp, body := do(t, app, httptest.NewRequest("GET", "/", nil))
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Trail</h1>") || !strings.Contains(body, static.URL("trail.css")) {
		t.Fatalf("home = %d %q", resp.StatusCode, body)
	}
}

func TestOperatorUIOffWithoutPassword(t *testing.T) {
	app := newTestApp(t, &bytes.Buffer{})
	resp, _ := do(t, app, httptest.NewRequest("GET", operatorPath+"/", nil))
	if resp.StatusCode != 404 {
		t.Fatalf("River UI without OPERATOR_PASSWORD = %d, want 404", resp.StatusCode)
	}
}
