package b24test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// RunCommand runs the emulator as `trail emulate`: it starts a Server from
// the flags, prints one JSON line per portal (PortalInfo) on stdout, and
// serves until ctx is cancelled. It uses DefaultCost unless -cost says
// otherwise.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts       Options
		enterprise bool
		costOff    bool
		model      CostModel
		app        App
		scopes     string
		install    bool
	)
	def := StandardLimits()
	fs.StringVar(&opts.Addr, "addr", "127.0.0.1:8024", "listen `HOST:PORT`")
	opts.PortalFlags(fs, Options{Portals: 3, Deals: 1000, Leads: 500, Contacts: 800, Companies: 300, Seed: 1})
	fs.IntVar(&opts.Limits.Burst, "burst", def.Burst, "leaky bucket size (requests)")
	fs.Float64Var(&opts.Limits.Drain, "drain", def.Drain, "leaky bucket drain rate (requests per second)")
	fs.BoolVar(&enterprise, "enterprise", false, "use the Enterprise plan's limits (250, 5/s)")
	fs.DurationVar(&opts.Limits.OperatingBudget, "operating-budget", def.OperatingBudget, "execution time per method per 10 minutes")
	fs.StringVar((*string)(&opts.Plan), "plan", string(PlanProfessional), "portal `plan`: basic, standard, professional or enterprise (the first two cannot reserve offline events or pass auth_connector)")
	fs.BoolVar(&opts.Limits.Unlimited, "unlimited", false, "turn the rate and operating limits off")
	fs.BoolVar(&costOff, "cost-off", false, "simulate no server cost (same as -cost off)")
	fs.StringVar((*string)(&model), "cost", string(CostCheap), "cost `model`: cheap, realistic (calibrated on the documented page time) or off; the -cost-* flags override its figures")
	var custom Cost
	fs.DurationVar(&custom.Base, "cost-base", 0, "simulated cost per HTTP request")
	fs.DurationVar(&custom.PerCall, "cost-call", 0, "simulated cost per method call")
	fs.DurationVar(&custom.PerRow, "cost-row", 0, "simulated cost per returned row")
	fs.DurationVar(&custom.PerField, "cost-field", 0, "simulated cost per selected standard field of a returned row")
	fs.DurationVar(&custom.PerUserField, "cost-user-field", 0, "simulated cost per selected user field of a returned row")
	fs.DurationVar(&custom.PerOffsetRow, "cost-offset-row", 0, "simulated cost per row skipped to reach start")
	fs.DurationVar(&custom.PerCountedRow, "cost-count-row", 0, "simulated cost per row counted for total")
	fs.DurationVar(&opts.Limits.RequestTimeout, "request-timeout", def.RequestTimeout, "simulated processing after which a request is cut off")
	fs.DurationVar(&opts.TokenLifetime, "token-lifetime", time.Hour, "access token lifetime")
	fs.DurationVar(&opts.EventTimeout, "event-timeout", 5*time.Second, "event delivery timeout")
	fs.StringVar(&app.ClientID, "client-id", "", "application client_id (registers the app when set)")
	fs.StringVar(&app.ClientSecret, "client-secret", "", "application client_secret")
	fs.StringVar(&app.Code, "app-code", "", "application code")
	fs.StringVar(&scopes, "scopes", "crm,placement,user_brief", "application scopes, comma-separated")
	fs.StringVar(&app.AppURL, "app-url", "", "application handler base URL (main page)")
	fs.StringVar(&app.InstallURL, "install-url", "", "installer page URL (UI installation, completed by installFinish)")
	fs.StringVar(&app.InstallHandlerURL, "install-handler-url", "", "ONAPPINSTALL handler URL")
	fs.StringVar(&app.RedirectURI, "redirect-uri", "", "OAuth redirect URI (default: app URL)")
	fs.BoolVar(&install, "install", false, "install the app on every portal at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if enterprise {
		e := EnterpriseLimits()
		opts.Limits.Burst, opts.Limits.Drain = e.Burst, e.Drain
	}
	cost, ok := model.Cost()
	if !ok {
		return fmt.Errorf("emulate: unknown cost model %q", model)
	}
	if !costOff {
		opts.Cost = overrideCost(fs, cost, custom)
	}
	if app.ClientID != "" {
		app.Scopes = strings.Split(scopes, ",")
		opts.App = &app
	}
	srv, err := NewServer(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	enc := json.NewEncoder(stdout)
	for _, p := range srv.Portals() {
		if install && opts.App != nil {
			if _, err := p.Install(); err != nil {
				return fmt.Errorf("install on %s: %w", p.Domain(), err)
			}
		}
		if err := enc.Encode(p.Info()); err != nil {
			return fmt.Errorf("print portal: %w", err)
		}
	}
	fmt.Fprintf(stderr, "b24 emulator on %s (control API %s/_emulator/portals)\n", srv.URL, srv.URL)
	<-ctx.Done()
	return nil
}

// PortalFlags registers the flags that say how many portals to make and
// how much CRM data to generate in each, with the defaults of d.
func (o *Options) PortalFlags(fs *flag.FlagSet, d Options) {
	fs.IntVar(&o.Portals, "portals", d.Portals, "number of portals")
	fs.IntVar(&o.Deals, "deals", d.Deals, "generated deals per portal")
	fs.IntVar(&o.Leads, "leads", d.Leads, "generated leads per portal")
	fs.IntVar(&o.Contacts, "contacts", d.Contacts, "generated contacts per portal")
	fs.IntVar(&o.Companies, "companies", d.Companies, "generated companies per portal")
	fs.IntVar(&o.Quotes, "quotes", d.Quotes, "generated estimates per portal")
	fs.IntVar(&o.SmartInvoices, "invoices", d.SmartInvoices, "generated smart invoices per portal")
	fs.IntVar(&o.SmartProcesses, "spa", d.SmartProcesses, "smart processes per portal")
	fs.IntVar(&o.SmartProcessItems, "spa-items", d.SmartProcessItems, "generated items per smart process")
	fs.Int64Var(&o.Seed, "seed", d.Seed, "seed of the generated data")
	fs.StringVar(&o.Language, "lang", d.Language, "the portals' language: "+strings.Join(Languages, ", ")+" (default "+DefaultLanguage+")")
	fs.StringVar(&o.TimeZone, "tz", d.TimeZone, "the portals' IANA time zone (default: a different UTC offset per portal)")
}

// overrideCost takes the figures of the -cost-* flags given on the command
// line over those of the model.
func overrideCost(fs *flag.FlagSet, c, custom Cost) Cost {
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "cost-base":
			c.Base = custom.Base
		case "cost-call":
			c.PerCall = custom.PerCall
		case "cost-row":
			c.PerRow = custom.PerRow
		case "cost-field":
			c.PerField = custom.PerField
		case "cost-user-field":
			c.PerUserField = custom.PerUserField
		case "cost-offset-row":
			c.PerOffsetRow = custom.PerOffsetRow
		case "cost-count-row":
			c.PerCountedRow = custom.PerCountedRow
		}
	})
	return c
}
