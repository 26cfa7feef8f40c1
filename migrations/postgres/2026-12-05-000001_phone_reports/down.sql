DROP TABLE phone_reports;
ALTER TABLE phones DROP COLUMN verified_at;
