// @generated from migrations/template by scripts/gen-schema.py; do not edit.
diesel::table! {
    organizers (id) {
        id -> Integer,
        email -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    organizer_sessions (id) {
        id -> Integer,
        token_hash -> Text,
        organizer_id -> Integer,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        organizer_id -> Integer,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        summary -> Text,
        body -> Text,
        status -> Text,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        timezone -> Nullable<Text>,
    }
}

diesel::table! {
    contacts (id) {
        id -> Integer,
        slug -> Text,
        kind -> Text,
        name -> Text,
        role -> Text,
        organisation -> Text,
        state -> Nullable<Text>,
        district -> Nullable<Integer>,
        party -> Nullable<Text>,
        email -> Nullable<Text>,
        contact_form_url -> Nullable<Text>,
        website_url -> Nullable<Text>,
        address -> Text,
        bioguide_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        openstates_id -> Nullable<Text>,
        state_district -> Nullable<Text>,
    }
}

diesel::table! {
    contact_offices (id) {
        id -> Integer,
        contact_id -> Integer,
        external_id -> Nullable<Text>,
        address -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        phone_e164 -> Nullable<Text>,
        fax_e164 -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
    }
}

diesel::table! {
    hotlines (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Text,
        hours -> Text,
        languages -> Text,
        audience -> Text,
        url -> Nullable<Text>,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    phones (id) {
        id -> Integer,
        contact_id -> Nullable<Integer>,
        hotline_id -> Nullable<Integer>,
        e164 -> Text,
        vanity -> Nullable<Text>,
        kind -> Text,
        note -> Text,
        position -> Integer,
        direct_e164 -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    actions (id) {
        id -> Integer,
        slug -> Text,
        campaign_id -> Integer,
        kind -> Text,
        title -> Text,
        summary -> Text,
        body -> Text,
        url -> Nullable<Text>,
        status -> Text,
        developing -> Bool,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        location -> Text,
        expires_at -> Nullable<Timestamp>,
        position -> Integer,
        published_at -> Nullable<Timestamp>,
        expired_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        publish_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    scripts (id) {
        id -> Integer,
        action_id -> Integer,
        lang -> Text,
        body -> Text,
    }
}

diesel::table! {
    action_tags (action_id, tag) {
        action_id -> Integer,
        tag -> Text,
    }
}

diesel::table! {
    action_links (id) {
        id -> Integer,
        action_id -> Integer,
        kind -> Text,
        title -> Text,
        url -> Text,
        position -> Integer,
    }
}

diesel::table! {
    action_targets (id) {
        id -> Integer,
        action_id -> Integer,
        kind -> Text,
        contact_id -> Nullable<Integer>,
        note -> Text,
        position -> Integer,
    }
}

diesel::table! {
    updates (id) {
        id -> Integer,
        campaign_id -> Integer,
        slug -> Text,
        title -> Text,
        body -> Text,
        published_at -> Timestamp,
        created_at -> Timestamp,
        organizer_id -> Nullable<Integer>,
    }
}

diesel::table! {
    update_actions (update_id, action_id) {
        update_id -> Integer,
        action_id -> Integer,
        relation -> Text,
    }
}

diesel::table! {
    changes (id) {
        id -> Integer,
        campaign_id -> Integer,
        action_id -> Nullable<Integer>,
        update_id -> Nullable<Integer>,
        kind -> Text,
        summary -> Text,
        fields -> Text,
        organizer_id -> Nullable<Integer>,
        actor -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revisions (id) {
        id -> Integer,
        entity -> Text,
        entity_id -> Integer,
        version -> Integer,
        snapshot -> Text,
        organizer_id -> Nullable<Integer>,
        actor -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        organizer_id -> Nullable<Integer>,
        actor -> Text,
        verb -> Text,
        entity -> Text,
        entity_id -> Nullable<Integer>,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subscribers (id) {
        id -> Integer,
        email -> Text,
        status -> Text,
        frequency -> Text,
        manage_token_hash -> Text,
        confirm_token_hash -> Nullable<Text>,
        last_change_id -> Integer,
        bounce_count -> Integer,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        unsubscribed_at -> Nullable<Timestamp>,
        last_sent_at -> Nullable<Timestamp>,
        source -> Text,
    }
}

diesel::table! {
    subscriber_campaigns (subscriber_id, campaign_id) {
        subscriber_id -> Integer,
        campaign_id -> Integer,
    }
}

diesel::table! {
    outbox (id) {
        id -> Integer,
        dedupe_key -> Text,
        subscriber_id -> Nullable<Integer>,
        kind -> Text,
        first_change_id -> Nullable<Integer>,
        last_change_id -> Nullable<Integer>,
        to_addr -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        headers -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        body_id -> Nullable<Integer>,
        manage_token -> Nullable<Text>,
    }
}

diesel::table! {
    digest_runs (id) {
        id -> Integer,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        composed -> Integer,
        sent -> Integer,
        failed -> Integer,
        pending -> Integer,
        worker -> Text,
    }
}

diesel::table! {
    zip_districts (zcta, state, district) {
        zcta -> Text,
        state -> Text,
        state_fips -> Text,
        district -> Integer,
    }
}

diesel::table! {
    outcomes (id) {
        id -> Integer,
        action_id -> Integer,
        contact_id -> Nullable<Integer>,
        outcome -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    digest_bodies (id) {
        id -> Integer,
        body_text -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subscriber_tokens (id) {
        id -> Integer,
        subscriber_id -> Integer,
        token_hash -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        legacy -> Bool,
    }
}

diesel::table! {
    phone_reports (id) {
        id -> Integer,
        contact_id -> Integer,
        e164 -> Text,
        problem -> Text,
        note -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        reporter -> Text,
    }
}

diesel::table! {
    zip_state_districts (id) {
        id -> Integer,
        zcta -> Text,
        state -> Text,
        state_fips -> Text,
        chamber -> Text,
        district -> Text,
    }
}

diesel::table! {
    bounce_events (id) {
        id -> Integer,
        subscriber_id -> Integer,
        kind -> Text,
        reason -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mail_rate (id) {
        id -> Integer,
        name -> Text,
        mark -> BigInt,
        used -> BigInt,
    }
}

diesel::joinable!(organizer_sessions -> organizers (organizer_id));
diesel::joinable!(api_tokens -> organizers (organizer_id));
diesel::joinable!(contact_offices -> contacts (contact_id));
diesel::joinable!(phones -> contacts (contact_id));
diesel::joinable!(phones -> hotlines (hotline_id));
diesel::joinable!(actions -> campaigns (campaign_id));
diesel::joinable!(scripts -> actions (action_id));
diesel::joinable!(action_tags -> actions (action_id));
diesel::joinable!(action_links -> actions (action_id));
diesel::joinable!(action_targets -> actions (action_id));
diesel::joinable!(action_targets -> contacts (contact_id));
diesel::joinable!(updates -> campaigns (campaign_id));
diesel::joinable!(updates -> organizers (organizer_id));
diesel::joinable!(update_actions -> updates (update_id));
diesel::joinable!(update_actions -> actions (action_id));
diesel::joinable!(changes -> campaigns (campaign_id));
diesel::joinable!(changes -> actions (action_id));
diesel::joinable!(changes -> updates (update_id));
diesel::joinable!(changes -> organizers (organizer_id));
diesel::joinable!(revisions -> organizers (organizer_id));
diesel::joinable!(audit_log -> organizers (organizer_id));
diesel::joinable!(subscriber_campaigns -> subscribers (subscriber_id));
diesel::joinable!(subscriber_campaigns -> campaigns (campaign_id));
diesel::joinable!(outbox -> subscribers (subscriber_id));
diesel::joinable!(outcomes -> actions (action_id));
diesel::joinable!(outcomes -> contacts (contact_id));
diesel::joinable!(outbox -> digest_bodies (body_id));
diesel::joinable!(subscriber_tokens -> subscribers (subscriber_id));
diesel::joinable!(phone_reports -> contacts (contact_id));
diesel::joinable!(bounce_events -> subscribers (subscriber_id));

diesel::allow_tables_to_appear_in_same_query!(
    action_links,
    action_tags,
    action_targets,
    actions,
    api_tokens,
    audit_log,
    bounce_events,
    campaigns,
    changes,
    contact_offices,
    contacts,
    digest_bodies,
    digest_runs,
    hotlines,
    mail_rate,
    organizer_sessions,
    organizers,
    outbox,
    outcomes,
    phone_reports,
    phones,
    revisions,
    scripts,
    settings,
    subscriber_campaigns,
    subscriber_tokens,
    subscribers,
    update_actions,
    updates,
    zip_districts,
    zip_state_districts,
);
