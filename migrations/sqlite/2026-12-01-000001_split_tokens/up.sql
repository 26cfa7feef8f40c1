-- Tokens in email links become "<row id: 16 hex digits><verifier: 48 hex digits>": a link is
-- found by its row id and checked against the hash of its verifier, so making a token (one
-- per email, 100,000 in a digest run of 100,000) appends to the table instead of inserting
-- into an index on a random key. Tokens made before (whose whole value was hashed) keep
-- working: they are marked legacy, and only they are in the hash index.
CREATE TABLE subscriber_tokens_split (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT 'manage',
    created_at TIMESTAMP NOT NULL,
    legacy BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO subscriber_tokens_split (subscriber_id, token_hash, purpose, created_at, legacy)
    SELECT subscriber_id, token_hash, purpose, created_at, TRUE FROM subscriber_tokens
    ORDER BY id;
DROP TABLE subscriber_tokens;
ALTER TABLE subscriber_tokens_split RENAME TO subscriber_tokens;
CREATE INDEX subscriber_tokens_subscriber ON subscriber_tokens(subscriber_id);
CREATE UNIQUE INDEX subscriber_tokens_legacy ON subscriber_tokens(token_hash) WHERE legacy;
