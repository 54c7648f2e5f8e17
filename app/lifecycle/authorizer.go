package lifecycle

import (
	"context"
	"errors"

	"github.com/trailhq/trail/app/b24"
)

// OAuthServer confirms install tokens at Trail's configured OAuth server.
type OAuthServer struct{ App b24.App }

// Refresh implements Authorizer. A grant the server rejects is
// ErrUnauthorized; anything else (network, 5xx) is left as it is, for the
// caller to report as unavailable.
func (o OAuthServer) Refresh(ctx context.Context, refreshToken string) (Grant, error) {
	t, err := o.App.Refresh(ctx, refreshToken)
	if err != nil {
		if errors.Is(err, b24.ErrReauthRequired) || errors.Is(err, b24.ErrInvalidToken) {
			return Grant{}, ErrUnauthorized
		}
		var e *b24.Error
		if errors.As(err, &e) && e.Status >= 400 && e.Status < 500 {
			return Grant{}, ErrUnauthorized
		}
		return Grant{}, err
	}
	return Grant{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expires: t.Expires,
		MemberID: t.MemberID, ClientEndpoint: t.ClientEndpoint, ServerEndpoint: t.ServerEndpoint,
		Scope: t.Scope, UserID: int64(t.UserID),
	}, nil
}
