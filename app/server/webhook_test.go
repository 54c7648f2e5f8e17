package server_test

import (
	"context"
	"log/slog"
	"net/url"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/server"
	"github.com/trailhq/trail/app/trailtest"
)

// A local integration: an incoming webhook for Trail's calls and an
// outgoing webhook whose deliveries carry only domain, member_id and its
// application_token.
func TestWebhookMode(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 15, Seed: 11}})
	p := s.Emu.Portals()[0]
	const appToken = "0f0e0d0c0b0a09080706050403020100"
	in, err := server.Connect(context.Background(), s.Config, slog.New(slog.DiscardHandler),
		lifecycle.Webhook{MemberID: p.MemberID(), URL: p.WebhookURL(), ApplicationToken: appToken})
	if err != nil {
		t.Fatal(err)
	}
	// The four types, estimates and smart invoices (crm.type.list works
	// over the administrator's webhook too).
	trailtest.Eventually(t, "baseline over the webhook", func() bool {
		return s.SyncsDone(t, in.ID) == 6
	})
	if got := s.Snapshots(t, in.ID, crm.Deal); got != 15 {
		t.Fatalf("deal snapshots = %d, want 15", got)
	}
	if err := p.UpdateRecord("deal", 2, 3, map[string]any{"TITLE": "Via outgoing webhook"}); err != nil {
		t.Fatal(err)
	}
	send := func(token string) int {
		form := url.Values{
			"event": {"ONCRMDEALUPDATE"}, "data[FIELDS][ID]": {"2"}, "ts": {"1700000000"},
			"auth[domain]": {p.Domain()}, "auth[member_id]": {p.MemberID()}, "auth[application_token]": {token},
		}
		return s.post(t, "/bitrix/events", form)
	}
	if code := send("wrong-token"); code != 401 {
		t.Fatalf("wrong application token = %d, want 401", code)
	}
	if code := send(appToken); code != 200 {
		t.Fatalf("outgoing webhook delivery = %d", code)
	}
	trailtest.Eventually(t, "history", func() bool {
		n := 0
		for _, r := range s.History(t, in.ID, crm.Deal, 2) {
			if r.Field == "TITLE" && r.Source == "unknown" {
				n++
			}
		}
		return n == 1
	})
}
