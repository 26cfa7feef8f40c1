//! Shared by the JSON API tests: an app with an organizer and a token, and one call to
//! send a request and read the JSON answer.

use actiondesk::db::{changes, people, tokens, write_tx, Actor};
use actiondesk::domain::EmailAddress;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_demo, TestApp};

/// A running app and a valid token of one organizer.
pub struct Api {
    pub app: TestApp,
    pub token: String,
    pub organizer_id: i32,
}

/// A response: status, JSON body (`Null` when not JSON) and headers.
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// `error.field` of an error answer.
    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }

    /// `error.code` of an error answer.
    pub fn code(&self) -> Option<&str> {
        self.json["error"]["code"].as_str()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// Creates an organizer and a token in `app`.
pub async fn with_token(app: TestApp) -> Api {
    let (token, organizer_id) = app
        .with_db(|c| {
            write_tx(c, |c| {
                let email = EmailAddress::parse("api@example.org").unwrap();
                let o = people::create_organizer(c, &email, "unused", false, &Actor::system())?;
                Ok((
                    tokens::create(c, o.id, "tests", &Actor::system())?.plain,
                    o.id,
                ))
            })
        })
        .await;
    Api {
        app,
        token,
        organizer_id,
    }
}

/// An empty app with a token.
pub async fn api() -> Api {
    with_token(spawn_app().await).await
}

/// The demo app with a token.
pub async fn api_demo() -> Api {
    with_token(spawn_demo().await).await
}

impl Api {
    /// Sends a request with this API's token.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.send(method, path, Some(&self.token.clone()), body)
            .await
    }

    /// Sends a request with the given token, or none.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.app.client.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.app.address),
        );
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Answer {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    /// Creates a campaign through the API; returns its slug.
    pub async fn campaign(&self, title: &str) -> String {
        let a = self
            .call(
                "POST",
                "/api/v1/campaigns",
                Some(serde_json::json!({"title": title, "summary": "For tests"})),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.json);
        a.json["slug"].as_str().unwrap().to_string()
    }

    /// The change log as (kind, changed field names), oldest first.
    pub async fn change_log(&self) -> Vec<(String, Vec<String>)> {
        self.app
            .with_db(|c| {
                Ok(changes::after(c, 0, 10_000)?
                    .into_iter()
                    .map(|ch| {
                        let fields = ch.field_changes().into_iter().map(|f| f.field).collect();
                        (ch.kind.to_string(), fields)
                    })
                    .collect())
            })
            .await
    }

    /// How many actions and contacts are stored.
    pub async fn counts(&self) -> (usize, usize) {
        self.app
            .with_db(|c| {
                use actiondesk::db::{actions, contacts};
                let a = actions::list(c, &Default::default())?.len();
                let n = contacts::list_directory(c)?.len();
                Ok((a, n))
            })
            .await
    }
}
