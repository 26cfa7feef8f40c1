-- Sending rate shared by every sender of every process (MAIL_RATE_PER_SEC,
-- MAIL_RATE_PER_HOUR). One row per limit: `second` keeps in `mark` the next free sending
-- slot (microseconds since the epoch; senders reserve slots a batch at a time), `hour`
-- keeps in `mark` when the current hour's window began and in `used` how much of it is spent.
CREATE TABLE mail_rate (
    id __ID__,
    name TEXT NOT NULL UNIQUE,
    mark BIGINT NOT NULL DEFAULT 0,
    used BIGINT NOT NULL DEFAULT 0
);
INSERT INTO mail_rate (name, mark, used) VALUES ('second', 0, 0);
INSERT INTO mail_rate (name, mark, used) VALUES ('hour', 0, 0);
-- Pruning delivered messages by age.
CREATE INDEX outbox_sent_at ON outbox(sent_at) WHERE sent_at IS NOT NULL;
