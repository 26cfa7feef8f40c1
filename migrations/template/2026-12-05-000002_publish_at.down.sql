ALTER TABLE actions DROP COLUMN publish_at;
