-- Each campaign's time zone (an IANA name); empty means DIGEST_TIMEZONE.
ALTER TABLE campaigns ADD COLUMN timezone TEXT;
