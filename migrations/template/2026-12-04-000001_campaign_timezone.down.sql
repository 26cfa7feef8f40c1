ALTER TABLE campaigns DROP COLUMN timezone;
