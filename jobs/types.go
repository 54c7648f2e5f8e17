package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// findTypes brings the portal's list of types up to date: estimates and
// smart invoices, which every portal has, and the smart processes
// crm.type.list answers under Trail's grant. A type found for the first
// time is tracked, with its tab, unless an admin had settled it before; a
// smart process the portal no longer lists is kept as deleted (its history
// stays readable) and no longer tracked. Events about types (ONCRMTYPE*)
// only make setup run this again: what they claim is not taken.
func (w *SetupWorker) findTypes(ctx context.Context, c *b24.Client, portalID int64) error {
	listed, err := listSmartProcesses(ctx, c)
	listedOK := err == nil
	if errors.Is(err, b24.ErrAccessDenied) {
		// A grant without CRM administration cannot list types: the smart
		// processes found before stay as they were.
		w.Log.WarnContext(ctx, "smart processes cannot be listed", "portal_id", portalID, "err", err)
	} else if err != nil {
		return err
	}
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		stored, err := db.FoundTypes(ctx, tx, portalID)
		if err != nil {
			return err
		}
		set, err := db.LoadSettings(ctx, tx, portalID)
		if err != nil {
			return err
		}
		next := mergeFound(stored, listed, listedOK)
		changed := false
		for _, f := range next {
			old, seen := db.Found(stored, f.Type)
			switch {
			case f.Deleted && seen && !old.Deleted:
				set.Entities = slices.DeleteFunc(set.Entities, func(t crm.Type) bool { return t == f.Type })
				set.Tabs = slices.DeleteFunc(set.Tabs, func(t crm.Type) bool { return t == f.Type })
				changed = true
			case !f.Deleted && (!seen || old.Deleted):
				if !set.Tracks(f.Type) {
					set.Entities = append(set.Entities, f.Type)
				}
				if !set.HasTab(f.Type) {
					set.Tabs = append(set.Tabs, f.Type)
				}
				changed = true
			}
		}
		if changed {
			if err := db.SaveSettings(ctx, tx, set); err != nil {
				return err
			}
		}
		return db.SaveFoundTypes(ctx, tx, portalID, next)
	})
}

// mergeFound is the new list of found types: estimates, smart invoices and
// the listed smart processes, then the stored smart processes the listing
// no longer has, as deleted. When the listing failed (listedOK false), the
// stored smart processes stay as they are.
func mergeFound(stored, listed []db.FoundType, listedOK bool) []db.FoundType {
	out := []db.FoundType{{Type: crm.Quote}, {Type: crm.SmartInvoice}}
	if !listedOK {
		for _, f := range stored {
			if f.Type.Dynamic() {
				out = append(out, f)
			}
		}
		return out
	}
	out = append(out, listed...)
	for _, f := range stored {
		if _, ok := db.Found(listed, f.Type); !ok && f.Type.Dynamic() {
			f.Deleted = true
			out = append(out, f)
		}
	}
	return out
}

// listSmartProcesses reads every page of crm.type.list
// (https://apidocs.bitrix24.com/api-reference/crm/universal/user-defined-object-types/crm-type-list.html).
func listSmartProcesses(ctx context.Context, c *b24.Client) ([]db.FoundType, error) {
	var out []db.FoundType
	for start := 0; ; {
		resp, err := c.Call(ctx, "crm.type.list", b24.Params{"order": b24.Params{"id": "ASC"}, "start": start})
		if err != nil {
			return nil, err
		}
		var page struct {
			Types []struct {
				ID           json.Number `json:"id"`
				EntityTypeID json.Number `json:"entityTypeId"`
				Title        string      `json:"title"`
				Products     string      `json:"isLinkWithProductsEnabled"`
			} `json:"types"`
		}
		if err := json.Unmarshal(resp.Result, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Types {
			id, _ := t.ID.Int64()
			et, err := t.EntityTypeID.Int64()
			if err != nil || !crm.Type(et).Dynamic() {
				continue
			}
			out = append(out, db.FoundType{Type: crm.Type(et), ID: id, Title: t.Title, Products: t.Products == "Y"})
		}
		if resp.Next <= start {
			return out, nil
		}
		start = resp.Next
	}
}
