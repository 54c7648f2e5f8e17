package history

import (
	"fmt"
	"slices"
	"time"
)

// Action is what happened to a record as a whole.
type Action uint8

// Actions.
const (
	Updated Action = iota // fields changed; Changes lists them
	Created               // first state seen; Changes lists the initial values
	Deleted               // record gone; Changes lists the last known values
)

var actionNames = [...]string{"updated", "created", "deleted"}

// String returns the action's name, as used in JSON.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", a)
}

// MarshalText encodes the action by name.
func (a Action) MarshalText() ([]byte, error) {
	if int(a) >= len(actionNames) {
		return nil, fmt.Errorf("history: unknown action %d", a)
	}
	return []byte(actionNames[a]), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (a *Action) UnmarshalText(b []byte) error {
	i := slices.Index(actionNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("history: unknown action %q", b)
	}
	*a = Action(i)
	return nil
}

// Entry is one step of a record's history. Author and At come from the
// record itself when it says (see Author and When); for a deletion it cannot,
// so the caller fills them from what it can vouch for (its own clock, a
// deleter the portal named to Trail), never from what an event claims.
type Entry struct {
	Action  Action    `json:"action"`
	Author  string    `json:"author,omitempty"`
	At      time.Time `json:"at,omitzero"`
	Changes []Change  `json:"changes"`
}

// NewUpdate describes the step from old to cur. Its Changes are empty when
// only system fields moved; such entries are usually not worth storing.
func NewUpdate(s *Schema, old, cur Snapshot) Entry {
	at, _ := When(cur)
	return Entry{Action: Updated, Author: Author(cur), At: at, Changes: Diff(s, old, cur)}
}

// NewCreation describes a record seen for the first time: its non-empty
// values, as changes from nothing, by its creator at its creation time.
func NewCreation(s *Schema, cur Snapshot) Entry {
	e := Entry{Action: Created, Changes: Diff(s, nil, cur)}
	if v := Normalize(Field{Type: TypeUser}, cur["CREATED_BY_ID"]); !v.IsEmpty() {
		e.Author = v.Text
	}
	if t, ok := parseTime(cur["DATE_CREATE"]); ok {
		e.At = t
	}
	return e
}

// NewDeletion describes a record that no longer exists, carrying its last
// known values as changes to nothing, so the history still shows what was
// lost.
func NewDeletion(s *Schema, last Snapshot) Entry {
	return Entry{Action: Deleted, Changes: Diff(s, last, nil)}
}
