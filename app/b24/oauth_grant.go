package b24

import (
	"context"
	"net/http"
	"net/url"
)

// App is an application's identity at the OAuth server, for the grants a
// Client does not make itself: confirming the tokens an install delivered and
// trading a sign-in code.
type App struct {
	ClientID, ClientSecret string
	// TokenURL is the OAuth server's token endpoint, e.g.
	// https://oauth.bitrix.info/oauth/token/. Take it from configuration:
	// the answer says which portal the tokens belong to, so the server
	// asked must be the real one.
	TokenURL   string
	HTTPClient *http.Client
}

// Refresh trades a refresh token for a new pair (the old refresh token dies)
// and returns what the server says about the installation: member_id, the
// portal's REST endpoint, scope and owner. invalid_grant matches
// ErrReauthRequired.
func (a App) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	return a.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// Exchange trades an authorization code (valid 30 seconds) for tokens.
func (a App) Exchange(ctx context.Context, code string) (Token, error) {
	return a.grant(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}})
}

func (a App) grant(ctx context.Context, q url.Values) (Token, error) {
	q.Set("client_id", a.ClientID)
	q.Set("client_secret", a.ClientSecret)
	c := New(OAuth{Portal: "grant", TokenURL: a.TokenURL}, Options{HTTPClient: a.HTTPClient})
	t, _, err := c.exchange(ctx, a.TokenURL+"?"+q.Encode(), Token{})
	return t, err
}
