ALTER TABLE subscribers DROP COLUMN source;
