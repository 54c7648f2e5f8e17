// Package config turns environment variables into a validated Config. Every
// problem is reported as one line naming the variable and what it expects.
package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/secret"
)

// Env names the deployment flavour.
type Env string

const (
	Development Env = "development"
	Production  Env = "production"
)

// Config is everything Trail reads from its environment.
type Config struct {
	Env               Env
	DatabaseURL       string // pooled connection (web, jobs)
	DirectDatabaseURL string // direct connection for migrations and River's listener; defaults to DatabaseURL
	Port              int
	BaseURL           *url.URL // public address Bitrix24 calls and frames
	ClientID          string
	ClientSecret      string
	Keys              *secret.KeyRing // seals tokens at rest (ENCRYPTION_KEY)
	OAuthURL          string          // Bitrix24 OAuth server root; tokens are confirmed and refreshed only there
	OperatorPassword  string          // River UI basic auth; empty turns the UI off
	APILogRetention   time.Duration
	LogFormat         string // "json" or "text"
	LogLevel          string
	BodyLimit         int // bytes a request body may hold
	ShutdownTimeout   time.Duration
	DBMaxConns        int32
	// WorkerID names this process's job client, stable across its restarts
	// (WORKER_ID, else Fly's FLY_MACHINE_ID): a restarted worker takes back
	// at once the jobs its killed predecessor left running. Empty: random.
	WorkerID string
	// MetricsPort, when set, serves /metrics on its own port, in every
	// process kind; the public PORT never serves it.
	MetricsPort int
	// ClientIPHeader names the request header in which the proxy in front
	// of Trail puts the client's address (Fly.io: Fly-Client-IP). Empty: the
	// connection's peer address. Per-address throttling keys on it, so it
	// must be a header the proxy sets itself, never one passed through.
	ClientIPHeader string
	// AdminRecheck is how long a session's administrator flag holds before
	// settings need it confirmed by Bitrix24 again (ADMIN_RECHECK).
	AdminRecheck time.Duration
	// OperatingBudget is the execution time a Bitrix24 method may use per
	// window (B24_OPERATING_BUDGET); zero means the cloud's own. Only an
	// emulator with its budget scaled down needs another.
	OperatingBudget time.Duration
}

// DefaultAdminRecheck is AdminRecheck unless configured.
const DefaultAdminRecheck = 5 * time.Minute

// TokenURL is the OAuth server's token endpoint.
func (c *Config) TokenURL() string { return c.OAuthURL + "/oauth/token/" }

// Error is a configuration problem with one variable.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return "config: " + e.Var + " " + e.Reason }

// Needs says which optional groups of variables a subcommand requires.
type Needs struct {
	Database bool // DATABASE_URL
	App      bool // B24_CLIENT_ID, B24_CLIENT_SECRET, ENCRYPTION_KEY, BASE_URL
}

// Pooled reports whether DATABASE_URL goes through a pooler in transaction
// mode, which a DIRECT_DATABASE_URL of its own says: that pool then keeps
// no session state, and what needs a session (migrations' advisory lock,
// River's LISTEN) takes the direct URL.
func (c *Config) Pooled() bool { return c.DirectDatabaseURL != c.DatabaseURL }

// Load reads and validates the environment through getenv. It returns the
// first problem found, so the program stops with one clear line.
func Load(getenv func(string) string, needs Needs) (*Config, error) {
	p := parser{getenv: getenv}
	c := &Config{}
	c.Env = Env(p.oneOf("APP_ENV", string(Production), string(Development), string(Production)))
	dev := c.Env == Development
	c.DatabaseURL = p.postgresURL("DATABASE_URL", needs.Database)
	c.DirectDatabaseURL = p.postgresURL("DIRECT_DATABASE_URL", false)
	if c.DirectDatabaseURL == "" {
		c.DirectDatabaseURL = c.DatabaseURL
	}
	c.Port = p.intIn("PORT", 8080, 1, 65535)
	c.BaseURL = p.httpURL("BASE_URL", needs.App && !dev, "http://localhost:"+strconv.Itoa(c.Port))
	c.ClientID = p.str("B24_CLIENT_ID", needs.App, "the application's client_id from the Bitrix24 vendor account")
	c.ClientSecret = p.str("B24_CLIENT_SECRET", needs.App, "the application's client_secret from the Bitrix24 vendor account")
	c.Keys = p.keyRing("ENCRYPTION_KEY", needs.App)
	if u := p.httpURL("B24_OAUTH_URL", false, "https://oauth.bitrix.info"); u != nil {
		c.OAuthURL = u.String()
	}
	c.OperatorPassword = getenv("OPERATOR_PASSWORD")
	c.MetricsPort = p.intIn("METRICS_PORT", 0, 0, 65535)
	if c.MetricsPort == c.Port {
		p.fail("METRICS_PORT", "must differ from PORT: /metrics is served only on a private port")
	}
	c.ClientIPHeader = p.headerName("CLIENT_IP_HEADER")
	c.AdminRecheck = p.duration("ADMIN_RECHECK", DefaultAdminRecheck)
	if c.AdminRecheck > 15*time.Minute {
		p.fail("ADMIN_RECHECK", "must be at most 15m: a demoted administrator keeps the settings that long")
	}
	c.OperatingBudget = p.duration("B24_OPERATING_BUDGET", 0)
	c.WorkerID = p.get("WORKER_ID")
	if c.WorkerID == "" {
		c.WorkerID = p.get("FLY_MACHINE_ID")
	}
	c.APILogRetention = p.duration("API_LOG_RETENTION", 7*24*time.Hour)
	if c.APILogRetention < 72*time.Hour {
		p.fail("API_LOG_RETENTION", "must be at least 72h: the Bitrix24 marketplace requires three days of API logs")
	}
	defFormat := "json"
	if dev {
		defFormat = "text"
	}
	c.LogFormat = p.oneOf("LOG_FORMAT", defFormat, "json", "text")
	c.LogLevel = p.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error")
	c.BodyLimit = p.intIn("BODY_LIMIT", 1<<20, 1024, 64<<20)
	c.ShutdownTimeout = p.duration("SHUTDOWN_TIMEOUT", 25*time.Second)
	c.DBMaxConns = int32(p.intIn("DB_MAX_CONNS", 20, 2, 1000))
	if p.err != nil {
		return nil, p.err
	}
	return c, nil
}

// parser keeps the first error so Load reads as a flat list of fields.
type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) fail(name, reason string) {
	if p.err == nil {
		p.err = &Error{Var: name, Reason: reason}
	}
}

func (p *parser) get(name string) string { return strings.TrimSpace(p.getenv(name)) }

func (p *parser) str(name string, required bool, what string) string {
	v := p.get(name)
	if v == "" && required {
		p.fail(name, "is required: "+what)
	}
	return v
}

// headerName reads an optional HTTP header name.
func (p *parser) headerName(name string) string {
	v := p.get(name)
	for _, r := range v {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			p.fail(name, "must be an HTTP header name (letters, digits and dashes), e.g. Fly-Client-IP")
			break
		}
	}
	return v
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := p.get(name)
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, fmt.Sprintf("is %q; expected one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (p *parser) intIn(name string, def, lo, hi int) int {
	v := p.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Sprintf("is %q; expected a whole number from %d to %d", v, lo, hi))
		return def
	}
	return n
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, fmt.Sprintf("is %q; expected a positive duration such as 30s", v))
		return def
	}
	return d
}

func (p *parser) postgresURL(name string, required bool) string {
	v := p.get(name)
	if v == "" {
		if required {
			p.fail(name, "is required: a PostgreSQL URL such as postgres://user:pass@host:5432/trail")
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// Never echo the value: it may hold a password.
		p.fail(name, "is malformed: expected a PostgreSQL URL such as postgres://user:pass@host:5432/trail")
		return ""
	}
	if _, err := pgx.ParseConfig(v); err != nil {
		// The driver's message quotes the URL; say what to look at instead.
		p.fail(name, "has a value the PostgreSQL driver refuses: check its port and parameters (sslmode, default_query_exec_mode, ...)")
		return ""
	}
	return v
}

func (p *parser) httpURL(name string, required bool, def string) *url.URL {
	v := p.get(name)
	if v == "" {
		if required {
			p.fail(name, "is required: the public https URL of this app, e.g. https://trail.fly.dev")
			return nil
		}
		v = def
	}
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		p.fail(name, fmt.Sprintf("is %q; expected an absolute http(s) URL without query, e.g. https://trail.fly.dev", v))
		return nil
	}
	return u
}

// keyRing parses ENCRYPTION_KEY; the secret package's errors never contain
// key material, so they can be shown as they are.
func (p *parser) keyRing(name string, required bool) *secret.KeyRing {
	v := p.get(name)
	if v == "" {
		if required {
			p.fail(name, "is required: a 32-byte key, base64-encoded (e.g. `openssl rand -base64 32`), optionally as id:key pairs separated by commas")
		}
		return nil
	}
	kr, err := secret.ParseKeyRing(v)
	if err != nil {
		p.fail(name, "is malformed: "+strings.TrimPrefix(err.Error(), secret.ErrKeyRing.Error()+": "))
		return nil
	}
	return kr
}
