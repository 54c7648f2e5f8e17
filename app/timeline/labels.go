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

	"github.com/trailhq/trail/app/crm"
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
	Schema     *history.Schema
	users      map[int64]User
	statuses   map[string]string // STATUS_ID (unique across types, e.g. C1:NEW) keyed by type prefix + id
	categories map[string]string // the entity's pipelines: "0" -> "General"
	currencies map[string]string // "USD" -> "US Dollar"
	links      map[string]string // "company:5" -> title
	record     *currencyTrail    // the record's currencies over time (LoadCurrencies)
}

// LoadLabels reads the metadata of one entity of a portal.
func LoadLabels(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type) (*Labels, error) {
	l := &Labels{users: map[int64]User{}, statuses: map[string]string{}, categories: map[string]string{},
		currencies: map[string]string{}, links: map[string]string{}}
	meta, err := db.LoadMetas(ctx, q, portalID, db.MetaFields(entity), db.MetaUsers, db.MetaStatuses,
		db.MetaCategories(entity), db.MetaCurrencies)
	if err != nil {
		return nil, err
	}
	if raw := meta[db.MetaFields(entity)]; raw != nil {
		if l.Schema, err = history.ParseFields(raw); err != nil {
			l.Schema = nil
		}
	}
	l.addUsers(meta[db.MetaUsers])
	l.addStatuses(meta[db.MetaStatuses])
	l.addCategories(meta[db.MetaCategories(entity)])
	l.addCurrencies(meta[db.MetaCurrencies])
	return l, nil
}

// addUsers names users by NAME, SECOND_NAME and LAST_NAME: with the
// user_brief scope Bitrix24 sends no e-mail
// (https://apidocs.bitrix24.com/api-reference/user/user-scope.html); a user
// without a name is named by ID.
func (l *Labels) addUsers(raw json.RawMessage) {
	var us []struct {
		ID         json.Number `json:"ID"`
		Name       string      `json:"NAME"`
		SecondName string      `json:"SECOND_NAME"`
		LastName   string      `json:"LAST_NAME"`
		Photo      string      `json:"PERSONAL_PHOTO"`
	}
	if raw == nil || json.Unmarshal(raw, &us) != nil {
		return
	}
	for _, u := range us {
		id, err := u.ID.Int64()
		if err != nil {
			continue
		}
		name := strings.Join(strings.Fields(u.Name+" "+u.SecondName+" "+u.LastName), " ")
		if name == "" {
			name = fmt.Sprintf("#%d", id)
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
	if raw == nil || json.Unmarshal(raw, &ss) != nil {
		return
	}
	for _, s := range ss {
		l.statuses[statusFamily(s.EntityID)+"|"+s.StatusID] = s.Name
	}
}

// addCategories reads a crm.category.list answer: {"categories":[{id,name}]}.
func (l *Labels) addCategories(raw json.RawMessage) {
	var cs struct {
		Categories []struct {
			ID   json.Number `json:"id"`
			Name string      `json:"name"`
		} `json:"categories"`
	}
	if raw == nil || json.Unmarshal(raw, &cs) != nil {
		return
	}
	for _, c := range cs.Categories {
		l.categories[c.ID.String()] = c.Name
	}
}

func (l *Labels) addCurrencies(raw json.RawMessage) {
	var cs []struct {
		Currency string `json:"CURRENCY"`
		FullName string `json:"FULL_NAME"`
	}
	if raw == nil || json.Unmarshal(raw, &cs) != nil {
		return
	}
	for _, c := range cs {
		if c.FullName != "" {
			l.currencies[c.Currency] = c.FullName
		}
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

// LoadLinks reads the names of the records that values refer to, from the
// stored snapshots (a deleted record keeps its last name).
func (l *Labels) LoadLinks(ctx context.Context, q bun.IDB, portalID int64, refs map[string][]int64) error {
	for entity, ids := range refs {
		t, ok := crm.ParseType(entity)
		if len(ids) == 0 || !ok {
			continue
		}
		snaps, err := db.SnapshotsRead(ctx, q, portalID, t, ids)
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
