//! What a ZIP code changes on a page, rendered once per *shape* and kept.
//!
//! Thousands of ZIP codes share their districts, members of Congress and nearest offices:
//! the 33,774 ZIP code areas of the real data set make about 4,000 shapes. The part of a
//! page that depends on the ZIP code is rendered once per shape with a marker where the ZIP
//! code itself is written, and split there; a visitor's page is those pieces joined with
//! their ZIP code — no template render, no query. Legislator blocks recur across shapes
//! (a state's senators in every shape of that state), so the pieces are split at each block
//! too and kept once (interned), which keeps every shape of every page in a few MB.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// A piece of rendered text, or the visitor's ZIP code.
#[derive(Debug)]
enum Piece {
    Text(Arc<str>),
    Zip,
}

/// A rendered part split at the ZIP code.
#[derive(Debug, Default)]
pub struct Parts(Vec<Piece>);

impl Parts {
    /// A part of plain text, kept nowhere.
    pub fn text(text: &str) -> Parts {
        Parts(vec![Piece::Text(Arc::from(text))])
    }

    /// Appends the part with `zip` written in.
    pub fn write(&self, zip: &str, out: &mut String) {
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Zip => out.push_str(zip),
            }
        }
    }

    /// How long the part is, without the ZIP codes.
    pub fn len(&self) -> usize {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Zip => 5,
            })
            .sum()
    }

    /// True when the part is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Which kind of visitor the part was rendered for: the same shape renders differently for
/// a ZIP code given in the URL, one remembered in a cookie, and none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seen {
    Given,
    Remembered,
    Nothing,
    Ambiguous,
}

/// The key of a kept part: the page and what its part depends on (a hash of the action's
/// parts that are not the ZIP code, its script language), the directory version, the kind of
/// visitor, and the shape (`None` for a ZIP code with no district, or no ZIP code).
pub type Key = (u64, i64, Seen, Option<Arc<[u32]>>);

#[derive(Clone)]
struct ByPieces;

impl Weighter<Key, Arc<Vec<Parts>>> for ByPieces {
    fn weight(&self, key: &Key, v: &Arc<Vec<Parts>>) -> u64 {
        // The pieces' texts are shared and counted by the interner; each part holds
        // pointers, and a few short texts of its own.
        let pieces: usize = v.iter().map(|p| p.0.len()).sum();
        (pieces * 48 + key.3.as_ref().map_or(0, |s| s.len() * 4) + 128) as u64
    }
}

/// The kept parts, and the texts they share.
pub struct ZipParts {
    parts: Cache<Key, Arc<Vec<Parts>>, ByPieces>,
    texts: Mutex<Interner>,
    /// The most the interned texts may hold before the interner starts over (the parts made
    /// before keep their texts; only their sharing with later parts is lost).
    texts_bytes: usize,
    /// Written where the ZIP code goes: letters and digits only, so escaping and URL
    /// encoding leave it as it is; random, so no content can contain it.
    pub zip_marker: String,
    /// Written between legislator blocks, where the pieces are split for sharing.
    pub seg_marker: String,
}

#[derive(Default)]
struct Interner {
    set: HashSet<Arc<str>>,
    bytes: usize,
}

impl ZipParts {
    /// Parts for at most `bytes` of pointers, and their texts for at most `texts_bytes`.
    pub fn new(bytes: u64, texts_bytes: u64) -> ZipParts {
        let token = crate::security::new_token();
        ZipParts {
            parts: Cache::with_weighter(8192, bytes.max(1), ByPieces),
            texts: Mutex::new(Interner::default()),
            texts_bytes: texts_bytes as usize,
            zip_marker: format!("zipmark{}", &token[..24]),
            seg_marker: format!("<!--seg-{}-->", &token[24..48]),
        }
    }

    /// The kept parts under `key`, else the ones `render` makes (rendered texts, split here).
    pub async fn get_or_render<F>(
        &self,
        key: Key,
        render: F,
    ) -> Result<Arc<Vec<Parts>>, crate::web::error::WebError>
    where
        F: FnOnce() -> Result<Vec<String>, crate::web::error::WebError>,
    {
        self.parts
            .get_or_insert_async(&key, async {
                let rendered = render()?;
                Ok(Arc::new(rendered.iter().map(|r| self.split(r)).collect()))
            })
            .await
    }

    /// Splits a rendered text at the ZIP code and segment markers, sharing known texts.
    fn split(&self, rendered: &str) -> Parts {
        let mut texts = self.texts.lock().unwrap_or_else(|p| p.into_inner());
        if texts.bytes > self.texts_bytes {
            *texts = Interner::default();
        }
        let mut out = Vec::new();
        for seg in rendered.split(self.seg_marker.as_str()) {
            for (j, text) in seg.split(self.zip_marker.as_str()).enumerate() {
                if j > 0 {
                    out.push(Piece::Zip);
                }
                if text.is_empty() {
                    continue;
                }
                let shared = match texts.set.get(text) {
                    Some(t) => t.clone(),
                    None => {
                        let t: Arc<str> = Arc::from(text);
                        texts.bytes += t.len();
                        texts.set.insert(t.clone());
                        t
                    }
                };
                out.push(Piece::Text(shared));
            }
        }
        Parts(out)
    }

    /// The bytes of text the kept parts share.
    pub fn interned_bytes(&self) -> usize {
        self.texts.lock().map_or(0, |t| t.bytes)
    }

    /// The weight of the kept parts (their pointers and own texts).
    pub fn weight(&self) -> u64 {
        self.parts.weight()
    }

    /// How many parts are kept.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parts_join_with_the_zip_code_and_share_their_texts() {
        let z = ZipParts::new(1 << 20, 1 << 20);
        let (m, s) = (z.zip_marker.clone(), z.seg_marker.clone());
        let page = format!("<p>ZIP {m}</p>{s}<div>Senator</div>{s}<a href=\"?zip={m}\">x</a>");
        let parts = z
            .get_or_render((1, 1, Seen::Given, None), || Ok(vec![page.clone()]))
            .await
            .unwrap();
        let mut out = String::new();
        parts[0].write("98104", &mut out);
        assert_eq!(
            out,
            "<p>ZIP 98104</p><div>Senator</div><a href=\"?zip=98104\">x</a>"
        );
        let before = z.interned_bytes();
        let again = format!("<b>{m}</b>{s}<div>Senator</div>");
        z.get_or_render((1, 1, Seen::Given, Some(Arc::from([7u32]))), || {
            Ok(vec![again])
        })
        .await
        .unwrap();
        assert_eq!(
            z.interned_bytes(),
            before + "<b>".len() + "</b>".len(),
            "the block is shared"
        );
        // A second render for a kept key is never asked for.
        let kept = z
            .get_or_render((1, 1, Seen::Given, None), || panic!("rendered twice"))
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&kept, &parts));
    }
}
