package config

import (
	"strings"
	"testing"
	"time"
)

const goodKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func full() map[string]string {
	return map[string]string{
		"DATABASE_URL":      "postgres://trail:pw@db:5432/trail",
		"BASE_URL":          "https://trail.example.com/",
		"B24_CLIENT_ID":     "local.abc",
		"B24_CLIENT_SECRET": "s3cret",
		"ENCRYPTION_KEY":    goodKey,
	}
}

func TestLoadValid(t *testing.T) {
	c, err := Load(env(full()), Needs{Database: true, App: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.BaseURL.String() != "https://trail.example.com" || c.Env != Production || c.LogFormat != "json" {
		t.Errorf("defaults: port %d base %q env %q log %q", c.Port, c.BaseURL, c.Env, c.LogFormat)
	}
	if c.DirectDatabaseURL != c.DatabaseURL {
		t.Errorf("DIRECT_DATABASE_URL should default to DATABASE_URL")
	}
	if c.MetricsPort != 0 || c.ClientIPHeader != "" || c.AdminRecheck != DefaultAdminRecheck {
		t.Errorf("defaults: metrics port %d, client ip header %q, admin recheck %v", c.MetricsPort, c.ClientIPHeader, c.AdminRecheck)
	}
}

// DIRECT_DATABASE_URL apart from DATABASE_URL says the latter goes through
// a pooler in transaction mode.
func TestLoadPooled(t *testing.T) {
	kv := full()
	c, err := Load(env(kv), Needs{Database: true})
	if err != nil || c.Pooled() {
		t.Fatalf("without DIRECT_DATABASE_URL: pooled %v, %v", c != nil && c.Pooled(), err)
	}
	kv["DATABASE_URL"], kv["DIRECT_DATABASE_URL"] = "postgres://trail:pw@pgbouncer:6432/trail", "postgres://trail:pw@db:5432/trail"
	c, err = Load(env(kv), Needs{Database: true})
	if err != nil || !c.Pooled() || c.DirectDatabaseURL != kv["DIRECT_DATABASE_URL"] {
		t.Fatalf("with DIRECT_DATABASE_URL: %+v, %v", c, err)
	}
}

func TestLoadPrivateMetricsAndProxy(t *testing.T) {
	kv := full()
	kv["METRICS_PORT"], kv["CLIENT_IP_HEADER"], kv["ADMIN_RECHECK"] = "9091", "Fly-Client-IP", "2m"
	kv["B24_OPERATING_BUDGET"] = "96s"
	c, err := Load(env(kv), Needs{Database: true, App: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsPort != 9091 || c.ClientIPHeader != "Fly-Client-IP" || c.AdminRecheck != 2*time.Minute || c.OperatingBudget != 96*time.Second {
		t.Errorf("metrics port %d, client ip header %q, admin recheck %v, operating budget %v", c.MetricsPort, c.ClientIPHeader, c.AdminRecheck, c.OperatingBudget)
	}
}

func TestLoadDevelopmentDefaults(t *testing.T) {
	kv := full()
	delete(kv, "BASE_URL")
	kv["APP_ENV"] = "development"
	kv["PORT"] = "9000"
	c, err := Load(env(kv), Needs{Database: true, App: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL.String() != "http://localhost:9000" || c.LogFormat != "text" {
		t.Errorf("dev defaults: base %q log %q", c.BaseURL, c.LogFormat)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  map[string]string
		needs   Needs
		wantVar string
		want    string
	}{
		{"missing database", map[string]string{"DATABASE_URL": ""}, Needs{Database: true}, "DATABASE_URL", "is required"},
		{"mysql url", map[string]string{"DATABASE_URL": "mysql://x@y/z"}, Needs{Database: true}, "DATABASE_URL", "is malformed"},
		{"direct url", map[string]string{"DIRECT_DATABASE_URL": "pgbouncer:6432"}, Needs{Database: true}, "DIRECT_DATABASE_URL", "is malformed"},
		{"direct url parameter", map[string]string{"DIRECT_DATABASE_URL": "postgres://trail:pw@db:5432/trail?sslmode=sometimes"}, Needs{Database: true}, "DIRECT_DATABASE_URL", "driver refuses"},
		{"pooled url exec mode", map[string]string{"DATABASE_URL": "postgres://trail:pw@db:6432/trail?default_query_exec_mode=fast"}, Needs{Database: true}, "DATABASE_URL", "driver refuses"},
		{"port text", map[string]string{"PORT": "eighty"}, Needs{}, "PORT", "whole number from 1 to 65535"},
		{"port range", map[string]string{"PORT": "70000"}, Needs{}, "PORT", "whole number"},
		{"base url relative", map[string]string{"BASE_URL": "trail.example.com"}, Needs{App: true}, "BASE_URL", "absolute http(s) URL"},
		{"base url missing in production", map[string]string{"BASE_URL": ""}, Needs{App: true}, "BASE_URL", "is required"},
		{"client id", map[string]string{"B24_CLIENT_ID": ""}, Needs{App: true}, "B24_CLIENT_ID", "is required"},
		{"client secret", map[string]string{"B24_CLIENT_SECRET": " "}, Needs{App: true}, "B24_CLIENT_SECRET", "is required"},
		{"key missing", map[string]string{"ENCRYPTION_KEY": ""}, Needs{App: true}, "ENCRYPTION_KEY", "is required"},
		{"key short", map[string]string{"ENCRYPTION_KEY": "c2hvcnQ="}, Needs{App: true}, "ENCRYPTION_KEY", "want 32"},
		{"key second without id", map[string]string{"ENCRYPTION_KEY": "k1:" + goodKey + "," + goodKey}, Needs{App: true}, "ENCRYPTION_KEY", "has no id"},
		{"env unknown", map[string]string{"APP_ENV": "staging"}, Needs{}, "APP_ENV", "expected one of development, production"},
		{"log format", map[string]string{"LOG_FORMAT": "xml"}, Needs{}, "LOG_FORMAT", "expected one of json, text"},
		{"shutdown timeout", map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, Needs{}, "SHUTDOWN_TIMEOUT", "positive duration"},
		{"metrics on the public port", map[string]string{"PORT": "8080", "METRICS_PORT": "8080"}, Needs{}, "METRICS_PORT", "must differ from PORT"},
		{"admin recheck too long", map[string]string{"ADMIN_RECHECK": "1h"}, Needs{}, "ADMIN_RECHECK", "at most 15m"},
		{"client ip header", map[string]string{"CLIENT_IP_HEADER": "Fly Client IP"}, Needs{}, "CLIENT_IP_HEADER", "HTTP header name"},
		{"operating budget", map[string]string{"B24_OPERATING_BUDGET": "-1s"}, Needs{}, "B24_OPERATING_BUDGET", "positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := full()
			for k, v := range tt.change {
				kv[k] = v
			}
			_, err := Load(env(kv), tt.needs)
			cerr, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v, want *Error", err)
			}
			if cerr.Var != tt.wantVar || !strings.Contains(cerr.Error(), tt.want) {
				t.Errorf("err = %q, want variable %s and %q", cerr, tt.wantVar, tt.want)
			}
			if strings.Contains(cerr.Error(), "\n") {
				t.Errorf("error must be one line: %q", cerr)
			}
		})
	}
}

func TestErrorsNeverEchoSecrets(t *testing.T) {
	kv := full()
	kv["DATABASE_URL"] = "mysql://user:hunter2@db/x"
	_, err := Load(env(kv), Needs{Database: true})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error must not echo the URL: %v", err)
	}
	kv = full()
	kv["ENCRYPTION_KEY"] = "dG9vc2hvcnRzZWNyZXQ="
	_, err = Load(env(kv), Needs{App: true})
	if err == nil || strings.Contains(err.Error(), "dG9vc2hvcnRzZWNyZXQ=") {
		t.Fatalf("error must not echo the key: %v", err)
	}
}
