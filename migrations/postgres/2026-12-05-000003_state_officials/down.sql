DROP TABLE zip_state_districts;
DROP INDEX contacts_openstates_id;
ALTER TABLE contacts DROP COLUMN state_district;
ALTER TABLE contacts DROP COLUMN openstates_id;
