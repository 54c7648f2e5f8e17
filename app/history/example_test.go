package history_test

import (
	"fmt"

	"github.com/trailhq/trail/app/history"
)

func ExampleDiff() {
	old, _ := history.ParseSnapshot([]byte(`{
		"TITLE": "Fleet renewal", "OPPORTUNITY": "1000.00", "CURRENCY_ID": "EUR",
		"PHONE": [{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333555","TYPE_ID":"PHONE"}],
		"DATE_MODIFY": "2024-08-30T14:29:00+02:00", "MODIFY_BY_ID": "1"}`))
	cur, _ := history.ParseSnapshot([]byte(`{
		"TITLE": "Fleet renewal ", "OPPORTUNITY": "1200", "CURRENCY_ID": "EUR",
		"PHONE": [{"ID":"156","VALUE_TYPE":"WORK","VALUE":"+13333333000","TYPE_ID":"PHONE"},
		          {"ID":"160","VALUE_TYPE":"MOBILE","VALUE":"+14444444666","TYPE_ID":"PHONE"}],
		"DATE_MODIFY": "2024-09-01T09:00:00+00:00", "MODIFY_BY_ID": "5"}`))

	e := history.NewUpdate(nil, old, cur)
	fmt.Println("by user", e.Author, "at", e.At.UTC())
	for _, c := range e.Changes {
		fmt.Println(c.Field, c.Kind, c.Old, "→", c.New)
	}
	// Output:
	// by user 5 at 2024-09-01 09:00:00 +0000 UTC
	// OPPORTUNITY changed number:1000 → number:1200
	// PHONE item_changed #156 WORK "+13333333555" → #156 WORK "+13333333000"
	// PHONE added ∅ → #160 MOBILE "+14444444666"
}

func ExampleClassifySource() {
	// An ONCRMDEALUPDATE event whose auth block had no access_token.
	fmt.Println(history.ClassifySource(history.Origin{Delivery: history.DeliveryEvent}))
	// Output: automation
}
