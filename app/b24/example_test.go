package b24_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/trailhq/trail/app/b24"
)

// One limiter and one pacer for the whole process; a client per portal.
func Example() {
	limiter := b24.NewMemoryLimiter(b24.StandardRate)
	pacer := &b24.Pacer{}
	c := b24.New(b24.Webhook{URL: "https://example.bitrix24.com/rest/1/secret/"}, b24.Options{
		Limiter: limiter,
		Pacer:   pacer,
		Observer: b24.ObserverFunc(func(e b24.Event) {
			log.Printf("%s %s x%d: HTTP %d %s in %v (waited %v)", e.Portal, e.Method, e.Commands, e.Status, e.Code, e.Duration, e.Waited)
		}),
	})
	_ = c
}

func ExampleClient_List() {
	var c *b24.Client // from b24.New
	ctx := context.Background()
	deals := c.List(ctx, b24.ListOptions{
		Method: "crm.deal.list",
		Params: b24.Params{"filter": b24.Params{"CATEGORY_ID": 1}, "select": []string{"*", "UF_*"}},
		After:  0, // resume point: the last ID already processed
	})
	for raw, err := range deals {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(raw))
	}
}

func ExampleNoWait() {
	var c *b24.Client
	_, err := c.Call(context.Background(), "crm.deal.get", b24.Params{"id": 42}, b24.NoWait())
	if d, ok := b24.RetryAfter(err); ok {
		fmt.Println("reschedule the job in", d.Round(time.Second))
		return
	}
	if errors.Is(err, b24.ErrNotFound) {
		fmt.Println("deal is gone")
	}
}

func ExampleBatch() {
	var c *b24.Client
	var b b24.Batch
	b.Add("user", "user.current", nil)
	b.Add("deals", "crm.deal.list", b24.Params{"filter": b24.Params{"ASSIGNED_BY_ID": "$result[user][ID]"}})
	res, err := c.Batch(context.Background(), &b)
	if err != nil {
		log.Fatal(err)
	}
	var deals []map[string]any
	if err := res.Decode("deals", &deals); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(deals), res.Err())
}
