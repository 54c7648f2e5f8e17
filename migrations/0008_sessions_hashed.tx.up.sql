-- Sessions are now stored under a SHA-256 hash of their token (the column
-- keeps its name): the token itself never reaches the database. Rows stored
-- under a raw token can no longer be found; they are removed rather than
-- kept until they expire, and their pages open a new session on their own.
DELETE FROM sessions;
COMMENT ON COLUMN sessions.token IS 'hex SHA-256 of the session token';
