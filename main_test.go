package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// Nothing can be deployed from here, so these tests hold fly.toml and the
// Dockerfile to what the binary actually offers.

type flyConfig struct {
	Deploy struct {
		ReleaseCommand string `toml:"release_command"`
	} `toml:"deploy"`
	Processes   map[string]string `toml:"processes"`
	KillSignal  string            `toml:"kill_signal"`
	HTTPService struct {
		Processes    []string `toml:"processes"`
		InternalPort int      `toml:"internal_port"`
		Checks       []struct {
			Path   string `toml:"path"`
			Method string `toml:"method"`
		} `toml:"checks"`
	} `toml:"http_service"`
	Env     map[string]string `toml:"env"`
	Metrics struct {
		Port int    `toml:"port"`
		Path string `toml:"path"`
	} `toml:"metrics"`
}

func TestFlyConfig(t *testing.T) {
	b, err := os.ReadFile("fly.toml")
	if err != nil {
		t.Fatal(err)
	}
	var fc flyConfig
	if err := toml.Unmarshal(b, &fc); err != nil {
		t.Fatalf("fly.toml does not parse: %v", err)
	}
	if got := fc.Processes["web"]; got != "/app/trail serve" {
		t.Errorf("web process = %q, want /app/trail serve", got)
	}
	if got := fc.Processes["worker"]; got != "/app/trail work" {
		t.Errorf("worker process = %q, want /app/trail work", got)
	}
	if fc.Deploy.ReleaseCommand != "/app/trail migrate" {
		t.Errorf("release_command = %q, want /app/trail migrate", fc.Deploy.ReleaseCommand)
	}
	if len(fc.HTTPService.Processes) != 1 || fc.HTTPService.Processes[0] != "web" {
		t.Errorf("http_service.processes = %v, want [web]", fc.HTTPService.Processes)
	}
	if fc.HTTPService.InternalPort != 8080 || fc.Env["PORT"] != "8080" {
		t.Errorf("internal_port %d and PORT %q must agree on 8080", fc.HTTPService.InternalPort, fc.Env["PORT"])
	}
	if len(fc.HTTPService.Checks) == 0 || fc.HTTPService.Checks[0].Path != "/readyz" {
		t.Errorf("http checks = %+v, want a check on /readyz", fc.HTTPService.Checks)
	}
	// Metrics are scraped on the private port only.
	if fc.Metrics.Path != "/metrics" || fc.Metrics.Port == 0 || fc.Env["METRICS_PORT"] != strconv.Itoa(fc.Metrics.Port) {
		t.Errorf("[metrics] %+v and METRICS_PORT %q must agree on one port", fc.Metrics, fc.Env["METRICS_PORT"])
	}
	if fc.Metrics.Port == fc.HTTPService.InternalPort {
		t.Errorf("metrics port %d is the public port", fc.Metrics.Port)
	}
	if fc.KillSignal != "SIGTERM" {
		t.Errorf("kill_signal = %q, want SIGTERM (the binary shuts down gracefully on it)", fc.KillSignal)
	}
	// Every command fly runs must be a real subcommand.
	cmds := []string{fc.Deploy.ReleaseCommand}
	for _, c := range fc.Processes {
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		assertSubcommand(t, "fly.toml", strings.Fields(c))
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^CMD \["([^"]+)", "([^"]+)"\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal("Dockerfile has no exec-form CMD")
	}
	if string(m[1]) != "/app/trail" {
		t.Errorf("CMD runs %q, want /app/trail", m[1])
	}
	assertSubcommand(t, "Dockerfile", []string{string(m[1]), string(m[2])})
	if !regexp.MustCompile(`(?m)^USER \d+`).Match(b) {
		t.Error("the runtime image must run as a numeric non-root user")
	}
	if !strings.Contains(string(b), "CGO_ENABLED=0") {
		t.Error("the binary must be built without cgo for the scratch image")
	}
}

// assertSubcommand checks that run knows the command: it must not answer
// "unknown command". Long-running commands are started with a config that
// fails fast (no environment), which proves they were recognised.
func assertSubcommand(t *testing.T, where string, argv []string) {
	t.Helper()
	if len(argv) < 2 || argv[0] != "/app/trail" {
		t.Errorf("%s: %q does not run /app/trail <command>", where, argv)
		return
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), argv[1:], func(string) string { return "" }, &out, &errb)
	if err != nil && strings.Contains(err.Error(), "unknown command") {
		t.Errorf("%s: %q is not a trail subcommand", where, argv[1])
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, os.Getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command error = %v", err)
	}
	if err := run(context.Background(), nil, os.Getenv, &out, &errb); err == nil {
		t.Fatal("no command must fail")
	}
	out.Reset()
	if err := run(context.Background(), []string{"version"}, os.Getenv, &out, &errb); err != nil || !strings.HasPrefix(out.String(), "trail ") {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
}

func TestServeNeedsConfig(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://u@localhost/db", "BASE_URL": "https://trail.example"}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "B24_CLIENT_ID is required") {
		t.Fatalf("serve without B24_CLIENT_ID: %v", err)
	}
}
