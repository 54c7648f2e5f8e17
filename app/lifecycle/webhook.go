package lifecycle

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
)

// Webhook describes a local integration: instead of installing Trail from
// the marketplace, a portal's admin creates an incoming webhook (for Trail's
// REST calls) and an outgoing webhook for the CRM events pointing at
// BASE_URL/bitrix/events, whose deliveries carry only domain, member_id and
// the outgoing webhook's application_token.
type Webhook struct {
	MemberID         string
	URL              string // https://portal.bitrix24.com/rest/1/secret/
	ApplicationToken string // the outgoing webhook's token
}

// ConnectWebhook stores a local integration after checking its incoming
// webhook answers, then enqueues setup (metadata and baseline sync).
func (s *Service) ConnectWebhook(ctx context.Context, w Webhook, opts b24.Options) (*db.Installation, error) {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(u.Path, "/rest/") {
		return nil, fmt.Errorf("webhook URL must look like https://portal.bitrix24.com/rest/1/secret/")
	}
	if w.MemberID == "" || w.ApplicationToken == "" {
		return nil, fmt.Errorf("member id and application token are required")
	}
	c := b24.New(b24.Webhook{URL: w.URL, Portal: w.MemberID}, opts)
	if _, err := c.Call(ctx, "server.time", nil); err != nil {
		return nil, fmt.Errorf("the webhook does not answer: %w", err)
	}
	endpoint := u.Scheme + "://" + u.Host + "/rest/"
	in := &db.Installation{
		MemberID: w.MemberID, Domain: strings.ToLower(u.Host), ClientEndpoint: endpoint, AuthMode: db.AuthWebhook,
		WebhookURL:           s.Keys.Seal([]byte(w.URL), db.TokenAD(w.MemberID, "webhook_url")),
		ApplicationTokenHash: secret.HashToken(w.ApplicationToken),
		Status:               db.StatusActive,
	}
	if err := s.save(ctx, in); err != nil {
		return nil, err
	}
	s.cache.drop(in.MemberID)
	return in, nil
}
