DROP INDEX outbox_subscriber;
DROP TABLE subscriber_tokens;
