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
	AuthMode             AuthMode   `bun:"auth_mode"`
	AccessToken          []byte     `bun:"access_token"`
	RefreshToken         []byte     `bun:"refresh_token"`
	WebhookURL           []byte     `bun:"webhook_url"`
	ExpiresAt            *time.Time `bun:"expires_at"`
	Scope                string     `bun:"scope"`
	ApplicationTokenHash []byte     `bun:"application_token_hash"`
	AuthUserID           *int64     `bun:"auth_user_id"`
	AppVersion           int        `bun:"app_version"` // as app.info reported it at install or update
	Status               string     `bun:"status"`
	InstalledAt          time.Time  `bun:"installed_at"`
	UninstalledAt        *time.Time `bun:"uninstalled_at"`
	UpdatedAt            time.Time  `bun:"updated_at"`
}

// AuthMode is how Trail calls a portal.
type AuthMode string

// Auth modes.
const (
	// AuthOAuth: the marketplace app's grant, refreshed at the OAuth server.
	AuthOAuth AuthMode = "oauth"
	// AuthWebhook: a local integration's incoming webhook (trail connect).
	AuthWebhook AuthMode = "webhook"
)

// Binds reports whether the mode can bind event handlers and placements:
// the portal wants an application context for that, which a webhook lacks.
func (m AuthMode) Binds() bool { return m != AuthWebhook }

// NamesUser reports whether the online deliveries of the mode's portals
// carry the acting user's tokens: outgoing webhooks never do, so theirs
// cannot tell a person from a robot.
func (m AuthMode) NamesUser() bool { return m != AuthWebhook }

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

// tenantTables are every table holding a portal's data besides installations.
// A new tenant table must be added here, or purges will leave it behind (a
// test checks every table with a portal_id column is listed).
var tenantTables = []string{"inbox", "snapshots", "history", "sync_state", "portal_meta", "api_calls", "portal_settings", "sessions", "reverts", "bulk_revert_records", "bulk_reverts", "pending_extras"}

// TenantTables lists the tables PurgePortal empties for a portal.
func TenantTables() []string { return append([]string(nil), tenantTables...) }

// PurgePortal deletes the portal's data — every tenant row (the purge job
// deletes its River jobs in the same transaction) — and keeps a minimal installation row (member_id,
// domain, dates) as the record that it was installed and purged. It does
// nothing to a portal that is not uninstalled (a reinstall raced it). It
// returns how many rows it removed or changed.
func PurgePortal(ctx context.Context, q bun.IDB, portalID int64) (int64, error) {
	res, err := q.NewUpdate().Model((*Installation)(nil)).
		Set("status = ?", StatusPurged).
		Set("access_token = NULL, refresh_token = NULL, webhook_url = NULL, application_token_hash = NULL").
		Set("expires_at = NULL, updated_at = now()").
		Where("id = ?", portalID).
		Where("status IN (?)", bun.List([]string{StatusUninstalled, StatusPurged})).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge installation: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, nil
	}
	for _, t := range tenantTables {
		res, err := q.NewRaw("DELETE FROM ? WHERE portal_id = ?", bun.Ident(t), portalID).Exec(ctx)
		if err != nil {
			return 0, fmt.Errorf("purge %s: %w", t, err)
		}
		m, _ := res.RowsAffected()
		n += m
	}
	return n, nil
}

func notFound(err error) error {
	if errors.Is(err, errNoRows) {
		return ErrNotFound
	}
	return err
}

// InstallationByID loads an installation by its portal id.
func InstallationByID(ctx context.Context, q bun.IDB, id int64) (*Installation, error) {
	var in Installation
	if err := q.NewSelect().Model(&in).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &in, nil
}

// UpsertInstallation stores a verified installation: a new portal gets a row,
// a portal that installs again has its row updated in place (same id, so its
// history stays attached) and becomes active.
func UpsertInstallation(ctx context.Context, q bun.IDB, in *Installation) error {
	_, err := q.NewInsert().Model(in).
		ExcludeColumn("id", "installed_at", "updated_at", "uninstalled_at").
		On("CONFLICT (member_id) DO UPDATE").
		Set("domain = EXCLUDED.domain, client_endpoint = EXCLUDED.client_endpoint, server_endpoint = EXCLUDED.server_endpoint").
		Set("auth_mode = EXCLUDED.auth_mode, access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token").
		Set("webhook_url = EXCLUDED.webhook_url, expires_at = EXCLUDED.expires_at, scope = EXCLUDED.scope").
		Set("application_token_hash = EXCLUDED.application_token_hash, auth_user_id = EXCLUDED.auth_user_id, app_version = EXCLUDED.app_version").
		Set("status = EXCLUDED.status, uninstalled_at = NULL, updated_at = now()").
		Set("installed_at = CASE WHEN installation.status IN ('uninstalled', 'purged') THEN now() ELSE installation.installed_at END").
		Returning("id, installed_at, updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("upsert installation: %w", err)
	}
	return nil
}

// MarkUninstalled records an uninstall and destroys the tokens at once: they
// no longer work anyway, and a secret not kept cannot leak.
func MarkUninstalled(ctx context.Context, q bun.IDB, portalID int64) error {
	_, err := markUninstalled(q, portalID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark uninstalled: %w", err)
	}
	return nil
}

// MarkUninstalledIfGrant is MarkUninstalled for the grant that was found
// dead: it does nothing, and says so, when the installation stored another
// grant meanwhile (a reinstall or a new authorisation raced the check).
func MarkUninstalledIfGrant(ctx context.Context, q bun.IDB, portalID int64, refreshToken []byte) (bool, error) {
	res, err := markUninstalled(q, portalID).
		Where("refresh_token IS NOT DISTINCT FROM ?", refreshToken).
		Where("status NOT IN (?)", bun.List([]string{StatusUninstalled, StatusPurged})).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("mark uninstalled: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func markUninstalled(q bun.IDB, portalID int64) *bun.UpdateQuery {
	return q.NewUpdate().Model((*Installation)(nil)).
		Set("status = ?", StatusUninstalled).
		Set("access_token = NULL, refresh_token = NULL, webhook_url = NULL, expires_at = NULL").
		Set("uninstalled_at = now(), updated_at = now()").
		Where("id = ?", portalID)
}

// EnsureSettings creates the portal's settings row with the defaults.
func EnsureSettings(ctx context.Context, q bun.IDB, portalID int64) error {
	_, err := q.NewRaw("INSERT INTO portal_settings (portal_id) VALUES (?) ON CONFLICT DO NOTHING", portalID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("ensure settings: %w", err)
	}
	return nil
}

// MarkReauth records that the portal's grant is gone: its jobs stop calling
// it until an admin signs in again.
func MarkReauth(ctx context.Context, q bun.IDB, portalID int64) error {
	_, err := q.NewUpdate().Model((*Installation)(nil)).
		Set("status = ?", StatusReauth).Set("updated_at = now()").
		Where("id = ?", portalID).Where("status = ?", StatusActive).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark reauth: %w", err)
	}
	return nil
}

// InstallationByDomain finds an active installation by its portal's domain.
func InstallationByDomain(ctx context.Context, q bun.IDB, domain string) (*Installation, error) {
	var in Installation
	err := q.NewSelect().Model(&in).Where("domain = ?", domain).Where("status IN (?)", bun.List([]string{StatusActive, StatusReauth})).
		OrderExpr("updated_at DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return &in, nil
}
