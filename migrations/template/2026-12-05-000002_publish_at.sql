-- When a draft publishes itself (UTC); NULL: only when an organizer publishes it.
ALTER TABLE actions ADD COLUMN publish_at TIMESTAMP;
