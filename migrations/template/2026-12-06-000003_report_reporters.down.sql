ALTER TABLE phone_reports DROP COLUMN reporter;
