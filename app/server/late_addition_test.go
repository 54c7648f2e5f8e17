package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// TestItemAddedWhoseAdditionComesLate: a smart-process item added and
// edited at once, whose update event reaches Trail before its addition's
// (deliveries run in parallel; a lost one comes later through the offline
// queue), is recorded as created with its title, not taken as a baseline
// with no history.
func TestItemAddedWhoseAdditionComesLate(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 1, SmartProcesses: 1, SmartProcessItems: 2, Seed: 9}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	id := s.Installed(t, p)
	var spa db.FoundType
	for _, f := range s.FoundTypes(t, id) {
		if f.Type.Dynamic() {
			spa = f
		}
	}
	if spa.Type == 0 {
		t.Fatal("no smart process found")
	}
	trailtest.Eventually(t, "the smart process's baseline", func() bool { return syncDone(t, s, id, spa.Type) })

	// Neither event is delivered: the test hands Trail the update's.
	p.SetFaults(b24test.Faults{LoseDeliveries: true})
	ctx := context.Background()
	c := adminREST(t, s, p)
	resp, err := c.Call(ctx, "crm.item.add", b24.Params{"entityTypeId": int(spa.Type), "fields": b24.Params{"title": "First"}})
	if err != nil {
		t.Fatal(err)
	}
	var item struct {
		Item struct {
			ID int64 `json:"id"`
		} `json:"item"`
	}
	if err := json.Unmarshal(resp.Result, &item); err != nil || item.Item.ID == 0 {
		t.Fatalf("crm.item.add = %s %v", resp.Result, err)
	}
	if _, err := c.Call(ctx, "crm.item.update", b24.Params{"entityTypeId": int(spa.Type), "id": item.Item.ID,
		"fields": b24.Params{"title": "Second"}}); err != nil {
		t.Fatal(err)
	}
	res, _ := s.Do(t, "POST", "/bitrix/events", url.Values{
		"event":                        {"ONCRMDYNAMICITEMUPDATE"},
		"data[FIELDS][ID]":             {strconv.FormatInt(item.Item.ID, 10)},
		"data[FIELDS][ENTITY_TYPE_ID]": {strconv.Itoa(int(spa.Type))},
		"auth[domain]":                 {p.Domain()},
		"auth[client_endpoint]":        {p.ClientEndpoint()},
		"auth[member_id]":              {p.MemberID()},
		"auth[application_token]":      {p.ApplicationToken()},
	}, nil)
	if res.StatusCode != 200 {
		t.Fatalf("update event = %d", res.StatusCode)
	}
	trailtest.Eventually(t, "the item's update handled", func() bool {
		return s.Snapshot(t, id, spa.Type, item.Item.ID) != nil && s.InboxDepth(t, id) == 0
	})
	rows := s.History(t, id, spa.Type, item.Item.ID)
	title := fieldRows(rows, "TITLE")
	if len(title) != 1 || title[0].Action != "created" || trailtest.Text(title[0].NewValue) != "Second" {
		t.Fatalf("the item's history %+v: want its creation with the title Second", rows)
	}

	// The offline queue, read now, brings the addition late, and its
	// update again: still one creation, nothing more.
	rc, err := river.NewClient(riverpgxv5.New(s.DB.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	job, err := rc.Insert(ctx, jobs.OfflineArgs{PortalID: id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the offline queue read and drained", func() bool {
		return s.Job(t, job.Job.ID).State == rivertype.JobStateCompleted && s.InboxDepth(t, id) == 0 &&
			s.APICalls(t, id, "event.offline.get") >= 1
	})
	if got := s.History(t, id, spa.Type, item.Item.ID); len(fieldRows(got, "TITLE")) != 1 {
		t.Errorf("after the offline queue the item's history is %+v: want its one creation", got)
	}
}
