package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
)

// runSyncItems is `trail bench sync --spa N`: one portal with N smart
// processes holding items items between them, each listed the way Trail's
// baseline lists it (crm.item.list, every field, useOriginalUfNames=Y,
// keyset pages of 50 chained 50 to a request), all types at once as the
// baseline jobs of one portal run. It prints the same SyncResult; each
// type's items are rounded to whole requests, so the least time is that of
// as many deals.
func runSyncItems(ctx context.Context, types, items int, model string, seed int64, dbURL string, stdout, stderr io.Writer) error {
	const perRequest = b24.MaxBatch * b24.PageSize
	if types < 1 || items < types {
		return errors.New("bench sync: --spa must be positive and at most --deals")
	}
	perType := max(perRequest, (items/types)/perRequest*perRequest)
	cost, ok := b24test.CostModel(model).Cost()
	if !ok || model == string(b24test.CostOff) {
		return fmt.Errorf("bench sync: unknown cost model %q", model)
	}
	srv, err := b24test.NewServer(b24test.Options{Deals: 1, SmartProcesses: types, SmartProcessItems: perType, Seed: seed, Cost: cost})
	if err != nil {
		return fmt.Errorf("bench sync: start emulator: %w", err)
	}
	defer srv.Close()
	portal := srv.Portals()[0]
	limits := b24test.StandardLimits()
	limiters, cleanup, err := sharedLimiters(ctx, dbURL, 1, b24.Rate{Burst: limits.Burst, Drain: limits.Drain})
	if err != nil {
		return err
	}
	defer cleanup()
	c := b24.New(b24.Webhook{URL: portal.WebhookURL()}, b24.Options{
		HTTPClient: srv.Client(), Limiter: limiters[0], Pacer: &b24.Pacer{Budget: limits.OperatingBudget},
	})
	ids, err := smartProcessIDs(ctx, c)
	if err != nil {
		return err
	}
	before := portal.Stats()
	fmt.Fprintf(stderr, "bench sync: %d smart processes of %d items, %s cost\n", len(ids), perType, model)
	var listed atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	start := time.Now()
	for i, id := range ids {
		wg.Go(func() {
			opts := b24.ListOptions{Method: "crm.item.list",
				Params: b24.Params{"entityTypeId": id, "select": []string{"*"}, "useOriginalUfNames": "Y"}}
			for _, err := range c.List(ctx, opts) {
				if err != nil {
					errs[i] = fmt.Errorf("type %d: %w", id, err)
					return
				}
				listed.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	stats := portal.Stats()
	total := perType * len(ids)
	limit := LimitSeconds(total, 1, limits, cost, cost.ItemRowCost(portal, ids[0]))
	res := SyncResult{
		Items:            listed.Load(),
		Seconds:          round3(elapsed),
		HTTPRequests:     stats.Requests - before.Requests,
		RateLimited:      stats.Limited - before.Limited,
		OperationLimited: stats.OperationLimited - before.OperationLimited,
		Model:            model,
		LimitSeconds:     round3(limit),
		Efficiency:       round3(limit / elapsed),
	}
	return json.NewEncoder(stdout).Encode(res)
}

// smartProcessIDs are the entityTypeIds crm.type.list names.
func smartProcessIDs(ctx context.Context, c *b24.Client) ([]int, error) {
	resp, err := c.Call(ctx, "crm.type.list", nil)
	if err != nil {
		return nil, fmt.Errorf("bench sync: crm.type.list: %w", err)
	}
	var page struct {
		Types []struct {
			EntityTypeID int `json:"entityTypeId"`
		} `json:"types"`
	}
	if err := json.Unmarshal(resp.Result, &page); err != nil {
		return nil, err
	}
	var ids []int
	for _, t := range page.Types {
		ids = append(ids, t.EntityTypeID)
	}
	if len(ids) == 0 {
		return nil, errors.New("bench sync: the portal lists no smart process")
	}
	return ids, nil
}
