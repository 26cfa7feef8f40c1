-- A toll-free number's direct (not toll-free) alternative, for callers abroad: E.164, or
-- NULL where none is known.
ALTER TABLE phones ADD COLUMN direct_e164 TEXT;
