-- Leases: with several control-plane replicas on one database, the holder of a lease is the only
-- one that does the leased job (the worker reconciler). Rows exist from the start, so taking a
-- lease is one conditional UPDATE: no insert race between replicas.
CREATE TABLE leases (
    name        VARCHAR(100)  PRIMARY KEY,
    holder      VARCHAR(200)  NOT NULL,
    expires_at  BIGINT        NOT NULL
);
INSERT INTO leases (name, holder, expires_at) VALUES ('reconciler', '', 0);
