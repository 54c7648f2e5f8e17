package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionStore keeps scs sessions in the sessions table, tagged with the
// portal they belong to (taken from the context, see WithPortal) so that a
// portal's purge removes them. It implements scs.CtxStore. Rows are keyed
// by a hash of the session token: the token itself never reaches the
// database, so a copy of the table opens no session.
type SessionStore struct{ db *DB }

// sessionKey is the stored key of a session token.
func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewSessionStore returns the store.
func NewSessionStore(d *DB) *SessionStore { return &SessionStore{db: d} }

type portalKey struct{}

// WithPortal marks ctx as belonging to a portal's request, for the store.
func WithPortal(ctx context.Context, portalID int64) context.Context {
	return context.WithValue(ctx, portalKey{}, portalID)
}

func portalOf(ctx context.Context) *int64 {
	if id, ok := ctx.Value(portalKey{}).(int64); ok {
		return &id
	}
	return nil
}

// FindCtx returns the data of an unexpired session.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.Pool.QueryRow(ctx, "SELECT data FROM sessions WHERE token = $1 AND now() < expiry", sessionKey(token)).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// CommitCtx stores a session.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry, portal_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry,
		portal_id = COALESCE(EXCLUDED.portal_id, sessions.portal_id)`, sessionKey(token), b, expiry.UTC(), portalOf(ctx))
	return err
}

// DeleteCtx removes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.Pool.Exec(ctx, "DELETE FROM sessions WHERE token = $1", sessionKey(token))
	return err
}

// AllCtx is not needed by Trail; scs calls it only from Iterate.
func (s *SessionStore) AllCtx(ctx context.Context) (map[string][]byte, error) {
	return nil, errors.New("sessions: listing all sessions is not supported")
}

// The context-free methods exist because scs.Store requires them; scs calls
// the Ctx variants when a store has them.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// PruneSessions deletes expired sessions.
func PruneSessions(ctx context.Context, d *DB) (int64, error) {
	tag, err := d.Pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < now()")
	return tag.RowsAffected(), err
}
