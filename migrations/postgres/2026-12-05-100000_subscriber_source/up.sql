-- Where a subscriber's consent came from ("Action Network export 2026-11", "signup form"),
-- kept with its date (confirmed_at) when a list is imported.
ALTER TABLE subscribers ADD COLUMN source TEXT NOT NULL DEFAULT '';
