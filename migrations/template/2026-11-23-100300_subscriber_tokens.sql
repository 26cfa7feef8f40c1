-- Links in emails carry a random token stored only as its hash. Each email gets its own
-- `manage` token (preferences, unsubscribe), so a subscriber has many; a `confirm` token is
-- made per confirmation email, and lapses 7 days after `created_at`.
CREATE TABLE subscriber_tokens (
    id __ID__,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL DEFAULT 'manage',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX subscriber_tokens_subscriber ON subscriber_tokens(subscriber_id);
CREATE INDEX outbox_subscriber ON outbox(subscriber_id, status);
