DROP TABLE bounce_events;
