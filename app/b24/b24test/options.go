package b24test

import (
	"net/http"
	"time"
)

// Options configure a Server. The zero value is a usable single-portal
// emulator with a small data set, Bitrix24's standard limits and no
// simulated cost, which is what unit tests want.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// Portals is how many portals to create; default 1.
	Portals int
	// Deals, Leads, Contacts and Companies are the generated record counts
	// per portal; default 0 (an empty CRM).
	Deals, Leads, Contacts, Companies int
	// Quotes and SmartInvoices are the generated estimates (entityTypeId 7)
	// and smart invoices (31) per portal; default 0.
	Quotes, SmartInvoices int
	// SmartProcesses is how many smart processes each portal has at start,
	// each with SmartProcessItems generated items; default 0.
	SmartProcesses, SmartProcessItems int
	// Seed makes the generated data (names, stages, amounts, dates, webhook
	// secrets, member ids) reproducible.
	Seed int64
	// Limits are the per-portal rate and operating limits; zero fields take
	// the standard plan's values.
	Limits Limits
	// Cost is the simulated server cost; the zero value costs nothing.
	Cost Cost
	// Now is the clock; default time.Now. Limits, token lifetimes, the time
	// block and event timestamps read it, so tests can move time by hand.
	Now func() time.Time
	// TokenLifetime is the access-token lifetime; default one hour.
	TokenLifetime time.Duration
	// EventTimeout bounds one event delivery; default 5 s.
	EventTimeout time.Duration
	// EventWorkers is the number of concurrent event senders; default 4.
	EventWorkers int
	// Plan is every portal's plan at start (Portal.SetPlan changes one);
	// default PlanProfessional, which has every REST feature, so that
	// reservation and auth_connector work unless a test takes them away.
	Plan Plan
	// App registers the application at start, as RegisterApp would.
	App *App
	// Pages, when set, serves every portal-host request that is not REST
	// or OAuth instead of the emulator's own portal pages.
	// PortalFromContext gives it the portal.
	Pages http.Handler
	// Language is every portal's language at start (Portal.SetLanguage
	// changes one), one of Languages; default DefaultLanguage.
	Language string
	// TimeZone, an IANA zone, is every portal's time zone; default ""
	// gives the portals different UTC offsets.
	TimeZone string
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Portals <= 0 {
		o.Portals = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.EventTimeout <= 0 {
		o.EventTimeout = 5 * time.Second
	}
	if o.EventWorkers <= 0 {
		o.EventWorkers = 4
	}
	if o.Language == "" {
		o.Language = DefaultLanguage
	}
	if o.Plan == "" {
		o.Plan = PlanProfessional
	}
	o.Limits = o.Limits.withDefaults()
	return o
}
