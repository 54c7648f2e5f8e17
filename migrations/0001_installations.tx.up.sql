-- One row per portal that ever installed Trail. Its id is the portal key that
-- every other tenant table carries; member_id is Bitrix24's stable portal id.
CREATE TABLE installations (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id              text        NOT NULL UNIQUE CHECK (member_id <> ''),
    domain                 text        NOT NULL,
    client_endpoint        text        NOT NULL,
    server_endpoint        text        NOT NULL DEFAULT '',
    -- 'oauth': a marketplace installation with rotating tokens;
    -- 'webhook': a local integration calling an incoming webhook.
    auth_mode              text        NOT NULL DEFAULT 'oauth' CHECK (auth_mode IN ('oauth', 'webhook')),
    -- Secrets are sealed with AES-GCM (key id inside the bytes), never plain.
    access_token           bytea,
    refresh_token          bytea,
    webhook_url            bytea,
    expires_at             timestamptz,
    scope                  text        NOT NULL DEFAULT '',
    -- Only a hash: the token proves that events come from this portal.
    application_token_hash bytea,
    auth_user_id           bigint,
    status                 text        NOT NULL DEFAULT 'active'
                           CHECK (status IN ('pending', 'active', 'reauth', 'uninstalled', 'purged')),
    installed_at           timestamptz NOT NULL DEFAULT now(),
    uninstalled_at         timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Token upkeep scans active installations by token age.
CREATE INDEX installations_expires_idx ON installations (expires_at) WHERE status = 'active';
