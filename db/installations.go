package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("db: not found")

// Installation is one portal's installation of Trail. Secrets are sealed
// bytes; the secret package opens them.
type Installation struct {
	bun.BaseModel `bun:"table:installations"`

	ID                   int64      `bun:"id,pk,autoincrement"`
	MemberID             string     `bun:"member_id"`
	Domain               string     `bun:"domain"`
	ClientEndpoint       string     `bun:"client_endpoint"`
	ServerEndpoint       string     `bun:"server_endpoint"`
	AuthMode             string     `bun:"auth_mode"`
	AccessToken          []byte     `bun:"access_token"`
	RefreshToken         []byte     `bun:"refresh_token"`
	WebhookURL           []byte     `bun:"webhook_url"`
	ExpiresAt            *time.Time `bun:"expires_at"`
	Scope                string     `bun:"scope"`
	ApplicationTokenHash []byte     `bun:"application_token_hash"`
	AuthUserID           *int64     `bun:"auth_user_id"`
	Status               string     `bun:"status"`
	InstalledAt          time.Time  `bun:"installed_at"`
	UninstalledAt        *time.Time `bun:"uninstalled_at"`
	UpdatedAt            time.Time  `bun:"updated_at"`
}

// Installation statuses.
const (
	StatusPending     = "pending"
	StatusActive      = "active"
	StatusReauth      = "reauth"
	StatusUninstalled = "uninstalled"
	StatusPurged      = "purged"
)

// InstallationByMemberID loads the installation of a portal.
func InstallationByMemberID(ctx context.Context, q bun.IDB, memberID string) (*Installation, error) {
	var in Installation
	err := q.NewSelect().Model(&in).Where("member_id = ?", memberID).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return &in, nil
}

// PurgePortal deletes the portal's data and keeps a minimal installation row
// (member_id, domain, dates) as the record that it was installed and purged.
// It does nothing to a portal that is not uninstalled (a reinstall raced it).
// It returns how many rows it changed.
func PurgePortal(ctx context.Context, q bun.IDB, portalID int64) (int64, error) {
	res, err := q.NewUpdate().Model((*Installation)(nil)).
		Set("status = ?", StatusPurged).
		Set("access_token = NULL, refresh_token = NULL, webhook_url = NULL, application_token_hash = NULL").
		Set("expires_at = NULL, updated_at = now()").
		Where("id = ?", portalID).
		Where("status IN (?)", bun.In([]string{StatusUninstalled, StatusPurged})).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge installation: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func notFound(err error) error {
	if errors.Is(err, errNoRows) {
		return ErrNotFound
	}
	return err
}
