//! The demo campaign: the 2018 "#WhereAreTheChildren: How to help" posts, in our own
//! words, with their real dates. Loaded through the same `db` functions organizers use, so
//! the change log, revisions and audit log read as if it had been run live in 2018.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::actions::{self, ActionInput, LinkInput, ScriptInput, TargetInput};
use crate::db::campaigns::{self, CampaignInput};
use crate::db::contacts::{self, ContactInput, HotlineInput, PhoneInput};
use crate::db::updates::{self, Relation, UpdateInput};
use crate::db::{self, Actor, DbConn};
use crate::domain::{
    text::Checked, ActionKind, ContactKind, LinkKind, PhoneKind, PhoneNumber, Slug, TargetKind,
    Transition, Zone,
};

/// The demo campaign's slug.
pub const CAMPAIGN_SLUG: &str = "where-are-the-children";

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .expect("valid demo date")
}

fn actor(t: NaiveDateTime) -> Actor {
    Actor {
        organizer_id: None,
        name: "demo".into(),
        at: t,
    }
}

fn phone(number: &str, kind: PhoneKind, note: &str) -> PhoneInput {
    PhoneInput {
        number: PhoneNumber::parse(number).expect("demo numbers are valid"),
        kind,
        note: note.checked(),
        direct: None,
    }
}

/// A toll-free number with the direct line its owner publishes for callers abroad.
fn toll_free_with_direct(number: &str, direct: &str) -> PhoneInput {
    PhoneInput {
        direct: Some(Some(
            PhoneNumber::parse(direct).expect("demo numbers are valid"),
        )),
        ..phone(number, PhoneKind::TollFree, "")
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("demo slugs are valid")
}

struct Agency<'a> {
    slug: &'a str,
    kind: ContactKind,
    name: &'a str,
    role: &'a str,
    organisation: &'a str,
    website: &'a str,
    phones: Vec<PhoneInput>,
}

fn contact(conn: &mut DbConn, a: Agency, t: &Actor) -> db::Result<i32> {
    let input = ContactInput {
        slug: slug(a.slug),
        kind: a.kind,
        name: a.name.checked(),
        role: a.role.checked(),
        organisation: a.organisation.checked(),
        state: None,
        district: None,
        party: None,
        email: None,
        contact_form_url: None,
        website_url: Some(a.website.checked()),
        address: Default::default(),
        bioguide_id: None,
        openstates_id: None,
        state_district: None,
        phones: a.phones,
    };
    Ok(contacts::upsert(conn, &input, t)?.0.id)
}

fn base(campaign_id: i32, kind: ActionKind, title: &str, summary: &str, body: &str) -> ActionInput {
    ActionInput {
        summary: summary.checked(),
        body: body.checked(),
        ..ActionInput::new(campaign_id, kind, title.checked())
    }
}

fn source(title: &str, url: &str) -> LinkInput {
    LinkInput {
        kind: LinkKind::Source,
        title: title.checked(),
        url: url.checked(),
    }
}

fn named(contact_id: i32, note: &str) -> TargetInput {
    TargetInput {
        kind: TargetKind::Contact,
        contact_id: Some(contact_id),
        note: note.checked(),
    }
}

fn post(conn: &mut DbConn, slug_: &str, input: ActionInput, t: NaiveDateTime) -> db::Result<i32> {
    let a = actions::create(conn, &input, Some(slug(slug_)), &actor(t))?;
    actions::transition(conn, a.id, Transition::Publish, &actor(t))?;
    Ok(a.id)
}

/// Loads the demo campaign in one transaction; returns false (changing nothing) when it is
/// already there.
pub fn load(conn: &mut DbConn) -> db::Result<bool> {
    db::write_tx(conn, |conn| {
        if campaigns::find(conn, CAMPAIGN_SLUG)?.is_some() {
            return Ok(false);
        }
        load_inner(conn)?;
        Ok(true)
    })
}

const CONGRESS_SCRIPT_EN: &str =
    "Hello, my name is [YOUR NAME] and I am a constituent from [CITY, ZIP]. \
I am outraged by how our government is treating children at the border. \
What is [SENATOR NAME] / [REP NAME] doing about this? Thank you.";
const CONGRESS_SCRIPT_ES: &str = "Hola, me llamo [YOUR NAME] y soy constituyente de [CITY, ZIP]. \
Estoy indignado/a por cómo nuestro gobierno trata a los niños en la frontera. \
¿Qué está haciendo [SENATOR NAME] / [REP NAME] al respecto? Gracias.";

fn load_inner(conn: &mut DbConn) -> db::Result<()> {
    let t0 = at(2018, 5, 27, 14, 0);
    let campaign = campaigns::create(
        conn,
        &CampaignInput {
            slug: slug(CAMPAIGN_SLUG),
            title: "#WhereAreTheChildren: How to help".checked(),
            summary: "Children are being taken from their parents at the U.S. border. Here is what you can do, \
                      who to call, and what to say — kept current, with sources and dates."
                .checked(),
            body: "In May 2018 many people learned that the U.S. government was separating children from \
their parents at the border, and that the Office of Refugee Resettlement (ORR) had lost track of \
children it had released to sponsors. Volunteers wrote \"how to help\" posts and revised them by hand \
as news broke.\n\nThis campaign gathers those calls to action in one place. Every action lists its \
sources; every change is dated and kept, so you can see what changed since you last looked."
                .checked(),
            timezone: Some(Zone::parse("America/New_York").expect("an IANA zone")),
        },
        &actor(t0),
    )?;
    let cid = campaign.id;

    // Contacts.
    let ice = contact(
        conn,
        Agency {
            slug: "ice",
            kind: ContactKind::Agency,
            name: "U.S. Immigration and Customs Enforcement (ICE)",
            role: "Public line",
            organisation: "Department of Homeland Security",
            website: "https://www.ice.gov/",
            phones: vec![phone("1-866-DHS-2-ICE", PhoneKind::TollFree, "")],
        },
        &actor(t0),
    )?;
    let orr = contact(
        conn,
        Agency {
            slug: "orr-director",
            kind: ContactKind::Agency,
            name: "Office of Refugee Resettlement, Director's office",
            role: "Director",
            organisation: "Department of Health and Human Services",
            website: "https://www.acf.hhs.gov/orr",
            phones: vec![phone("202-401-9246", PhoneKind::Main, "")],
        },
        &actor(t0),
    )?;
    let switchboard = contact(
        conn,
        Agency {
            slug: "capitol-switchboard",
            kind: ContactKind::Agency,
            name: "U.S. Capitol Switchboard",
            role: "Connects you to any Senate or House office",
            organisation: "U.S. Congress",
            website: "https://www.congress.gov/members",
            phones: vec![phone(
                "202-224-3121",
                PhoneKind::Main,
                "Ask for your Senator or Representative by name.",
            )],
        },
        &actor(t0),
    )?;
    let t529 = at(2018, 5, 29, 9, 0);
    let ohchr = contact(
        conn,
        Agency {
            slug: "un-ohchr",
            kind: ContactKind::International,
            name: "UN Office of the High Commissioner for Human Rights (OHCHR)",
            role: "Geneva office",
            organisation: "United Nations",
            website: "https://www.ohchr.org/",
            phones: vec![phone(
                "+41 22 917 9220",
                PhoneKind::Main,
                "Geneva, Switzerland",
            )],
        },
        &actor(t529),
    )?;
    let officials: Vec<(&str, &str, &str, &str, &str)> = vec![
        (
            "white-house-comments",
            "The White House comment line",
            "President",
            "https://www.whitehouse.gov/",
            "202-456-1111",
        ),
        (
            "dhs-comments",
            "Department of Homeland Security comment line",
            "Secretary of Homeland Security",
            "https://www.dhs.gov/",
            "202-282-8495",
        ),
        (
            "doj-comments",
            "Department of Justice comment line",
            "Attorney General",
            "https://www.justice.gov/",
            "202-353-1555",
        ),
        (
            "hhs",
            "Department of Health and Human Services",
            "Secretary of Health and Human Services",
            "https://www.hhs.gov/",
            "1-877-696-6775",
        ),
        (
            "cbp-info",
            "U.S. Customs and Border Protection information center",
            "Commissioner of CBP",
            "https://www.cbp.gov/",
            "1-877-227-5511",
        ),
        (
            "senate-judiciary",
            "Senate Judiciary Committee",
            "Chair",
            "https://www.judiciary.senate.gov/",
            "202-224-5225",
        ),
        (
            "house-judiciary",
            "House Judiciary Committee",
            "Chair",
            "https://judiciary.house.gov/",
            "202-225-3951",
        ),
    ];
    let mut official_ids = Vec::new();
    for (s, name, role, web, number) in officials {
        let kind = if PhoneNumber::parse(number).is_ok_and(|p| p.is_toll_free()) {
            PhoneKind::TollFree
        } else {
            PhoneKind::Main
        };
        official_ids.push(contact(
            conn,
            Agency {
                slug: s,
                kind: ContactKind::Agency,
                name,
                role,
                organisation: "U.S. government",
                website: web,
                phones: vec![match s {
                    // CBP publishes a number for callers outside the U.S. beside its
                    // toll-free information center.
                    "cbp-info" => toll_free_with_direct(number, "202-325-8000"),
                    _ => phone(number, kind, ""),
                }],
            },
            &actor(t529),
        )?);
    }

    // The first post's actions.
    let mut congress = base(
        cid,
        ActionKind::Call,
        "Call your two U.S. Senators and your Representative",
        "Three short calls: tell the people who represent you that you are outraged, and ask what they are doing.",
        "Your Senators and Representative answer to you. Calls to their offices are counted and \
reported to them daily. Be brief and polite; staff note your ZIP code and your position.\n\n\
If you don't know who represents you, enter your ZIP code, or call the Capitol switchboard and ask \
for your Senator or Representative by name.",
    );
    congress.scripts = vec![
        ScriptInput {
            lang: "en".checked(),
            body: CONGRESS_SCRIPT_EN.checked(),
        },
        ScriptInput {
            lang: "es".checked(),
            body: CONGRESS_SCRIPT_ES.checked(),
        },
    ];
    congress.targets = vec![
        TargetInput {
            kind: TargetKind::VisitorSenators,
            contact_id: None,
            note: Default::default(),
        },
        TargetInput {
            kind: TargetKind::VisitorRepresentative,
            contact_id: None,
            note: Default::default(),
        },
        named(
            switchboard,
            "If you don't know who represents you, the switchboard will connect you.",
        ),
    ];
    congress.tags = vec!["congress".checked(), "phone".checked()];
    congress.links = vec![source(
        "U.S. House: find your representative",
        "https://www.house.gov/representatives/find-your-representative",
    )];
    post(conn, "call-your-senators-and-representative", congress, t0)?;

    let mut petition = base(
        cid,
        ActionKind::Petition,
        "Sign the ACLU petition to stop the abuse of immigrant children",
        "Add your name to the ACLU's petition to the Commissioner of U.S. Customs and Border Protection.",
        "The American Civil Liberties Union is petitioning the Commissioner of U.S. Customs and Border \
Protection to end the abuse of immigrant children in its custody, after reports of children mistreated \
by border agents.",
    );
    petition.url = Some("https://action.aclu.org/".checked());
    petition.tags = vec!["petition".checked()];
    petition.links = vec![source(
        "American Civil Liberties Union",
        "https://www.aclu.org/",
    )];
    post(
        conn,
        "sign-the-aclu-petition",
        petition,
        at(2018, 5, 27, 14, 5),
    )?;

    let mut call_ice = base(
        cid,
        ActionKind::Call,
        "Call ICE at 1-866-DHS-2-ICE",
        "Ask U.S. Immigration and Customs Enforcement where the children separated from their parents are.",
        "Call ICE's public line and ask what is being done to keep track of every child taken from a \
parent, and to reunite them.\n\nThe number is toll-free. **Callers outside the U.S.** may not get \
through on toll-free numbers and need a direct line.",
    );
    call_ice.scripts = vec![ScriptInput {
        lang: "en".checked(),
        body: "Hello, my name is [YOUR NAME] from [CITY, ZIP]. I am calling to ask where the children separated \
from their parents at the border are, and when they will be reunited with their families."
            .checked(),
    }];
    call_ice.targets = vec![named(ice, "")];
    call_ice.tags = vec!["ice".checked(), "phone".checked()];
    call_ice.links = vec![source(
        "U.S. Immigration and Customs Enforcement",
        "https://www.ice.gov/",
    )];
    post(conn, "call-ice", call_ice, at(2018, 5, 27, 14, 10))?;

    let mut call_orr = base(
        cid,
        ActionKind::Call,
        "Call the Office of Refugee Resettlement director's office",
        "Ask ORR how it will account for the children it has released to sponsors.",
        "The Office of Refugee Resettlement (ORR), part of the Department of Health and Human Services, \
cares for unaccompanied children and those separated from their parents. Call the director's office \
and ask how ORR will keep track of every child in its care and every child it releases.",
    );
    call_orr.scripts = vec![ScriptInput {
        lang: "en".checked(),
        body: "Hello, my name is [YOUR NAME] from [CITY, ZIP]. I am calling to ask how ORR will account for every \
child in its care and every child it has released to a sponsor."
            .checked(),
    }];
    call_orr.targets = vec![named(orr, "")];
    call_orr.tags = vec!["orr".checked(), "phone".checked()];
    call_orr.links = vec![source(
        "Office of Refugee Resettlement",
        "https://www.acf.hhs.gov/orr",
    )];
    post(conn, "call-orr-director", call_orr, at(2018, 5, 27, 14, 15))?;

    // Events announced in the first post.
    let mut day_of_action = base(
        cid,
        ActionKind::Event,
        "National Day of Action for Children",
        "Join events across the country on Friday 1 June 2018.",
        "Groups across the country organised a National Day of Action for Children: vigils, rallies \
and visits to congressional offices. Find an event near you, or hold one.",
    );
    day_of_action.starts_at = Some(at(2018, 6, 1, 0, 0));
    day_of_action.location = "Events nationwide".checked();
    day_of_action.tags = vec!["event".checked()];
    let doa = post(
        conn,
        "national-day-of-action-for-children",
        day_of_action,
        at(2018, 5, 28, 10, 0),
    )?;

    let mut marches = base(
        cid,
        ActionKind::Event,
        "#WhereAreTheChildren marches",
        "Marches planned for Thursday 14 June 2018. Details are still being confirmed.",
        "Marches under the #WhereAreTheChildren banner are planned for 14 June 2018. Places and times \
are still being confirmed: check back before you go.",
    );
    marches.developing = true;
    marches.starts_at = Some(at(2018, 6, 14, 0, 0));
    marches.location = "Cities across the U.S. (being confirmed)".checked();
    marches.tags = vec!["event".checked(), "march".checked()];
    let marches_id = post(
        conn,
        "where-are-the-children-marches",
        marches.clone(),
        at(2018, 5, 28, 10, 5),
    )?;

    // The 5/29 update: more actions and an explainer.
    let mut un = base(
        cid,
        ActionKind::Letter,
        "Write to the UN human rights office about its border principles",
        "Ask the UN Office of the High Commissioner for Human Rights to hold the U.S. to its recommended principles on human rights at international borders.",
        "The UN Office of the High Commissioner for Human Rights (OHCHR) publishes *Recommended Principles \
and Guidelines on Human Rights at International Borders*, which say that children should not be \
separated from their families at borders. Write to OHCHR in Geneva and ask it to hold the United \
States to these principles.",
    );
    un.url = Some("https://www.ohchr.org/".checked());
    un.targets = vec![named(ohchr, "")];
    un.tags = vec!["international".checked(), "un".checked()];
    un.links = vec![source(
        "OHCHR: human rights at international borders",
        "https://www.ohchr.org/",
    )];
    let un_id = post(conn, "write-to-un-ohchr", un, t529)?;

    let mut amnesty = base(
        cid,
        ActionKind::Petition,
        "Join Amnesty International's call to end family separation",
        "Amnesty International is asking the U.S. government to stop separating families at the border.",
        "Amnesty International has called on the U.S. government to end the separation of families \
seeking safety at the border. Add your name to its action.",
    );
    amnesty.url = Some("https://www.amnestyusa.org/".checked());
    amnesty.tags = vec!["petition".checked(), "international".checked()];
    amnesty.links = vec![source(
        "Amnesty International USA",
        "https://www.amnestyusa.org/",
    )];
    let amnesty_id = post(
        conn,
        "amnesty-end-family-separation",
        amnesty,
        at(2018, 5, 29, 9, 5),
    )?;

    let mut seven = base(
        cid,
        ActionKind::Call,
        "Call seven more U.S. officials",
        "The offices that set and carry out the policy: the White House, DHS, the Justice Department, HHS, CBP and the Judiciary Committees.",
        "These offices set or carry out the policy of separating families, or oversee the agencies \
that do. Call as many as you can; the same short script works for each.",
    );
    seven.scripts = vec![ScriptInput {
        lang: "en".checked(),
        body: "Hello, my name is [YOUR NAME] from [CITY, ZIP]. I am calling to demand that children no longer be \
separated from their parents at the border, and that every child already separated be found and reunited \
with their family."
            .checked(),
    }];
    seven.targets = official_ids.iter().map(|&id| named(id, "")).collect();
    seven.tags = vec!["phone".checked()];
    let seven_id = post(
        conn,
        "call-seven-more-officials",
        seven,
        at(2018, 5, 29, 9, 10),
    )?;

    updates::post(
        conn,
        &UpdateInput {
            campaign_id: cid,
            title: "5/29 Update".checked(),
            body: "**New actions:** write to the UN human rights office, join Amnesty International's call, \
and call seven more U.S. officials.\n\n**Two different stories.** The 1,475 children that ORR could \
not locate when it followed up after releasing them to sponsors are a different group from the \
children separated from their parents at the border. Both matter; please don't mix them up when you \
call or share."
                .checked(),
            published_at: at(2018, 5, 29, 9, 15),
            actions: vec![(un_id, Relation::Added), (amnesty_id, Relation::Added), (seven_id, Relation::Added)],
        },
        &actor(at(2018, 5, 29, 9, 15)),
    )?;

    // The Day of Action is over.
    actions::transition(conn, doa, Transition::Expire, &actor(at(2018, 6, 2, 6, 0)))?;

    // The 6/15 update: #KeepFamiliesTogether.
    let t615 = at(2018, 6, 15, 11, 0);
    let mut kft = base(
        cid,
        ActionKind::Call,
        "Ask your Senators to back the Keep Families Together Act",
        "#KeepFamiliesTogether: ask your Senators to co-sponsor the bill that would stop separations at the border.",
        "The Keep Families Together Act, introduced in the Senate in June 2018, would stop the \
separation of children from their parents at the border except in narrow cases. Ask both of your \
Senators to co-sponsor it.",
    );
    kft.scripts = vec![ScriptInput {
        lang: "en".checked(),
        body: "Hello, my name is [YOUR NAME] from [CITY, ZIP]. I am asking [SENATOR NAME] to co-sponsor the Keep \
Families Together Act and to speak out against separating children from their parents. #KeepFamiliesTogether"
            .checked(),
    }];
    kft.targets = vec![
        TargetInput {
            kind: TargetKind::VisitorSenators,
            contact_id: None,
            note: Default::default(),
        },
        named(switchboard, ""),
    ];
    kft.tags = vec!["congress".checked(), "keepfamiliestogether".checked()];
    kft.links = vec![source(
        "Congress.gov: the Keep Families Together Act (S. 3036)",
        "https://www.congress.gov/bill/115th-congress/senate-bill/3036",
    )];
    let kft_id = post(conn, "keep-families-together-act", kft, t615)?;

    marches.summary = "Marches on Thursday 14 June 2018 in cities across the U.S.; many continue with #KeepFamiliesTogether events.".checked();
    actions::update(conn, marches_id, &marches, &actor(at(2018, 6, 15, 11, 5)))?;

    updates::post(
        conn,
        &UpdateInput {
            campaign_id: cid,
            title: "6/15 Update".checked(),
            body: "**#KeepFamiliesTogether.** Ask your Senators to back the Keep Families Together Act. \
The #WhereAreTheChildren marches went ahead on 14 June; follow-up events continue under \
#KeepFamiliesTogether."
                .checked(),
            published_at: at(2018, 6, 15, 11, 10),
            actions: vec![(kft_id, Relation::Added), (marches_id, Relation::Changed)],
        },
        &actor(at(2018, 6, 15, 11, 10)),
    )?;

    // Hotlines.
    let hotlines = [
        HotlineInput {
            slug: slug("ice"),
            name: "U.S. Immigration and Customs Enforcement (ICE)".checked(),
            description: "ICE's public line, given in the 2018 posts for questions to ICE.".checked(),
            hours: "24 hours".checked(),
            languages: "English, Spanish".checked(),
            audience: "Anyone with questions for ICE; toll-free, so callers abroad may not get through.".checked(),
            url: Some("https://www.ice.gov/".checked()),
            phones: vec![phone("1-866-DHS-2-ICE", PhoneKind::TollFree, "")],
        },
        HotlineInput {
            slug: slug("ncmec"),
            name: "National Center for Missing & Exploited Children".checked(),
            description: "Report a missing child or information about one.".checked(),
            hours: "24 hours".checked(),
            languages: "English, Spanish and interpreters".checked(),
            audience: "Families and anyone with information about a missing child.".checked(),
            url: Some("https://www.missingkids.org/".checked()),
            phones: vec![phone("1-800-THE-LOST", PhoneKind::TollFree, "")],
        },
        HotlineInput {
            slug: slug("human-trafficking-hotline"),
            name: "National Human Trafficking Hotline".checked(),
            description: "Confidential help for victims and survivors of human trafficking, and a place to report tips.".checked(),
            hours: "24 hours, 7 days a week".checked(),
            languages: "English, Spanish and more than 200 languages through interpreters".checked(),
            audience: "Victims, survivors and anyone who suspects trafficking.".checked(),
            url: Some("https://humantraffickinghotline.org/".checked()),
            phones: vec![phone("1-888-373-7888", PhoneKind::TollFree, "")],
        },
    ];
    for h in &hotlines {
        contacts::upsert_hotline(conn, h, &actor(t0))?;
    }
    Ok(())
}
