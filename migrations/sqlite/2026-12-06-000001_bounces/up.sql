-- Bounces and complaints: each delivery status notification, complaint or provider webhook
-- (and each address given up on after permanent SMTP failures) is kept as an event, so the
-- soft-bounce rule ("3 within 14 days") is computable and organizers see why an address is
-- suppressed. Suppression itself is the subscriber's status 'bounced'.
CREATE TABLE bounce_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bounce_events_subscriber ON bounce_events(subscriber_id, created_at);
