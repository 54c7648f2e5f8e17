-- scs sessions of people using Trail inside a portal's iframe. The token
-- travels in a request header (never a cookie); portal_id lets a purge take
-- a portal's sessions with its other data.
CREATE TABLE sessions (
    token     text PRIMARY KEY,
    data      bytea       NOT NULL,
    expiry    timestamptz NOT NULL,
    portal_id bigint
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
CREATE INDEX sessions_portal_idx ON sessions (portal_id);
