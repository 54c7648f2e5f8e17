package b24

import (
	"context"
	"encoding/json"
	"fmt"
)

// User is the owner of the token in use (user.current). Which fields are
// filled depends on the granted user scopes.
type User struct {
	ID          ID     `json:"ID"`
	Active      bool   `json:"ACTIVE"`
	Name        string `json:"NAME"`
	LastName    string `json:"LAST_NAME"`
	Email       string `json:"EMAIL"`
	TimeZone    string `json:"TIME_ZONE"`
	Departments []ID   `json:"UF_DEPARTMENT"`
}

// CurrentUser returns the token's user (user.current).
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	var u User
	err := c.decode(ctx, "user.current", nil, &u)
	return u, err
}

// IsAdmin reports whether the token's user may manage the application
// (user.admin).
func (c *Client) IsAdmin(ctx context.Context) (bool, error) {
	var ok bool
	err := c.decode(ctx, "user.admin", nil, &ok)
	return ok, err
}

// EventHandler is one event binding.
type EventHandler struct {
	Event         string `json:"event"`
	Handler       string `json:"handler,omitempty"`
	AuthType      ID     `json:"auth_type,omitempty"`
	Offline       bool   `json:"-"`
	AuthConnector string `json:"-"`
}

// BindEvent registers a handler (event.bind). Offline bindings take no
// handler URL.
func (c *Client) BindEvent(ctx context.Context, h EventHandler) error {
	p := Params{"event": h.Event}
	if h.Handler != "" {
		p["handler"] = h.Handler
	}
	if h.AuthType != 0 {
		p["auth_type"] = int64(h.AuthType)
	}
	if h.Offline {
		p["event_type"] = "offline"
	}
	if h.AuthConnector != "" {
		p["auth_connector"] = h.AuthConnector
	}
	_, err := c.Call(ctx, "event.bind", p)
	return err
}

// UnbindEvent removes matching handlers (event.unbind) and returns how many.
func (c *Client) UnbindEvent(ctx context.Context, h EventHandler) (int, error) {
	p := Params{"event": h.Event}
	if h.Handler != "" {
		p["handler"] = h.Handler
	}
	if h.AuthType != 0 {
		p["auth_type"] = int64(h.AuthType)
	}
	if h.Offline {
		p["event_type"] = "offline"
	}
	var r struct {
		Count int `json:"count"`
	}
	err := c.decode(ctx, "event.unbind", p, &r)
	return r.Count, err
}

// EventHandlers lists the application's bindings (event.get).
func (c *Client) EventHandlers(ctx context.Context) ([]EventHandler, error) {
	var raw []struct {
		EventHandler
		Offline flexInt `json:"offline"`
	}
	if err := c.decode(ctx, "event.get", nil, &raw); err != nil {
		return nil, err
	}
	hs := make([]EventHandler, len(raw))
	for i, r := range raw {
		hs[i] = r.EventHandler
		hs[i].Offline = r.Offline != 0
	}
	return hs, nil
}

// OfflineQuery selects queued offline events (event.offline.get).
type OfflineQuery struct {
	Filter        Params
	Limit         int  // default 50
	Keep          bool // reserve the events under a process id instead of deleting them (clear=0)
	AuthConnector string
}

// OfflineEvents is a page of queued offline events.
type OfflineEvents struct {
	ProcessID string         `json:"process_id"`
	Events    []OfflineEvent `json:"events"`
}

// OfflineEvent is one queued event: the last change of one object.
type OfflineEvent struct {
	ID         ID              `json:"ID"`
	Timestamp  string          `json:"TIMESTAMP_X"`
	Event      string          `json:"EVENT_NAME"`
	Data       json.RawMessage `json:"EVENT_DATA"`
	Additional json.RawMessage `json:"EVENT_ADDITIONAL"`
	MessageID  string          `json:"MESSAGE_ID"`
}

// GetOfflineEvents takes queued offline events. Without Keep the portal
// deletes what it returns, so the call is not repeated after a timeout.
func (c *Client) GetOfflineEvents(ctx context.Context, q OfflineQuery) (OfflineEvents, error) {
	p := Params{"clear": !q.Keep}
	if q.Filter != nil {
		p["filter"] = q.Filter
	}
	if q.Limit > 0 {
		p["limit"] = q.Limit
	}
	if q.AuthConnector != "" {
		p["auth_connector"] = q.AuthConnector
	}
	var r struct {
		ProcessID *string        `json:"process_id"`
		Events    []OfflineEvent `json:"events"`
	}
	err := c.decode(ctx, "event.offline.get", p, &r, Idempotent(q.Keep))
	out := OfflineEvents{Events: r.Events}
	if r.ProcessID != nil {
		out.ProcessID = *r.ProcessID
	}
	return out, err
}

// ClearOfflineEvents deletes events reserved under processID
// (event.offline.clear); ids nil clears all of them.
func (c *Client) ClearOfflineEvents(ctx context.Context, processID string, ids []ID) error {
	p := Params{"process_id": processID}
	if ids != nil {
		s := make([]int64, len(ids))
		for i, id := range ids {
			s[i] = int64(id)
		}
		p["id"] = s
	}
	_, err := c.Call(ctx, "event.offline.clear", p, Idempotent(true))
	return err
}

// Placement is one placement binding.
type Placement struct {
	Placement   string          `json:"placement"`
	Handler     string          `json:"handler"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	GroupName   string          `json:"groupName,omitempty"`
	Options     json.RawMessage `json:"options,omitempty"`
	UserID      ID              `json:"userId,omitempty"`
}

// BindPlacement registers a placement handler (placement.bind).
func (c *Client) BindPlacement(ctx context.Context, pl Placement) error {
	p := Params{"PLACEMENT": pl.Placement, "HANDLER": pl.Handler}
	if pl.Title != "" {
		p["TITLE"] = pl.Title
	}
	if pl.Description != "" {
		p["DESCRIPTION"] = pl.Description
	}
	if pl.GroupName != "" {
		p["GROUP_NAME"] = pl.GroupName
	}
	if !isEmptyCollection(pl.Options) {
		var opts map[string]any
		if err := json.Unmarshal(pl.Options, &opts); err != nil {
			return fmt.Errorf("b24: placement options: %w", err)
		}
		p["OPTIONS"] = opts
	}
	_, err := c.Call(ctx, "placement.bind", p)
	return err
}

// UnbindPlacement removes a placement's handler, or all of its handlers
// when handler is empty (placement.unbind), and returns how many.
func (c *Client) UnbindPlacement(ctx context.Context, placement, handler string) (int, error) {
	p := Params{"PLACEMENT": placement}
	if handler != "" {
		p["HANDLER"] = handler
	}
	var r struct {
		Count int `json:"count"`
	}
	err := c.decode(ctx, "placement.unbind", p, &r)
	return r.Count, err
}

// Placements lists the application's placement bindings (placement.get).
func (c *Client) Placements(ctx context.Context) ([]Placement, error) {
	var ps []Placement
	err := c.decode(ctx, "placement.get", nil, &ps)
	return ps, err
}
