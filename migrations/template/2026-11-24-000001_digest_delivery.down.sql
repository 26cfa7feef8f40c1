DROP INDEX subscribers_due;
ALTER TABLE outbox DROP COLUMN manage_token;
ALTER TABLE outbox DROP COLUMN body_id;
DROP TABLE digest_bodies;
