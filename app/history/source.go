package history

import (
	"fmt"
	"slices"
)

// Source says who, in kind, made a change: what Trail shows next to the
// author, since MODIFY_BY_ID alone names a user even for robot edits.
type Source uint8

// Sources.
const (
	SourceUnknown     Source = iota // Trail cannot tell
	SourcePerson                    // a user, through the Bitrix24 interface or an app acting as that user
	SourceAutomation                // an automation rule, business process or other system agent
	SourceIntegration               // another application or webhook that labelled its writes
	SourceRevert                    // a person putting values back with Trail's revert
)

var sourceNames = [...]string{"unknown", "person", "automation", "integration", "revert"}

// String returns the source's name, as used in JSON.
func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return fmt.Sprintf("Source(%d)", s)
}

// MarshalText encodes the source by name.
func (s Source) MarshalText() ([]byte, error) {
	if int(s) >= len(sourceNames) {
		return nil, fmt.Errorf("history: unknown source %d", s)
	}
	return []byte(sourceNames[s]), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (s *Source) UnmarshalText(b []byte) error {
	i := slices.Index(sourceNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("history: unknown source %q", b)
	}
	*s = Source(i)
	return nil
}

// Delivery is how Trail learnt of a change.
type Delivery uint8

// Deliveries.
const (
	DeliveryUnknown   Delivery = iota
	DeliveryEvent              // an online event posted to Trail's handler
	DeliveryOffline            // a record of the offline event queue (event.offline.get)
	DeliveryReconcile          // a periodic DATE_MODIFY scan found it; no event was seen
)

// Origin holds what the delivery of a change said about its maker. Every
// field is read from the event or the job, never guessed.
type Origin struct {
	Delivery Delivery
	// UserAuth is true when the delivery tied the change to a user: an
	// online event whose auth block carried an access token (Bitrix24 omits
	// the tokens when an automation rule, business process or agent acted),
	// or an offline record naming the user.
	UserAuth bool
	// AuthConnector is the auth_connector an integration passed with its
	// write, when the delivery reports one.
	AuthConnector string
}

// ClassifySource decides the Source of a change from its Origin:
//
//  1. an auth connector is present → SourceIntegration: only applications
//     pass one, to keep their own writes out of their offline queue;
//  2. an online event with user tokens → SourcePerson;
//  3. an online event without user tokens → SourceAutomation, the case
//     Bitrix24 documents for rules, business processes and agents;
//  4. an offline record naming a user → SourcePerson;
//  5. anything else (offline record without a user, reconciliation, unknown
//     delivery) → SourceUnknown.
//
// Limits: an application or incoming webhook calling REST with a user's
// token looks like that user (rule 2); Bitrix24 gives nothing to tell them
// apart.
func ClassifySource(o Origin) Source {
	switch {
	case o.AuthConnector != "":
		return SourceIntegration
	case o.Delivery == DeliveryEvent && o.UserAuth:
		return SourcePerson
	case o.Delivery == DeliveryEvent:
		return SourceAutomation
	case o.Delivery == DeliveryOffline && o.UserAuth:
		return SourcePerson
	default:
		return SourceUnknown
	}
}
