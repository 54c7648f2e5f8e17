// Package timeline turns stored history rows into what a person reads in a
// CRM tab: changes grouped as they were made, fields under the portal's own
// titles, IDs as names (users, stages, list items, linked companies and
// contacts), money, dates and yes/no in the viewer's language.
package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// User is a portal user as the tab shows them.
type User struct {
	ID    int64
	Name  string
	Photo string
}

// Labels are a portal's names for things, read from its stored metadata.
type Labels struct {
	Schema   *history.Schema
	users    map[int64]User
	statuses map[string]string // STATUS_ID (unique across types, e.g. C1:NEW) keyed by type prefix + id
	links    map[string]string // "company:5" -> title
}

// LoadLabels reads the metadata of one entity of a portal.
func LoadLabels(ctx context.Context, q bun.IDB, portalID int64, entity string) (*Labels, error) {
	l := &Labels{users: map[int64]User{}, statuses: map[string]string{}, links: map[string]string{}}
	if raw, err := db.LoadMeta(ctx, q, portalID, db.MetaFields(entity)); err != nil {
		return nil, err
	} else if raw != nil {
		if l.Schema, err = history.ParseFields(raw); err != nil {
			l.Schema = nil
		}
	}
	if raw, err := db.LoadMeta(ctx, q, portalID, db.MetaUsers); err != nil {
		return nil, err
	} else if raw != nil {
		l.addUsers(raw)
	}
	if raw, err := db.LoadMeta(ctx, q, portalID, db.MetaStatuses); err != nil {
		return nil, err
	} else if raw != nil {
		l.addStatuses(raw)
	}
	return l, nil
}

func (l *Labels) addUsers(raw json.RawMessage) {
	var us []struct {
		ID       json.Number `json:"ID"`
		Name     string      `json:"NAME"`
		LastName string      `json:"LAST_NAME"`
		Email    string      `json:"EMAIL"`
		Photo    string      `json:"PERSONAL_PHOTO"`
	}
	if json.Unmarshal(raw, &us) != nil {
		return
	}
	for _, u := range us {
		id, err := u.ID.Int64()
		if err != nil {
			continue
		}
		name := strings.TrimSpace(u.Name + " " + u.LastName)
		if name == "" {
			name = u.Email
		}
		l.users[id] = User{ID: id, Name: name, Photo: u.Photo}
	}
}

func (l *Labels) addStatuses(raw json.RawMessage) {
	var ss []struct {
		EntityID string `json:"ENTITY_ID"`
		StatusID string `json:"STATUS_ID"`
		Name     string `json:"NAME"`
	}
	if json.Unmarshal(raw, &ss) != nil {
		return
	}
	for _, s := range ss {
		l.statuses[statusFamily(s.EntityID)+"|"+s.StatusID] = s.Name
	}
}

// statusFamily maps DEAL_STAGE_3 to DEAL_STAGE: category stage lists share
// their field's status type.
func statusFamily(entityID string) string {
	if i := strings.LastIndexByte(entityID, '_'); i > 0 {
		if _, err := strconv.Atoi(entityID[i+1:]); err == nil {
			return entityID[:i]
		}
	}
	return entityID
}

// User returns the user with id, or one named by id when unknown.
func (l *Labels) User(id int64) User {
	if u, ok := l.users[id]; ok {
		return u
	}
	return User{ID: id, Name: fmt.Sprintf("#%d", id)}
}

// Title is the portal's name of a field: user fields under their list
// label, standard fields under their title, else the code.
func (l *Labels) Title(field string) string {
	if l.Schema != nil {
		if f := l.Schema.Field(field); f.Title != "" {
			return f.Title
		}
	}
	return field
}

// LoadLinks reads the names of the companies and contacts that values
// refer to, from the stored snapshots.
func (l *Labels) LoadLinks(ctx context.Context, q bun.IDB, portalID int64, refs map[string][]int64) error {
	for entity, ids := range refs {
		if len(ids) == 0 {
			continue
		}
		snaps, err := db.SnapshotsRead(ctx, q, portalID, entity, ids)
		if err != nil {
			return err
		}
		for id, s := range snaps {
			l.links[entity+":"+strconv.FormatInt(id, 10)] = recordTitle(s)
		}
	}
	return nil
}

func recordTitle(data json.RawMessage) string {
	var r map[string]any
	if json.Unmarshal(data, &r) != nil {
		return ""
	}
	if t, ok := r["TITLE"].(string); ok && t != "" {
		return t
	}
	var parts []string
	for _, k := range []string{"NAME", "LAST_NAME"} {
		if v, ok := r[k].(string); ok && v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}
