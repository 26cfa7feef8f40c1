//! The email templates (templates/email/), embedded in the binary. Plain-text templates
//! (`.txt`) are not escaped; HTML ones are.

use std::sync::LazyLock;

use tera::{Context, Tera};

use super::Result;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

static TERA: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.add_raw_templates(
        embedded::EMBEDDED
            .iter()
            .filter(|(name, _)| name.starts_with("email/"))
            .copied(),
    )
    .expect("email templates parse");
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(crate::domain::markdown::escape_html);
    tera
});

/// Renders `email/{name}`.
pub fn render(name: &str, ctx: &Context) -> Result<String> {
    Ok(TERA.render(&format!("email/{name}"), ctx)?)
}

/// The three parts of an email: subject (one line), plain text and HTML.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders `email/{base}.subject.txt`, `{base}.txt` and `{base}.html`.
pub fn render_email(base: &str, ctx: &Context) -> Result<Rendered> {
    let subject = render(&format!("{base}.subject.txt"), ctx)?;
    Ok(Rendered {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text: render(&format!("{base}.txt"), ctx)?,
        html: render(&format!("{base}.html"), ctx)?,
    })
}
