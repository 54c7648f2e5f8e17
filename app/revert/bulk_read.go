package revert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// bulkChunk is how many records a bulk revert reads at once: 50 list
// commands of 50 IDs each fill one batch request.
const bulkChunk = b24.MaxBatch * b24.MaxBatch

// chunkSize is how many records' reads fit one batch request: a list
// command per 50 records, and per record the links and product rows reads
// the changes need (those are read a record a command).
func chunkSize(links, rows bool) int {
	per := 0
	if links {
		per++
	}
	if rows {
		per++
	}
	if per == 0 {
		return bulkChunk
	}
	n := b24.MaxBatch / per
	for n > 0 && (n+b24.MaxBatch-1)/b24.MaxBatch+n*per > b24.MaxBatch {
		n--
	}
	return n
}

// listFields are the fields a list must return for the selected changes:
// those they touch, named one by one (the list's masks leave out the
// multi-fields and the multiple user fields), but the links and the
// product rows, which the list does not carry and are read apart.
// https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-list.html
func listFields(t crm.Type, sel map[int64][]db.HistoryRow) []string {
	link, _, _ := linkField(t)
	out := []string{"ID"}
	for _, rs := range sel {
		for _, r := range rs {
			if r.Field != link && r.Field != history.ProductRows && !slices.Contains(out, r.Field) {
				out = append(out, r.Field)
			}
		}
	}
	slices.Sort(out[1:])
	return out
}

// readMany reads records of one type as the actor sees them now, in one
// batch request: the fields in sel through the type's list, 50 records a
// command filtered by their IDs, and each record's links and product rows
// when the changes touch them. A record the list leaves out (gone, or the
// actor may not read it) is asked for by its get, whose refusal is the
// portal's reason.
func readMany(ctx context.Context, c *b24.Client, t crm.Type, ids []int64, sel []string, links, rows bool) (map[int64]history.Snapshot, map[int64]string, error) {
	field, method, key := linkField(t)
	var bt b24.Batch
	for i := 0; i < len(ids); i += b24.MaxBatch {
		part := ids[i:min(i+b24.MaxBatch, len(ids))]
		bt.Add(fmt.Sprintf("list%d", i), t.Method("list"), b24.Params{
			"filter": b24.Params{"@ID": part}, "select": sel, "order": b24.Params{"ID": "ASC"}, "start": -1,
		})
	}
	for _, id := range ids {
		if links {
			bt.Add(fmt.Sprintf("l%d", id), method+".items.get", b24.Params{"id": id})
		}
		if rows {
			bt.Add(fmt.Sprintf("r%d", id), "crm.item.productrow.list", rowParams(t, id))
		}
	}
	res, err := c.Batch(ctx, &bt)
	if err != nil {
		return nil, nil, requestError(err)
	}
	snaps, refused := map[int64]history.Snapshot{}, map[int64]string{}
	for i := 0; i < len(ids); i += b24.MaxBatch {
		raw, err := res.Result(fmt.Sprintf("list%d", i))
		if err != nil {
			return nil, nil, requestError(err)
		}
		if err := listed(raw, snaps); err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", t, err)
		}
	}
	if err := readMissing(ctx, c, t, ids, snaps, refused); err != nil {
		return nil, nil, err
	}
	for id, snap := range snaps {
		err := companions(ctx, c, res, t, id, snap, field, key, links, rows)
		var r *refusal
		switch {
		case errors.As(err, &r):
			delete(snaps, id)
			refused[id] = r.reason
		case err != nil:
			return nil, nil, err
		}
	}
	return snaps, refused, nil
}

// listed adds a list's rows to snaps by their IDs.
func listed(raw json.RawMessage, snaps map[int64]history.Snapshot) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	for _, item := range items {
		snap, err := history.ParseSnapshot(item)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(strings.Trim(string(snap["ID"]), `"`), 10, 64)
		if err != nil {
			return fmt.Errorf("list: a row without an ID")
		}
		snaps[id] = snap
	}
	return nil
}

// readMissing asks for the records the lists left out by their gets: the
// portal's refusal (not found, access denied) is the reason a record is
// not written; one it shows after all is read from its get.
func readMissing(ctx context.Context, c *b24.Client, t crm.Type, ids []int64, snaps map[int64]history.Snapshot, refused map[int64]string) error {
	var bt b24.Batch
	var missing []int64
	for _, id := range ids {
		if _, ok := snaps[id]; !ok {
			missing = append(missing, id)
			bt.Add(fmt.Sprintf("g%d", id), t.Method("get"), b24.Params{"id": id})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	res, err := c.Batch(ctx, &bt)
	if err != nil {
		return requestError(err)
	}
	for _, id := range missing {
		raw, err := res.Result(fmt.Sprintf("g%d", id))
		var r *refusal
		switch {
		case err == nil:
			if snaps[id], err = history.ParseSnapshot(raw); err != nil {
				return fmt.Errorf("read %s %d: %w", t, id, err)
			}
		case errors.As(portalError(err), &r):
			refused[id] = r.reason
		default:
			return portalError(err)
		}
	}
	return nil
}

func rowParams(t crm.Type, id int64) b24.Params {
	return b24.Params{"filter": b24.Params{"=ownerType": t.Short(), "=ownerId": id}, "order": b24.Params{"id": "ASC"}}
}

// companions adds a record's links and product rows, from readMany's
// answer, to its snapshot.
func companions(ctx context.Context, c *b24.Client, res *b24.BatchResult, t crm.Type, id int64, snap history.Snapshot, field, key string, links, rows bool) error {
	if links {
		raw, err := res.Result(fmt.Sprintf("l%d", id))
		if err != nil {
			return portalError(err)
		}
		if snap[field], err = linkIDs(raw, key); err != nil {
			return err
		}
	}
	if rows {
		name := fmt.Sprintf("r%d", id)
		raw, err := res.Result(name)
		if err != nil {
			return portalError(err)
		}
		pages := []json.RawMessage{raw}
		for next := res.Next(name); next > 0; {
			p := rowParams(t, id)
			p["start"] = next
			resp, err := c.Call(ctx, "crm.item.productrow.list", p)
			if err != nil {
				return portalError(err)
			}
			pages, next = append(pages, resp.Result), resp.Next
		}
		v, err := history.RowsValue(pages...)
		if err != nil {
			return err
		}
		snap[history.ProductRows] = v
	}
	return nil
}
