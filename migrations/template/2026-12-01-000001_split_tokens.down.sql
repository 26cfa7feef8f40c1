CREATE TABLE subscriber_tokens_whole (
    id __ID__,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL DEFAULT 'manage',
    created_at TIMESTAMP NOT NULL
);
-- Only legacy tokens can be checked without the split format.
INSERT INTO subscriber_tokens_whole (subscriber_id, token_hash, purpose, created_at)
    SELECT subscriber_id, token_hash, purpose, created_at FROM subscriber_tokens WHERE legacy
    ORDER BY id;
DROP TABLE subscriber_tokens;
ALTER TABLE subscriber_tokens_whole RENAME TO subscriber_tokens;
CREATE INDEX subscriber_tokens_subscriber ON subscriber_tokens(subscriber_id);
