package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Retention bounds, as the portal_settings check constraint has them.
const (
	MinRetention = 1
	MaxRetention = 36500
)

// placementTimeout bounds the portal calls a save makes while the admin
// waits; setup binds the rest later if the portal is slow.
const placementTimeout = 10 * time.Second

// Tracking is what the tracking form chooses.
type Tracking struct {
	Types         []crm.Type // recorded
	Tabs          []crm.Type // showing the History tab
	RetentionDays int
}

// Saved says what a saved tracking form set going.
type Saved int

const (
	// SavedOnly: the settings are stored and the tabs are as chosen.
	SavedOnly Saved = iota
	// SavedSetup: a type was turned on; setup binds its events and tabs and
	// copies its records.
	SavedSetup
	// SavedTabsLater: the settings are stored, but the portal could not be
	// asked to change the tabs now; the next setup does.
	SavedTabsLater
)

// ErrRetention: the retention is outside MinRetention..MaxRetention.
var ErrRetention = errors.New("admin: retention out of range")

// ErrUnknownType: a type the portal does not have (or a deleted smart
// process) was chosen.
var ErrUnknownType = errors.New("admin: not a type of the portal")

// SaveTracking stores which CRM types are recorded, which show a tab and
// how long history is kept. The drain reads the settings on every round,
// so recording starts or stops for new events at once.
//
// When a type is turned on, its events must be bound and its baseline
// copied: the settings and a setup job commit in one transaction, and
// setup (which also syncs the tabs, after the events) does the portal
// work. Otherwise the tabs are bound or unbound right here through the
// portal client, so the admin sees the result in the answer. Never both at
// once: two placement syncs racing would bind a tab twice. Events of a
// type turned off stay bound: the drain skips them, and turning the type
// on again needs no new binding.
func (s *Service) SaveTracking(ctx context.Context, in *db.Installation, t Tracking) (Saved, error) {
	if t.RetentionDays < MinRetention || t.RetentionDays > MaxRetention {
		return SavedOnly, ErrRetention
	}
	setup := false
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		found, err := db.FoundTypes(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		if !portalHas(found, t.Types) || !portalHas(found, t.Tabs) {
			return ErrUnknownType
		}
		setup = slices.ContainsFunc(t.Types, func(c crm.Type) bool { return !set.Tracks(c) })
		set.Entities, set.Tabs, set.RetentionDays = t.Types, t.Tabs, t.RetentionDays
		if err := db.SaveSettings(ctx, tx, set); err != nil {
			return err
		}
		if !setup || in.Status != db.StatusActive {
			return nil // (without access setup would be skipped; restoring access enqueues it)
		}
		return jobs.EnqueueSetup(ctx, tx, s.Jobs, in.ID)
	})
	switch {
	case err != nil:
		return SavedOnly, err
	case setup:
		return SavedSetup, nil
	case s.syncTabs(ctx, in, t.Tabs) != nil:
		return SavedTabsLater, nil
	}
	return SavedOnly, nil
}

// portalHas reports whether every one of types is a type of the portal
// that it has not deleted.
func portalHas(found []db.FoundType, types []crm.Type) bool {
	all := db.PortalTypes(found)
	for _, t := range types {
		if f, ok := db.Found(found, t); !slices.Contains(all, t) || ok && f.Deleted {
			return false
		}
	}
	return true
}

// syncTabs binds and unbinds the CRM tabs through the portal client.
func (s *Service) syncTabs(ctx context.Context, in *db.Installation, tabs []crm.Type) error {
	if in.Status != db.StatusActive {
		return ErrNoAccess
	}
	client, err := s.Portals.For(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, placementTimeout)
	defer cancel()
	return jobs.SyncPlacements(ctx, client, s.BaseURL, tabs)
}

// FieldChoices are the fields of t an admin can choose from: those the
// portal's stored field list names, less the system fields Trail never
// records anyway, by title. It returns nil when the field list was not read
// yet (or cannot be read until setup reads it again).
func (s *Service) FieldChoices(ctx context.Context, portalID int64, t crm.Type) ([]history.Field, error) {
	raw, err := db.LoadMeta(ctx, s.DB.Bun, portalID, db.MetaFields(t))
	if err != nil || raw == nil {
		return nil, err
	}
	schema, err := history.ParseFields(raw)
	if err != nil {
		return nil, nil
	}
	var out []history.Field
	for code, f := range schema.Fields {
		if history.IsSystemField(code) {
			continue
		}
		f.Name = code
		if f.Title == "" {
			f.Title = code
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b history.Field) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// ErrNoFieldList: the portal's fields of the type were not read yet.
var ErrNoFieldList = errors.New("admin: field list not read yet")

// UnknownFieldError names a posted field the portal's field list lacks.
type UnknownFieldError struct{ Code string }

func (e *UnknownFieldError) Error() string { return fmt.Sprintf("admin: unknown field %q", e.Code) }

// SaveFields stores which fields of t are recorded: the fields in tracked
// are, every other known field is ignored. Only fields the portal's field
// list names are accepted. It returns how many fields there are.
func (s *Service) SaveFields(ctx context.Context, portalID int64, t crm.Type, tracked []string) (known int, err error) {
	fields, err := s.FieldChoices(ctx, portalID, t)
	if err != nil {
		return 0, err
	}
	if fields == nil {
		return 0, ErrNoFieldList
	}
	codes := make(map[string]bool, len(fields))
	for _, f := range fields {
		codes[f.Name] = true
	}
	for _, f := range tracked {
		if !codes[f] {
			return 0, &UnknownFieldError{Code: f}
		}
	}
	ignored := []string{}
	for _, f := range fields {
		if !slices.Contains(tracked, f.Name) {
			ignored = append(ignored, f.Name)
		}
	}
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		set, err := db.LoadSettings(ctx, tx, portalID)
		if err != nil {
			return err
		}
		set.SetIgnored(t, ignored)
		return db.SaveSettings(ctx, tx, set)
	})
	return len(fields), err
}
