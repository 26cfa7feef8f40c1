//! `/api/openapi.json`: valid OpenAPI 3, and in step with the routes the app registers.

use std::collections::BTreeSet;

use actix_web::{test, web, App, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every `/api/v1` path pattern registered in the app, read from actix's resource map.
async fn registered_api_patterns() -> BTreeSet<String> {
    let app = test::init_service(App::new().configure(actiondesk::web::routes).route(
        "/__resource_map",
        web::get().to(|req: HttpRequest| async move {
            HttpResponse::Ok().body(format!("{:?}", req.resource_map()))
        }),
    ))
    .await;
    let req = test::TestRequest::get().uri("/__resource_map").to_request();
    let body = test::call_and_read_body(&app, req).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    // Each resource prints its pattern as `patterns: Single("/path/{var}")`.
    text.split("Single(\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| s.starts_with("/api/v1"))
        .map(str::to_string)
        .collect()
}

/// The route pattern a request with this method to this pattern reaches, unless it is
/// refused as a method the address does not take.
async fn routed(method: &str, pattern: &str) -> Option<String> {
    let app = test::init_service(
        App::new()
            .configure(actiondesk::web::routes)
            .default_service(web::to(HttpResponse::NotFound)),
    )
    .await;
    let concrete = pattern.replace('{', "x").replace('}', "");
    let req = test::TestRequest::default()
        .method(method.to_uppercase().parse().unwrap())
        .uri(&concrete)
        .to_request();
    let res = test::call_service(&app, req).await;
    if res.status().as_u16() == 405 {
        return None;
    }
    res.request().match_pattern()
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let path = reference.strip_prefix("#/")?;
    path.split('/').try_fold(doc, |v, key| v.get(key))
}

fn check_refs(doc: &Value, v: &Value, missing: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                if resolve(doc, r).is_none() {
                    missing.push(r.clone());
                }
            }
            m.values().for_each(|x| check_refs(doc, x, missing));
        }
        Value::Array(a) => a.iter().for_each(|x| check_refs(doc, x, missing)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_and_covers_every_api_route() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let doc: Value = res.json().await.unwrap();

    // OpenAPI 3 structure.
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    let methods = ["get", "post", "put", "patch", "delete"];
    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'));
        for (method, op) in item.as_object().unwrap() {
            if !methods.contains(&method.as_str()) {
                continue;
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has responses"
            );
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    assert!(path.contains(&format!("{{{}}}", p["name"].as_str().unwrap())));
                    assert_eq!(p["required"], true);
                }
            }
            documented.insert((method.clone(), path.clone()));
        }
    }
    let mut missing = Vec::new();
    check_refs(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "dangling $refs: {missing:?}");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    // Writes say they need the token.
    let publish = &doc["paths"]["/api/v1/actions/{slug}/publish"]["post"];
    assert_eq!(publish["security"][0]["bearer"], serde_json::json!([]));

    // Every documented operation reaches its route...
    for (method, path) in &documented {
        if !path.starts_with("/api/") {
            continue;
        }
        assert_eq!(
            routed(method, path).await.as_deref(),
            Some(path.as_str()),
            "{method} {path} is documented but not routed"
        );
    }
    // ...and every registered /api/v1 route is documented.
    let registered = registered_api_patterns().await;
    assert!(registered.len() >= 9, "{registered:?}");
    let doc_paths: BTreeSet<String> = documented.iter().map(|(_, p)| p.clone()).collect();
    let undocumented: Vec<_> = registered.difference(&doc_paths).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );

    // The operations this service promises (SPEC "JSON API") are all there.
    for (m, p) in [
        ("get", "/api/v1/campaigns"),
        ("post", "/api/v1/campaigns"),
        ("get", "/api/v1/campaigns/{slug}"),
        ("post", "/api/v1/campaigns/{slug}/updates"),
        ("get", "/api/v1/actions"),
        ("post", "/api/v1/actions"),
        ("get", "/api/v1/actions/{slug}"),
        ("patch", "/api/v1/actions/{slug}"),
        ("post", "/api/v1/actions/{slug}/publish"),
        ("post", "/api/v1/actions/{slug}/expire"),
        ("post", "/api/v1/actions/{slug}/reopen"),
        ("get", "/api/v1/hotlines"),
        ("get", "/api/v1/contacts"),
    ] {
        assert!(
            documented.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is not documented"
        );
    }
}

#[tokio::test]
async fn a_method_an_api_address_does_not_take_is_405_with_allow() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(format!("{}/api/v1/actions/anything", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers().get("allow").unwrap(), "GET, HEAD, PATCH");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let put = app
        .client
        .put(format!("{}/api/v1/campaigns", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    assert_eq!(put.headers().get("allow").unwrap(), "GET, HEAD, POST");
}

#[actix_web::test]
async fn a_rate_limit_answers_json_or_html_as_the_client_asked() {
    use actiondesk::web::error::WebError;
    let app = test::init_service(
        App::new().wrap(actiondesk::web::error_pages()).route(
            "/limited",
            web::post()
                .to(|| async { Err::<HttpResponse, _>(WebError::RateLimited { retry_after: 7 }) }),
        ),
    )
    .await;
    let html = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/limited")
            .insert_header(("Accept", "text/html,application/xhtml+xml"))
            .to_request(),
    )
    .await;
    assert_eq!(html.status().as_u16(), 429);
    assert_eq!(html.headers().get("retry-after").unwrap(), "7");
    assert!(html
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let json = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/limited")
            .insert_header(("Accept", "application/json"))
            .to_request(),
    )
    .await;
    assert_eq!(json.status().as_u16(), 429);
    assert_eq!(json.headers().get("retry-after").unwrap(), "7");
    let body: Value = test::read_body_json(json).await;
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn the_document_passes_a_real_openapi_validator() {
    if !crate::tools::python_has("openapi_spec_validator") {
        return;
    }
    let app = spawn_app().await;
    let doc = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, doc).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
