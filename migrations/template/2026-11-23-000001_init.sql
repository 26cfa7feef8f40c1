-- actiondesk data model. The SQLite and PostgreSQL migrations are generated from one
-- template (see scripts/gen-migrations.sh): only the id column type differs.

CREATE TABLE organizers (
    id __ID__,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

CREATE TABLE organizer_sessions (
    id __ID__,
    token_hash TEXT NOT NULL UNIQUE,
    organizer_id INTEGER NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id __ID__,
    organizer_id INTEGER NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE campaigns (
    id __ID__,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE contacts (
    id __ID__,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    state TEXT,
    district INTEGER,
    party TEXT,
    email TEXT,
    contact_form_url TEXT,
    website_url TEXT,
    address TEXT NOT NULL DEFAULT '',
    bioguide_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contacts_state_district ON contacts(state, district);

CREATE TABLE contact_offices (
    id __ID__,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    external_id TEXT,
    address TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    zip TEXT NOT NULL DEFAULT '',
    phone_e164 TEXT,
    fax_e164 TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION
);
CREATE INDEX contact_offices_contact ON contact_offices(contact_id);

CREATE TABLE hotlines (
    id __ID__,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    hours TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL DEFAULT '',
    url TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A phone number belongs to a contact or to a hotline.
CREATE TABLE phones (
    id __ID__,
    contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
    hotline_id INTEGER REFERENCES hotlines(id) ON DELETE CASCADE,
    e164 TEXT NOT NULL,
    vanity TEXT,
    kind TEXT NOT NULL DEFAULT 'main',
    note TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    CHECK ((contact_id IS NULL) <> (hotline_id IS NULL))
);
CREATE INDEX phones_contact ON phones(contact_id);
CREATE INDEX phones_hotline ON phones(hotline_id);

CREATE TABLE actions (
    id __ID__,
    slug TEXT NOT NULL UNIQUE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    url TEXT,
    status TEXT NOT NULL DEFAULT 'draft',
    developing BOOLEAN NOT NULL DEFAULT FALSE,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    location TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP,
    position INTEGER NOT NULL DEFAULT 0,
    published_at TIMESTAMP,
    expired_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX actions_campaign ON actions(campaign_id, position);
CREATE INDEX actions_status_expires ON actions(status, expires_at);

-- Scripts per action and language; `en` is the default shown as `script`.
CREATE TABLE scripts (
    id __ID__,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (action_id, lang)
);

CREATE TABLE action_tags (
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (action_id, tag)
);

-- Links and sources of an action: `kind` is 'link' or 'source'.
CREATE TABLE action_links (
    id __ID__,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'source',
    title TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX action_links_action ON action_links(action_id);

-- Whom an action asks you to contact: a named contact, or the visitor's senators /
-- representative resolved by ZIP.
CREATE TABLE action_targets (
    id __ID__,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX action_targets_action ON action_targets(action_id);

-- Dated campaign updates ("5/29 Update").
CREATE TABLE updates (
    id __ID__,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    organizer_id INTEGER REFERENCES organizers(id) ON DELETE SET NULL
);
CREATE INDEX updates_campaign ON updates(campaign_id, published_at);

-- The actions an update added or changed: relation is 'added' or 'changed'.
CREATE TABLE update_actions (
    update_id INTEGER NOT NULL REFERENCES updates(id) ON DELETE CASCADE,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    relation TEXT NOT NULL,
    PRIMARY KEY (update_id, action_id)
);

-- The change log: one row per change to published content and per update posted.
-- Digests, feeds and badges read only this. `fields` is a JSON array of
-- {"field", "old", "new"}. Rows are appended in id order (see db/changes.rs).
CREATE TABLE changes (
    id __ID__,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    action_id INTEGER REFERENCES actions(id) ON DELETE CASCADE,
    update_id INTEGER REFERENCES updates(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '[]',
    organizer_id INTEGER REFERENCES organizers(id) ON DELETE SET NULL,
    actor TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX changes_campaign ON changes(campaign_id, id);
CREATE INDEX changes_action ON changes(action_id, id);

-- Every version of everything organizers edit, as a JSON snapshot.
CREATE TABLE revisions (
    id __ID__,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    organizer_id INTEGER REFERENCES organizers(id) ON DELETE SET NULL,
    actor TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (entity, entity_id, version)
);

-- Who did what and when, with a readable before/after (JSON).
CREATE TABLE audit_log (
    id __ID__,
    organizer_id INTEGER REFERENCES organizers(id) ON DELETE SET NULL,
    actor TEXT NOT NULL DEFAULT '',
    verb TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log(created_at);

CREATE TABLE subscribers (
    id __ID__,
    email TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    frequency TEXT NOT NULL DEFAULT 'immediate',
    manage_token_hash TEXT NOT NULL UNIQUE,
    confirm_token_hash TEXT UNIQUE,
    last_change_id INTEGER NOT NULL DEFAULT 0,
    bounce_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    unsubscribed_at TIMESTAMP,
    last_sent_at TIMESTAMP
);
CREATE INDEX subscribers_status ON subscribers(status, frequency);

-- Campaigns a subscriber follows; none means all.
CREATE TABLE subscriber_campaigns (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, campaign_id)
);

-- The transactional outbox: a message is recorded under a unique key before it is sent.
CREATE TABLE outbox (
    id __ID__,
    dedupe_key TEXT NOT NULL UNIQUE,
    subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    first_change_id INTEGER,
    last_change_id INTEGER,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE digest_runs (
    id __ID__,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    composed INTEGER NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0,
    worker TEXT NOT NULL DEFAULT ''
);

-- ZIP code tabulation area to congressional district (119th Congress); 0 = at large.
CREATE TABLE zip_districts (
    zcta TEXT NOT NULL,
    state TEXT NOT NULL,
    state_fips TEXT NOT NULL DEFAULT '',
    district INTEGER NOT NULL,
    PRIMARY KEY (zcta, state, district)
);

-- "I called" outcomes, counted per action and target.
CREATE TABLE outcomes (
    id __ID__,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    outcome TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outcomes_action ON outcomes(action_id, contact_id);

-- Small named values: the content version every write bumps, the demo marker.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
