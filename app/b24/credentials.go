package b24

import (
	"net/url"
	"strings"
)

// Credentials say how a Client authenticates: [OAuth] for an installed
// application, [Webhook] for an incoming webhook. No other implementations
// exist.
type Credentials interface {
	portalKey() string
}

// OAuth are the credentials of an application installed on a portal. The
// tokens live in Store, shared by every client of the installation; the
// client refreshes them through the OAuth server when the portal says they
// expired (or shortly before they do).
type OAuth struct {
	// Portal is the installation's key in Store, in limiters and in
	// observations, typically its member_id.
	Portal string
	// ClientID and ClientSecret identify the application to the OAuth
	// server. The secret is sent there only.
	ClientID     string
	ClientSecret string
	// Store keeps the tokens and serialises refreshes.
	Store TokenStore
	// TokenURL is the OAuth server's token endpoint. Empty: derived from the
	// token's ServerEndpoint (https://oauth.bitrix.info/rest/ →
	// https://oauth.bitrix.info/oauth/token/).
	TokenURL string
}

func (o OAuth) portalKey() string { return o.Portal }

// Webhook are the credentials of an incoming webhook: its URL carries the
// user and the secret, https://portal.bitrix24.com/rest/1/secret/.
type Webhook struct {
	URL string
	// Portal is the key for limiters and observations. Empty: the URL's
	// host, so webhooks of one portal share its rate limit.
	Portal string
}

func (w Webhook) portalKey() string {
	if w.Portal != "" {
		return w.Portal
	}
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		return u.Host
	}
	return "webhook"
}

// endpoint returns the webhook URL with a trailing slash.
func (w Webhook) endpoint() string {
	if strings.HasSuffix(w.URL, "/") {
		return w.URL
	}
	return w.URL + "/"
}

// tokenURL returns the token endpoint for a token.
func (o OAuth) tokenURL(t Token) string {
	if o.TokenURL != "" {
		return o.TokenURL
	}
	se := t.ServerEndpoint
	if se == "" {
		return "https://oauth.bitrix.info/oauth/token/"
	}
	se = strings.TrimSuffix(se, "/")
	se = strings.TrimSuffix(se, "/rest")
	return se + "/oauth/token/"
}
