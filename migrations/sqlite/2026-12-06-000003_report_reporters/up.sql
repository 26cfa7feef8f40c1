-- Who reported, as a keyed hash of the client's address that cannot be read back: a
-- number is flagged by reports from several callers, not by one caller reporting again.
-- Reports filed before this count as one caller each.
ALTER TABLE phone_reports ADD COLUMN reporter TEXT NOT NULL DEFAULT '';
UPDATE phone_reports SET reporter = 'before-' || id;
