-- A directory that corrects itself. Each number carries the date it was last checked (by
-- an import, from the imported file's date, or by an organizer); callers report problems
-- with a number, kept by contact and number (numbers are rewritten when a contact is
-- edited) until an organizer marks the number verified or changes it.
ALTER TABLE phones ADD COLUMN verified_at TIMESTAMP;
CREATE TABLE phone_reports (
    id __ID__,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    e164 TEXT NOT NULL,
    problem TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX phone_reports_open ON phone_reports(contact_id, e164) WHERE resolved_at IS NULL;
