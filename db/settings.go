package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
)

// Settings are what a portal's admin chose. CRM types are stored by
// entityTypeId, in the arrays and as ignored_fields' keys ("2").
type Settings struct {
	bun.BaseModel `bun:"table:portal_settings"`

	PortalID      int64               `bun:"portal_id,pk"`
	Entities      []crm.Type          `bun:"entities,array"`
	IgnoredFields map[string][]string `bun:"ignored_fields,type:jsonb"`
	Tabs          []crm.Type          `bun:"tabs,array"`
	RetentionDays int                 `bun:"retention_days"`
	UpdatedAt     time.Time           `bun:"updated_at,nullzero,default:now()"`
}

// Tracks reports whether changes of t are recorded.
func (s *Settings) Tracks(t crm.Type) bool { return slices.Contains(s.Entities, t) }

// Tracked are the types whose changes are recorded, in display order.
func (s *Settings) Tracked() []crm.Type { return inOrder(s.Entities) }

// TabTypes are the types whose records show the History tab, in display
// order.
func (s *Settings) TabTypes() []crm.Type { return inOrder(s.Tabs) }

// HasTab reports whether t's records show the History tab.
func (s *Settings) HasTab(t crm.Type) bool { return slices.Contains(s.Tabs, t) }

// Ignores reports whether an admin chose not to track field of t.
func (s *Settings) Ignores(t crm.Type, field string) bool {
	return slices.Contains(s.IgnoredFields[ignoredKey(t)], field)
}

// IgnoredOf are the fields of t an admin chose not to track.
func (s *Settings) IgnoredOf(t crm.Type) []string { return s.IgnoredFields[ignoredKey(t)] }

// SetIgnored replaces the fields of t an admin chose not to track.
func (s *Settings) SetIgnored(t crm.Type, fields []string) {
	if len(fields) == 0 {
		delete(s.IgnoredFields, ignoredKey(t))
		return
	}
	s.IgnoredFields[ignoredKey(t)] = fields
}

// ignoredKey is t's key in ignored_fields: its entityTypeId.
func ignoredKey(t crm.Type) string { return strconv.Itoa(int(t)) }

// inOrder are types in display order.
func inOrder(types []crm.Type) []crm.Type {
	out := slices.Clone(types)
	crm.Sort(out)
	return out
}

// DefaultSettings are in force until an admin saves others: every type
// tracked, with its tab.
func DefaultSettings(portalID int64) *Settings {
	return &Settings{
		PortalID: portalID, Entities: slices.Clone(crm.Types), Tabs: slices.Clone(crm.Types),
		IgnoredFields: map[string][]string{}, RetentionDays: DefaultRetentionDays,
	}
}

// DefaultRetentionDays is how long history is kept when the admin chose
// nothing (the column's default).
const DefaultRetentionDays = 730

// LoadSettings returns the portal's settings, or the defaults.
func LoadSettings(ctx context.Context, q bun.IDB, portalID int64) (*Settings, error) {
	s := &Settings{}
	err := q.NewSelect().Model(s).Where("portal_id = ?", portalID).Scan(ctx)
	if err != nil {
		if notFound(err) == ErrNotFound {
			return DefaultSettings(portalID), nil
		}
		return nil, fmt.Errorf("load settings: %w", err)
	}
	if s.IgnoredFields == nil {
		s.IgnoredFields = map[string][]string{}
	}
	return s, nil
}

// SaveSettings stores the portal's settings.
func SaveSettings(ctx context.Context, q bun.IDB, s *Settings) error {
	if s.Entities == nil {
		s.Entities = []crm.Type{}
	}
	if s.Tabs == nil {
		s.Tabs = []crm.Type{}
	}
	_, err := q.NewInsert().Model(s).ExcludeColumn("updated_at").
		On("CONFLICT (portal_id) DO UPDATE").
		Set("entities = EXCLUDED.entities, ignored_fields = EXCLUDED.ignored_fields, tabs = EXCLUDED.tabs").
		Set("retention_days = EXCLUDED.retention_days, updated_at = now()").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// Meta kinds stored in portal_meta.
const (
	MetaStatuses   = "statuses"   // crm.status.list
	MetaUsers      = "users"      // user.get
	MetaCurrencies = "currencies" // crm.currency.list
)

// MetaFields is the kind under which a type's *.fields answer is kept.
func MetaFields(t crm.Type) string { return "fields:" + strconv.Itoa(int(t)) }

// MetaCategories is the kind under which a type's pipelines
// (crm.category.list) are kept.
func MetaCategories(t crm.Type) string { return "categories:" + strconv.Itoa(int(t)) }

// SaveMeta stores a piece of the portal's metadata as read from the portal.
func SaveMeta(ctx context.Context, q bun.IDB, portalID int64, kind string, data json.RawMessage) error {
	_, err := q.NewRaw(`INSERT INTO portal_meta (portal_id, kind, data) VALUES (?, ?, ?)
		ON CONFLICT (portal_id, kind) DO UPDATE SET data = EXCLUDED.data, fetched_at = now()`,
		portalID, kind, string(data)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save meta %s: %w", kind, err)
	}
	return nil
}

// LoadMetas returns the pieces of metadata of the given kinds that were
// read, by kind, in one query.
func LoadMetas(ctx context.Context, q bun.IDB, portalID int64, kinds ...string) (map[string]json.RawMessage, error) {
	var rows []struct {
		Kind string          `bun:"kind"`
		Data json.RawMessage `bun:"data"`
	}
	err := q.NewRaw("SELECT kind, data FROM portal_meta WHERE portal_id = ? AND kind IN (?)", portalID, bun.List(kinds)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load meta: %w", err)
	}
	out := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.Kind] = r.Data
	}
	return out, nil
}

// LoadMeta returns a piece of metadata, or nil when none was read yet.
func LoadMeta(ctx context.Context, q bun.IDB, portalID int64, kind string) (json.RawMessage, error) {
	var data []json.RawMessage
	err := q.NewRaw("SELECT data FROM portal_meta WHERE portal_id = ? AND kind = ?", portalID, kind).Scan(ctx, &data)
	if err != nil {
		return nil, fmt.Errorf("load meta %s: %w", kind, err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data[0], nil
}
