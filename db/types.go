package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
)

// MetaTypes is the meta kind of the types Trail found on the portal beyond
// the legacy four: estimates, smart invoices and the smart processes
// crm.type.list answered, with those it no longer lists. A type Trail
// finds for the first time is tracked, with its tab (see setup).
const MetaTypes = "types"

// FoundType is a type Trail found on the portal, as it last saw it.
type FoundType struct {
	Type crm.Type `json:"entityTypeId"`
	// ID is the type's settings key: ONCRMTYPE* events and crm.type.get
	// name the type by it, not by its entityTypeId.
	ID    int64  `json:"id,omitempty"`
	Title string `json:"title,omitempty"` // a smart process's title; the others have Trail's
	// Products: the smart process's items carry product rows
	// (isLinkWithProductsEnabled). Estimates and smart invoices always do.
	Products bool `json:"products,omitempty"`

	Deleted bool `json:"deleted,omitempty"` // the portal no longer lists it; its history stays
}

// FoundTypes returns the types Trail found on the portal, deleted ones
// included, in display order.
func FoundTypes(ctx context.Context, q bun.IDB, portalID int64) ([]FoundType, error) {
	raw, err := LoadMeta(ctx, q, portalID, MetaTypes)
	if err != nil {
		return nil, err
	}
	return ParseFoundTypes(raw)
}

// ParseFoundTypes reads the MetaTypes data (nil: none found yet).
func ParseFoundTypes(raw json.RawMessage) ([]FoundType, error) {
	if raw == nil {
		return nil, nil
	}
	var out []FoundType
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("found types: %w", err)
	}
	return out, nil
}

// SaveFoundTypes replaces the list of types Trail found on the portal.
func SaveFoundTypes(ctx context.Context, q bun.IDB, portalID int64, found []FoundType) error {
	raw, err := json.Marshal(found)
	if err != nil {
		return err
	}
	return SaveMeta(ctx, q, portalID, MetaTypes, raw)
}

// PortalTypes are every type whose records Trail may hold for the portal,
// in display order: the types every portal has and its smart processes,
// deleted ones included.
func PortalTypes(found []FoundType) []crm.Type {
	out := slices.Clone(crm.Types)
	for _, f := range found {
		if !slices.Contains(out, f.Type) {
			out = append(out, f.Type)
		}
	}
	crm.Sort(out)
	return out
}

// HasProductRows reports whether t's records carry product rows: leads,
// deals, estimates and smart invoices always, a smart process when found
// with products turned on. Asked for the rows of any other type, the
// portal answers an error.
// https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/index.html
func HasProductRows(found []FoundType, t crm.Type) bool {
	switch t {
	case crm.Lead, crm.Deal, crm.Quote, crm.SmartInvoice:
		return true
	}
	f, ok := Found(found, t)
	return ok && t.Dynamic() && f.Products
}

// Found returns what Trail knows of t among found.
func Found(found []FoundType, t crm.Type) (FoundType, bool) {
	for _, f := range found {
		if f.Type == t {
			return f, true
		}
	}
	return FoundType{}, false
}
