//! A digest body that many recipients share, encoded once: each MIME part (text, HTML) is
//! put through lettre's own transfer encoding a single time, with a placeholder where each
//! recipient's token goes, and for each recipient only the token is written into the
//! encoded bytes.
//!
//! Why this is exact: tokens are 64 hex digits and the placeholder is 64 characters that
//! quoted-printable, 7bit and 8bit all leave as they are, so encoding a body with a token
//! gives the same bytes as encoding it with the placeholder and then writing the token over
//! it — quoted-printable breaks lines at the same places, and a soft line break (`=\r\n`)
//! may fall inside the placeholder, which the holes allow for. Each part is checked once
//! when it is prepared (a sample token through both ways must give the same bytes); a part
//! that fails the check, say one lettre chose base64 for, is encoded for each recipient
//! instead, as before.

use std::ops::Range;

use lettre::message::{Body, MultiPart, SinglePart};

use crate::db::outbox::TOKEN_SLOT;

/// How long a token is (see [`crate::security::new_token`]).
const TOKEN_LEN: usize = 64;

/// What stands for the token while a part is encoded: as long as a token, and made of
/// characters every body encoding lettre chooses for text keeps literally.
const PLACEHOLDER: &str = "~~actiondesk~manage~token~slot~~~~actiondesk~manage~token~slot~~";

/// Where a token's characters go in an encoded part: (byte offset, which of the token's
/// characters), one run per piece a soft line break leaves.
type Holes = Vec<(usize, Range<usize>)>;

/// One MIME part's content.
#[derive(Debug)]
enum Part {
    /// Encoded once, with the places where each recipient's token goes.
    Encoded { template: Body, holes: Holes },
    /// Encoded for each recipient (the shared encoding did not pass its check).
    PerRecipient(String),
}

impl Part {
    fn prepare(raw: &str) -> Part {
        let sample = crate::security::new_token();
        let template = Body::new(raw.replace(TOKEN_SLOT, PLACEHOLDER));
        let holes = find_holes(template.as_ref(), PLACEHOLDER.as_bytes());
        let part = Part::Encoded { template, holes };
        let direct = Body::new(raw.replace(TOKEN_SLOT, &sample));
        match part.body(&sample) {
            Some(filled)
                if filled.encoding() == direct.encoding() && filled.as_ref() == direct.as_ref() =>
            {
                part
            }
            _ => {
                tracing::debug!("a digest part is encoded per recipient");
                Part::PerRecipient(raw.to_string())
            }
        }
    }

    /// The encoded part for one token; `None` for a token of another length.
    fn body(&self, token: &str) -> Option<Body> {
        match self {
            Part::Encoded { template, holes } => {
                if token.len() != TOKEN_LEN || !token.is_ascii() {
                    return None;
                }
                let src = template.as_ref();
                let mut out = Vec::with_capacity(src.len());
                let mut at = 0;
                for (offset, chars) in holes {
                    out.extend_from_slice(&src[at..*offset]);
                    out.extend_from_slice(&token.as_bytes()[chars.clone()]);
                    at = offset + chars.len();
                }
                out.extend_from_slice(&src[at..]);
                Some(Body::dangerous_pre_encoded(out, template.encoding()))
            }
            Part::PerRecipient(raw) => Some(Body::new(raw.replace(TOKEN_SLOT, token))),
        }
    }
}

/// Where `slot` stands in `encoded`, each character possibly separated from the next by a
/// quoted-printable soft line break: (byte offset, range of slot characters) per run.
fn find_holes(encoded: &[u8], slot: &[u8]) -> Holes {
    let mut holes = Vec::new();
    let mut i = 0;
    while i < encoded.len() {
        match match_at(encoded, i, slot) {
            Some((runs, end)) => {
                holes.extend(runs);
                i = end;
            }
            None => i += 1,
        }
    }
    holes
}

/// The runs of `slot` if it stands at `start`, and where it ends.
fn match_at(encoded: &[u8], start: usize, slot: &[u8]) -> Option<(Holes, usize)> {
    let mut runs = Vec::new();
    let (mut k, mut run_at, mut run_from) = (start, start, 0);
    for (j, &c) in slot.iter().enumerate() {
        if j > 0 && encoded[k..].starts_with(b"=\r\n") {
            runs.push((run_at, run_from..j));
            k += 3;
            run_at = k;
            run_from = j;
        }
        if encoded.get(k) != Some(&c) {
            return None;
        }
        k += 1;
    }
    runs.push((run_at, run_from..slot.len()));
    Some((runs, k))
}

/// A digest's text and HTML, encoded once for all who get it.
#[derive(Debug)]
pub struct SharedBody {
    text: Part,
    html: Part,
}

impl SharedBody {
    /// Prepares a stored body (text and HTML with [`TOKEN_SLOT`] where the token goes).
    pub fn prepare(text: &str, html: &str) -> SharedBody {
        SharedBody {
            text: Part::prepare(text),
            html: Part::prepare(html),
        }
    }

    /// The multipart/alternative body for the recipient with this token.
    pub fn multipart(&self, token: &str) -> Result<MultiPart, String> {
        let part = |p: &Part| {
            p.body(token)
                .ok_or_else(|| format!("a token of {} characters", token.len()))
        };
        Ok(MultiPart::alternative()
            .singlepart(SinglePart::plain(part(&self.text)?))
            .singlepart(SinglePart::html(part(&self.html)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(raw: &str, token: &str) -> Body {
        Body::new(raw.replace(TOKEN_SLOT, token))
    }

    fn assert_same(raw: &str) {
        let part = Part::prepare(raw);
        for _ in 0..20 {
            let token = crate::security::new_token();
            let filled = part.body(&token).unwrap();
            let want = direct(raw, &token);
            assert_eq!(filled.encoding(), want.encoding(), "{raw:?}");
            assert_eq!(
                String::from_utf8_lossy(filled.as_ref()),
                String::from_utf8_lossy(want.as_ref())
            );
        }
    }

    #[test]
    fn placeholder_is_as_long_as_a_token() {
        assert_eq!(PLACEHOLDER.len(), TOKEN_LEN);
        assert_eq!(crate::security::new_token().len(), TOKEN_LEN);
    }

    #[test]
    fn short_ascii_lines_stay_7bit_and_fill_exactly() {
        let raw = format!("Manage: https://x.org/preferences?token={TOKEN_SLOT}\nBye\n");
        assert!(matches!(Part::prepare(&raw), Part::Encoded { .. }));
        assert_same(&raw);
    }

    #[test]
    fn quoted_printable_fills_exactly_wherever_the_soft_breaks_fall() {
        // Long lines and non-ASCII text make lettre choose quoted-printable; moving the
        // token along the line puts a soft line break at every place inside it.
        let mut split = 0;
        for pad in 0..80 {
            let raw = format!(
                "<p>Ação — {}<a href=\"https://x.org/unsubscribe?token={TOKEN_SLOT}\">Unsubscribe</a> \
                 and <a href=\"https://x.org/preferences?token={TOKEN_SLOT}\">preferences</a></p>\n",
                "x".repeat(pad)
            );
            let part = Part::prepare(&raw);
            let Part::Encoded { template, holes } = &part else {
                panic!("quoted-printable is shared (pad {pad})")
            };
            assert_eq!(
                template.encoding(),
                lettre::message::header::ContentTransferEncoding::QuotedPrintable
            );
            let covered: usize = holes.iter().map(|(_, r)| r.len()).sum();
            assert_eq!(covered, 2 * TOKEN_LEN, "both tokens found (pad {pad})");
            split += usize::from(holes.len() > 2);
            assert_same(&raw);
        }
        assert!(
            split > 10,
            "soft breaks fell inside a token in {split} of 80 layouts"
        );
    }

    #[test]
    fn a_part_lettre_encodes_in_base64_is_encoded_per_recipient() {
        let raw = format!("{} {TOKEN_SLOT}", "žžžžžžžžžž".repeat(50));
        let part = Part::prepare(&raw);
        assert!(matches!(part, Part::PerRecipient(_)));
        assert_same(&raw);
    }

    #[test]
    fn a_token_of_another_length_is_refused() {
        let body = SharedBody::prepare(&format!("t {TOKEN_SLOT}"), &format!("h {TOKEN_SLOT}"));
        assert!(body.multipart("short").is_err());
        assert!(body.multipart(&crate::security::new_token()).is_ok());
    }
}
