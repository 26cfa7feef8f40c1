-- A digest is rendered once for everyone who gets the same one (same changes, campaigns and
-- frequency) and stored here once; each outbox row names its body and carries the token
-- that goes in the body's slots, so a run of 100,000 digests does not write 100,000 copies.
-- The token is cleared once the message has been sent or given up.
CREATE TABLE digest_bodies (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
ALTER TABLE outbox ADD COLUMN body_id INTEGER REFERENCES digest_bodies(id);
ALTER TABLE outbox ADD COLUMN manage_token TEXT;
-- Composing pages through the due subscribers in id order: this index lets each page start
-- where the last ended instead of sorting every remaining subscriber.
CREATE INDEX subscribers_due ON subscribers(status, id);
