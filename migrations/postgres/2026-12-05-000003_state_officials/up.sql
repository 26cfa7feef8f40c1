-- State and local officials from Open States: their person id (ocd-person/…) and their
-- state district by name ("Chittenden-1", "Ward 4"), beside Congress's numbered district.
ALTER TABLE contacts ADD COLUMN openstates_id TEXT;
ALTER TABLE contacts ADD COLUMN state_district TEXT;
CREATE UNIQUE INDEX contacts_openstates_id ON contacts(openstates_id);

-- ZIP code tabulation area → state legislative district, per chamber (upper or lower);
-- a ZCTA split between districts has several rows.
CREATE TABLE zip_state_districts (
    id SERIAL PRIMARY KEY,
    zcta TEXT NOT NULL,
    state TEXT NOT NULL,
    state_fips TEXT NOT NULL,
    chamber TEXT NOT NULL,
    district TEXT NOT NULL
);
CREATE UNIQUE INDEX zip_state_districts_key ON zip_state_districts(chamber, zcta, state, district);
