DROP INDEX outbox_sent_at;
DROP TABLE mail_rate;
