-- The Bitrix24 client's leaky buckets, one row per portal key, shared by every
-- process that calls that portal (db/b24_bucket.go). tat is the instant the
-- bucket would be empty again (unix seconds); burst and drain are the portal's
-- plan. UNLOGGED: a crash forgets the buckets, which costs at most one
-- QUERY_LIMIT_EXCEEDED before the client marks the bucket full again, and
-- spares a WAL write on every REST request.
CREATE UNLOGGED TABLE IF NOT EXISTS b24_buckets (
    portal      text             PRIMARY KEY,
    burst       integer          NOT NULL CHECK (burst > 0),
    drain       double precision NOT NULL CHECK (drain > 0),
    tat         double precision NOT NULL,
    -- the transaction that made the last reservation: lets one statement
    -- tell its caller whether it reserved or only looked
    reserved_by xid8
);
