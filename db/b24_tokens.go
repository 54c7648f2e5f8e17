package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24"
)

// Encrypter seals secrets before they are stored and opens them after they
// are read; secret.KeyRing is the implementation. The associated data binds
// a sealed value to its row and column (TokenAD), so a value copied
// elsewhere does not open.
type Encrypter interface {
	Seal(plaintext, associatedData []byte) []byte
	Open(sealed, associatedData []byte) ([]byte, error)
}

// TokenAD is the associated data of a sealed token: the portal's member_id
// and the column, so an access token cannot be passed off as a refresh
// token or as another portal's.
func TokenAD(memberID, column string) []byte {
	return []byte("installations." + column + ":" + memberID)
}

// TokenStore keeps OAuth tokens in the installations table, sealed, keyed by
// member_id. Refresh serialises refreshes per portal with a
// transaction-scoped advisory lock, so across every process and machine
// exactly one refresh happens for a stale token, and a refresh token, which
// the OAuth server accepts once, is never sent twice.
type TokenStore struct {
	db  *DB
	enc Encrypter
}

// NewTokenStore returns a store over d that seals with enc.
func NewTokenStore(d *DB, enc Encrypter) *TokenStore { return &TokenStore{db: d, enc: enc} }

var _ b24.TokenStore = (*TokenStore)(nil)

// tokenLockKey namespaces the advisory lock of a portal's token.
func tokenLockKey(memberID string) string { return "b24:token:" + memberID }

// Load implements b24.TokenStore.
func (s *TokenStore) Load(ctx context.Context, memberID string) (b24.Token, error) {
	in, err := InstallationByMemberID(ctx, s.db.Bun, memberID)
	if err != nil {
		return b24.Token{}, s.wrap(memberID, err)
	}
	return s.open(in)
}

// Refresh implements b24.TokenStore. The lock is held while renew talks to
// the OAuth server, so everybody else who found the same stale token waits
// and then reads the fresh one instead of refreshing again.
func (s *TokenStore) Refresh(ctx context.Context, memberID, stale string, renew func(context.Context, b24.Token) (b24.Token, error)) (b24.Token, error) {
	var out b24.Token
	var renewErr error
	err := s.db.RunInTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", tokenLockKey(memberID)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		in, err := InstallationByMemberID(ctx, tx, memberID)
		if err != nil {
			return s.wrap(memberID, err)
		}
		cur, err := s.open(in)
		if err != nil {
			return err
		}
		if cur.AccessToken != stale {
			out = cur // refreshed by somebody else meanwhile
			return nil
		}
		next, err := renew(ctx, cur)
		if errors.Is(err, b24.ErrReauthRequired) {
			renewErr = err
			_, err := tx.NewUpdate().Model((*Installation)(nil)).
				Set("status = ?", StatusReauth).Set("updated_at = now()").
				Where("id = ?", in.ID).Exec(ctx)
			return err // commit the mark
		}
		if err != nil {
			return err
		}
		out = next
		return s.save(ctx, tx, in.ID, memberID, next)
	})
	if renewErr != nil {
		return b24.Token{}, renewErr
	}
	if err != nil {
		return b24.Token{}, fmt.Errorf("b24 tokens: refresh %s: %w", memberID, err)
	}
	return out, nil
}

// SaveToken stores a fresh token for an installation (install, reinstall,
// new authorisation) and makes it active again.
func (s *TokenStore) SaveToken(ctx context.Context, q bun.IDB, memberID string, t b24.Token) error {
	in, err := InstallationByMemberID(ctx, q, memberID)
	if err != nil {
		return s.wrap(memberID, err)
	}
	if err := s.save(ctx, q, in.ID, memberID, t); err != nil {
		return err
	}
	_, err = q.NewUpdate().Model((*Installation)(nil)).
		Set("status = ?", StatusActive).Where("id = ?", in.ID).Where("status = ?", StatusReauth).Exec(ctx)
	return err
}

func (s *TokenStore) save(ctx context.Context, q bun.IDB, id int64, memberID string, t b24.Token) error {
	var expires *time.Time
	if !t.Expires.IsZero() {
		e := t.Expires.UTC()
		expires = &e
	}
	upd := q.NewUpdate().Model((*Installation)(nil)).
		Set("access_token = ?", s.enc.Seal([]byte(t.AccessToken), TokenAD(memberID, "access_token"))).
		Set("refresh_token = ?", s.enc.Seal([]byte(t.RefreshToken), TokenAD(memberID, "refresh_token"))).
		Set("expires_at = ?", expires).
		Set("updated_at = now()").
		Where("id = ?", id)
	if t.ClientEndpoint != "" {
		upd = upd.Set("client_endpoint = ?", t.ClientEndpoint)
	}
	if t.ServerEndpoint != "" {
		upd = upd.Set("server_endpoint = ?", t.ServerEndpoint)
	}
	if t.Scope != "" {
		upd = upd.Set("scope = ?", t.Scope)
	}
	if _, err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

// open turns a row into a token, or into the error its status means.
// Opened is the token in, an installation just read, holds: what Load
// would return for it, without reading it again.
func (s *TokenStore) Opened(in *Installation) (b24.Token, error) { return s.open(in) }

func (s *TokenStore) open(in *Installation) (b24.Token, error) {
	switch in.Status {
	case StatusReauth:
		return b24.Token{}, fmt.Errorf("b24 tokens: %s: %w", in.MemberID, b24.ErrReauthRequired)
	case StatusUninstalled, StatusPurged:
		return b24.Token{}, fmt.Errorf("b24 tokens: %s is %s: %w", in.MemberID, in.Status, b24.ErrPortalGone)
	}
	if in.AccessToken == nil || in.RefreshToken == nil {
		return b24.Token{}, fmt.Errorf("b24 tokens: %s has no OAuth tokens: %w", in.MemberID, b24.ErrNotFound)
	}
	access, err := s.enc.Open(in.AccessToken, TokenAD(in.MemberID, "access_token"))
	if err != nil {
		return b24.Token{}, fmt.Errorf("b24 tokens: %s: open access token: %w", in.MemberID, err)
	}
	refresh, err := s.enc.Open(in.RefreshToken, TokenAD(in.MemberID, "refresh_token"))
	if err != nil {
		return b24.Token{}, fmt.Errorf("b24 tokens: %s: open refresh token: %w", in.MemberID, err)
	}
	t := b24.Token{
		AccessToken:    string(access),
		RefreshToken:   string(refresh),
		ClientEndpoint: in.ClientEndpoint,
		ServerEndpoint: in.ServerEndpoint,
		MemberID:       in.MemberID,
		Scope:          in.Scope,
	}
	if in.ExpiresAt != nil {
		t.Expires = *in.ExpiresAt
	}
	if in.AuthUserID != nil {
		t.UserID = int(*in.AuthUserID)
	}
	return t, nil
}

func (s *TokenStore) wrap(memberID string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("b24 tokens: no installation %s: %w", memberID, b24.ErrNotFound)
	}
	return fmt.Errorf("b24 tokens: %s: %w", memberID, err)
}
