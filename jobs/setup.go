package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/bindings"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// SetupArgs binds events and placements, reads field metadata and starts the
// baseline sync of a freshly installed portal. Rerun marks the setup asked
// for while another ran (see EnqueueSetup).
type SetupArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
	Rerun    bool  `json:"rerun,omitempty" river:"unique"`
	// Hint marks a setup asked for by a type or field event
	// (EnqueueSetupSoon).
	Hint bool `json:"hint,omitempty" river:"unique"`
}

// setupRerunDelay is how long a rerun waits before its first try; it waits
// longer (snoozes) while the setup it follows still runs.
const setupRerunDelay = 5 * time.Second

// EnqueueSetup asks in tx for a setup of the portal. A setup that is
// already running may have read the installation and settings before tx
// changed them (a reinstall, a type turned on), and River skips a copy of a
// running job, so then a rerun is enqueued to run after it.
func EnqueueSetup(ctx context.Context, tx db.Tx, rc *Client, portalID int64) error {
	return tx.Pgx(func(ptx pgx.Tx) error {
		res, err := rc.InsertTx(ctx, ptx, SetupArgs{PortalID: portalID}, nil)
		if err != nil {
			return fmt.Errorf("enqueue setup: %w", err)
		}
		if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
			return nil
		}
		_, err = rc.InsertTx(ctx, ptx, SetupArgs{PortalID: portalID, Rerun: true}, &river.InsertOpts{ScheduledAt: time.Now().Add(setupRerunDelay)})
		if err != nil {
			return fmt.Errorf("enqueue a setup rerun: %w", err)
		}
		return nil
	})
}

// typeEventDelay is how long a setup asked for by a type or field event
// waits: a burst of such events (an admin building a smart process, or
// anyone replaying them with the portal's application token) makes one
// setup, and at most one every typeEventDelay, so the portal's rate limit
// stays for its records.
const typeEventDelay = 10 * time.Second

// EnqueueSetupSoon asks in tx for a setup of the portal typeEventDelay from
// now, unless one is already waiting to start. One that is running may
// have read the portal before the change the event tells of, so then the
// other of two otherwise equal jobs is asked for.
func EnqueueSetupSoon(ctx context.Context, tx db.Tx, rc *Client, portalID int64) error {
	return tx.Pgx(func(ptx pgx.Tx) error {
		opts := &river.InsertOpts{ScheduledAt: time.Now().Add(typeEventDelay)}
		for _, rerun := range []bool{false, true} {
			res, err := rc.InsertTx(ctx, ptx, SetupArgs{PortalID: portalID, Hint: true, Rerun: rerun}, opts)
			if err != nil {
				return fmt.Errorf("enqueue setup: %w", err)
			}
			if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
				return nil
			}
		}
		return nil
	})
}

func (SetupArgs) Kind() string { return "setup_portal" }

func (SetupArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueSync) }

// SetupWorker makes a portal ready: event bindings (online for speed,
// offline as the durable queue), the CRM tabs, field metadata, then the
// baseline sync. Every step checks what exists first, so a rerun (after a
// failure, an app update or a settings change) binds nothing twice.
type SetupWorker struct {
	river.WorkerDefaults[SetupArgs]
	Deps
}

func (w *SetupWorker) Work(ctx context.Context, job *river.Job[SetupArgs]) error {
	// Two setups of a portal at once would bind the same things twice.
	busy, err := otherSetupRunning(ctx, w.DB.Bun, job.ID, job.Args.PortalID)
	if err != nil {
		return err
	}
	if busy {
		return river.JobSnooze(setupRerunDelay)
	}
	in, c, err := w.callable(ctx, job.Args.PortalID)
	if err != nil {
		return w.outcome(ctx, in, err)
	}
	if err := w.findTypes(ctx, c, in.ID); err != nil {
		return w.outcome(ctx, in, fmt.Errorf("find types: %w", err))
	}
	set, err := db.LoadSettings(ctx, w.DB.Bun, in.ID)
	if err != nil {
		return err
	}
	// A local integration's webhook cannot bind events or placements (the
	// portal wants an application context); its admin points an outgoing
	// webhook at /bitrix/events instead, and reconciliation covers the rest.
	if in.AuthMode.Binds() {
		if err := w.bindEvents(ctx, c, set); err != nil {
			return w.outcome(ctx, in, fmt.Errorf("bind events: %w", err))
		}
		if err := SyncPlacements(ctx, c, w.BaseURL.String(), set.TabTypes()); err != nil {
			return w.outcome(ctx, in, fmt.Errorf("bind placements: %w", err))
		}
	}
	if err := w.readMeta(ctx, c, in.ID); err != nil {
		return w.outcome(ctx, in, fmt.Errorf("read metadata: %w", err))
	}
	var syncs []river.JobArgs
	for _, e := range set.Tracked() {
		syncs = append(syncs, SyncArgs{PortalID: in.ID, Entity: e})
	}
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		return Enqueue(ctx, tx, river.ClientFromContext[pgx.Tx](ctx), syncs...)
	})
}

func (w *SetupWorker) bindEvents(ctx context.Context, c *b24.Client, set *db.Settings) error {
	have, err := c.EventHandlers(ctx)
	if err != nil {
		return err
	}
	var b b24.Batch
	for i, h := range bindings.MissingEvents(bindings.WantedEvents(w.BaseURL.String(), set.Tracked()), have) {
		p := b24.Params{"event": h.Event}
		if h.Offline {
			p["event_type"] = "offline"
		} else {
			p["handler"] = h.Handler
		}
		if h.Event == "ONOFFLINEEVENT" {
			p["options"] = b24.Params{"minTimeout": 1}
		}
		b.Add(fmt.Sprintf("bind%d", i), "event.bind", p)
	}
	return runBatch(ctx, c, &b)
}

// SyncPlacements binds the detail tab of every type in tabs and unbinds
// Trail's tab from the others; settings call it when an admin turns tabs on
// or off.
func SyncPlacements(ctx context.Context, c *b24.Client, baseURL string, tabs []crm.Type) error {
	have, err := c.Placements(ctx)
	if err != nil {
		return err
	}
	handler := baseURL + bindings.Tab
	bind, unbind := bindings.Placements(baseURL, tabs, have)
	var b b24.Batch
	for _, t := range bind {
		b.Add("bind_"+t.String(), "placement.bind", b24.Params{
			"PLACEMENT": t.DetailTab(), "HANDLER": handler, "TITLE": "History",
			"LANG_ALL": b24.Params{
				"en": b24.Params{"TITLE": "History"},
				"ru": b24.Params{"TITLE": "История"},
			},
		})
	}
	for _, t := range unbind {
		b.Add("unbind_"+t.String(), "placement.unbind", b24.Params{"PLACEMENT": t.DetailTab(), "HANDLER": handler})
	}
	return runBatch(ctx, c, &b)
}

// runBatch runs b and fails if any command failed.
func runBatch(ctx context.Context, c *b24.Client, b *b24.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	res, err := c.Batch(ctx, b)
	if err != nil {
		return err
	}
	return res.Err()
}

// readMeta stores what the tab needs to speak the portal's language: each
// entity's fields (titles, enumeration labels) and pipelines, stage and
// status names, currencies, and the users (names, photos). Everything but
// the users comes in one batch request.
func (w *SetupWorker) readMeta(ctx context.Context, c *b24.Client, portalID int64) error {
	// Each command's answer is kept as a portal_meta kind; the optional
	// ones only name IDs: without them the tab shows the ID, and the list
	// stored before (if any) stays.
	found, err := db.FoundTypes(ctx, w.DB.Bun, portalID)
	if err != nil {
		return err
	}
	var b b24.Batch
	kinds := map[string]string{"statuses": db.MetaStatuses, "currencies": db.MetaCurrencies}
	optional := map[string]bool{"currencies": true}
	items := map[string]bool{} // crm.item.fields answers, stored in the legacy form
	for _, e := range db.PortalTypes(found) {
		if f, ok := db.Found(found, e); ok && f.Deleted {
			continue // its fields stay as last read
		}
		name := "fields_" + e.String()
		if e.Legacy() {
			b.Add(name, e.Method("fields"), nil)
		} else {
			b.Add(name, "crm.item.fields", b24.Params{"entityTypeId": int(e), "useOriginalUfNames": "Y"})
			items[name] = true
		}
		kinds[name] = db.MetaFields(e)
		if hasPipelines(e) {
			name := "categories_" + e.String()
			b.Add(name, "crm.category.list", b24.Params{"entityTypeId": int(e)})
			kinds[name], optional[name] = db.MetaCategories(e), true
		}
	}
	b.Add("statuses", "crm.status.list", nil)
	b.Add("currencies", "crm.currency.list", nil)
	res, err := c.Batch(ctx, &b)
	if err != nil {
		return err
	}
	meta := map[string]json.RawMessage{}
	for _, name := range res.Names() {
		raw, err := res.Result(name)
		if err == nil && items[name] {
			raw, err = history.ItemFields(raw)
		}
		switch {
		case err == nil:
			meta[kinds[name]] = raw
		case optional[name]:
			continue
		default:
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	users, err := collect(ctx, c.List(ctx, b24.ListOptions{Method: "user.get", Offset: true,
		Params: b24.Params{"ADMIN_MODE": "true"}}))
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	meta[db.MetaUsers] = users
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		for kind, raw := range meta {
			if err := db.SaveMeta(ctx, tx, portalID, kind, raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// hasPipelines reports whether t's records have pipelines (CATEGORY_ID):
// deals, contacts, companies, smart invoices and smart processes (those
// with pipelines switched off answer an error, which readMeta passes
// over); leads and estimates have none
// (https://apidocs.bitrix24.com/api-reference/crm/universal/category/crm-category-list.html).
func hasPipelines(t crm.Type) bool {
	return t == crm.Deal || t == crm.Contact || t == crm.Company || t.DynamicItem()
}

// collect gathers a listing into one JSON array (small lists only).
func collect(ctx context.Context, seq func(func(json.RawMessage, error) bool)) (json.RawMessage, error) {
	out := []json.RawMessage{}
	for row, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return json.Marshal(out)
}
