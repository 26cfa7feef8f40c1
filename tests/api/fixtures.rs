//! Test data made straight through the library — campaigns, contacts and actions a test
//! needs in place before it drives the app. One set, shared by every module that needs one.

use actiondesk::db::actions::{self, Action, ActionInput, ScriptInput, TargetInput};
use actiondesk::db::campaigns::{self, CampaignInput};
use actiondesk::db::contacts::{ContactInput, PhoneInput};
use actiondesk::db::{self, Actor, DbConn};
use actiondesk::domain::text::Checked;
use actiondesk::domain::{
    ActionKind, ContactKind, PhoneKind, PhoneNumber, Slug, TargetKind, Transition,
};

/// The organizer every fixture change is recorded as.
pub const ORGANIZER: &str = "tester@example.org";

/// [`ORGANIZER`], acting now.
pub fn organizer() -> Actor {
    Actor {
        organizer_id: None,
        name: ORGANIZER.into(),
        at: db::now(),
    }
}

/// Creates a campaign; returns its id.
pub fn campaign(conn: &mut DbConn, slug: &str, title: &str) -> db::Result<i32> {
    let input = CampaignInput {
        slug: Slug::parse(slug).unwrap(),
        title: title.checked(),
        summary: "A campaign for tests".checked(),
        body: Default::default(),
        timezone: None,
    };
    Ok(campaigns::create(conn, &input, &organizer())?.id)
}

/// A call to action with a script and a tag, and no one to call yet.
pub fn action(campaign_id: i32, title: &str) -> ActionInput {
    ActionInput {
        summary: "Call them".checked(),
        body: "Because it matters.".checked(),
        scripts: vec![ScriptInput {
            lang: "en".checked(),
            body: "Hello [REP NAME]".checked(),
        }],
        tags: vec!["phone".checked()],
        ..ActionInput::new(campaign_id, ActionKind::Call, title.checked())
    }
}

/// [`action`], asking people to call the contact `contact_id`.
pub fn calling(campaign_id: i32, title: &str, contact_id: i32) -> ActionInput {
    ActionInput {
        targets: vec![TargetInput {
            kind: TargetKind::Contact,
            contact_id: Some(contact_id),
            note: Default::default(),
        }],
        ..action(campaign_id, title)
    }
}

/// An agency with one main number.
pub fn contact(slug: &str, name: &str, number: &str) -> ContactInput {
    ContactInput {
        slug: Slug::parse(slug).unwrap(),
        kind: ContactKind::Agency,
        name: name.checked(),
        role: Default::default(),
        organisation: Default::default(),
        state: None,
        district: None,
        party: None,
        email: None,
        contact_form_url: None,
        website_url: None,
        address: Default::default(),
        bioguide_id: None,
        openstates_id: None,
        state_district: None,
        phones: vec![PhoneInput {
            number: PhoneNumber::parse(number).unwrap(),
            kind: PhoneKind::Main,
            note: Default::default(),
            direct: None,
        }],
    }
}

/// Creates the action and publishes it (call inside a write transaction).
pub fn published(conn: &mut DbConn, input: &ActionInput) -> db::Result<Action> {
    let a = actions::create(conn, input, None, &organizer())?;
    actions::transition(conn, a.id, Transition::Publish, &organizer())
}
