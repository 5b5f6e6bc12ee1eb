//! The client against the mock: authentication, throttling, dropped connections, paging,
//! `$batch`, and errors that never carry a credential.

use std::time::Duration;

use lockscope_graph::client::BatchRequest;
use lockscope_graph::mock::{Dataset, MockGraph};
use lockscope_graph::{Auth, GraphError, Secret};
use serde_json::{Value, json};

use crate::{client_for, client_with, risky_tenant};

const ID: &str = "00000000-0000-0000-0000-000000000000";

#[test]
fn bearer_token_reads_a_risky_user() {
    let (data, _) = risky_tenant(3);
    let mock = MockGraph::start(data).expect("mock");
    let (client, _) = client_for(&mock);
    let u = client.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).expect("get");
    assert_eq!(u["riskState"], "atRisk");
    assert!(client.get_opt("/v1.0/identityProtection/riskyUsers/nobody").expect("404 is none").is_none());
}

#[test]
fn client_credentials_get_a_token_and_the_secret_never_shows() {
    let (data, _) = risky_tenant(1);
    let mock = MockGraph::start(data).expect("mock");
    mock.register_client("contoso.onmicrosoft.com", "app-1", "Zx8Q~s3cr3t-value-42");
    let auth = |secret: &str| Auth::ClientCredentials {
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "app-1".into(),
        secret: Secret::new(secret),
    };
    let (client, _) = client_with(&mock, auth("Zx8Q~s3cr3t-value-42"), 3);
    assert!(client.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).is_ok());
    assert_eq!(client.stats().tokens, 1);
    assert!(!format!("{client:?}").contains("s3cr3t"));
    let token_req = mock.requests().into_iter().find(|r| r.path.ends_with("/oauth2/v2.0/token")).expect("token call");
    assert_eq!(token_req.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");

    let (bad, _) = client_with(&mock, auth("wrong-s3cr3t-value"), 3);
    let err = bad.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).expect_err("bad secret");
    assert!(matches!(err, GraphError::Token { status: 401, .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}"), format!("{bad:?}")] {
        assert!(!text.contains("s3cr3t"), "{text}");
    }
    assert!(err.to_string().contains("invalid_client"));
}

#[test]
fn errors_never_carry_the_token_even_when_the_server_echoes_it() {
    let (data, _) = risky_tenant(1);
    let mock = MockGraph::start(data).expect("mock");
    mock.echo_credentials_in_errors(true);
    let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-bearer-value";
    let (client, _) = client_with(&mock, Auth::Token(Secret::new(token)), 2);
    let err = client.get("/v1.0/identityProtection/riskyUsers").expect_err("unknown token");
    assert_eq!(err.status(), Some(401));
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains("secret-bearer-value") && !text.contains("eyJ0eXAi"), "{text}");
    }
    assert!(err.to_string().contains("[redacted]"), "{err}");
    mock.accept_token(token);
    let err = client.get("/v1.0/nothing/here").expect_err("bad path");
    assert!(!err.to_string().contains("secret-bearer-value"), "{err}");
}

#[test]
fn retry_after_storms_are_waited_out_as_asked() {
    let (data, _) = risky_tenant(1);
    let mock = MockGraph::start(data).expect("mock");
    let (client, sleeper) = client_for(&mock);
    mock.throttle(6, 429, Some("3"));
    let u = client.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).expect("after the storm");
    assert_eq!(u["id"], ID);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(3); 6]);
    assert_eq!(client.stats().throttled, 6);
    // 503 without Retry-After: capped exponential backoff, no jitter in tests.
    mock.throttle(4, 503, None);
    client.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).expect("after the 503s");
    let waits: Vec<u64> = sleeper.waits()[6..].iter().map(Duration::as_secs).collect();
    assert_eq!(waits, vec![1, 2, 4, 8]);
    // An HTTP date in the past means "now": retried without a wait.
    mock.throttle(1, 429, Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    client.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).expect("after the date");
    assert_eq!(sleeper.waits().len(), 10);
    assert_eq!(client.stats().throttled, 11);
}

#[test]
fn a_storm_longer_than_the_budget_is_an_error() {
    let (data, _) = risky_tenant(1);
    let mock = MockGraph::start(data).expect("mock");
    let (client, _) = client_with(&mock, Auth::Token(Secret::new(lockscope_graph::mock::MOCK_TOKEN)), 4);
    mock.throttle(10, 429, Some("1"));
    let err = client.get("/v1.0/identityProtection/riskyUsers").expect_err("still throttled");
    assert!(matches!(err, GraphError::Throttled { status: 429, attempts: 4, .. }), "{err:?}");
}

#[test]
fn dropped_connections_are_retried() {
    let (data, _) = risky_tenant(1);
    let mock = MockGraph::start(data).expect("mock");
    let (client, sleeper) = client_for(&mock);
    mock.drop_connections(0, 2);
    assert!(client.get(&format!("/v1.0/identityProtection/riskyUsers/{ID}")).is_ok());
    assert_eq!(client.stats().reconnects, 2);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(1), Duration::from_secs(2)]);
    let dropped = mock.requests().iter().filter(|r| r.status == 0).count();
    assert_eq!(dropped, 2);
}

#[test]
fn next_links_outside_the_base_url_are_refused() {
    let mock = MockGraph::start(Dataset::new()).expect("mock");
    let (client, _) = client_for(&mock);
    let err = client.page("https://attacker.example/v1.0/auditLogs/signIns?$skiptoken=1").expect_err("foreign");
    assert!(matches!(err, GraphError::ForeignLink { .. }), "{err:?}");
    assert!(mock.requests().is_empty());
}

fn signin(id: usize, t: &str, interactive: bool) -> Value {
    json!({"id": format!("s{id}"), "createdDateTime": t, "userPrincipalName": "a@contoso.com",
        "userId": "u1", "ipAddress": "1.2.3.4", "appId": "x", "status": {"errorCode": 0},
        "isInteractive": interactive,
        "signInEventTypes": [if interactive { "interactiveUser" } else { "nonInteractiveUser" }]})
}

#[test]
fn listings_filter_on_time_and_page_by_next_link() {
    let mut data = Dataset::new();
    for i in 0..25 {
        data.add(signin(i, &format!("2025-04-19T{:02}:00:00Z", i % 24), i % 5 != 0));
    }
    let mock = MockGraph::start(data).expect("mock");
    mock.set_page_size(4);
    let (client, _) = client_for(&mock);
    let filter = "createdDateTime ge 2025-04-19T02:00:00Z and createdDateTime lt 2025-04-19T12:00:00Z";
    let mut link = format!("/v1.0/auditLogs/signIns?$filter={}", lockscope_graph::client::encode(filter));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = client.page(&link).expect("page");
        pages += 1;
        seen.extend(page.value.iter().map(|v| v["id"].as_str().unwrap_or("").to_string()));
        match page.next_link {
            Some(l) => link = l,
            None => break,
        }
    }
    // Hours 2..=11, interactive only (5 and 10 are not): 8 sign-ins in 2 pages.
    assert_eq!(seen.len(), 8, "{seen:?}");
    assert_eq!(pages, 2);
    let ni = format!("{filter} and signInEventTypes/any(t: t eq 'nonInteractiveUser')");
    let page = client.page(&format!("/beta/auditLogs/signIns?$filter={}", lockscope_graph::client::encode(&ni)));
    let ids: Vec<Value> = page.expect("page").value.iter().map(|v| v["id"].clone()).collect();
    assert_eq!(ids, vec![json!("s10"), json!("s5")]);
    let bad = client.page("/v1.0/auditLogs/signIns?$filter=createdDateTime%20near%20now");
    assert_eq!(bad.expect_err("bad filter").status(), Some(400));
}

#[test]
fn risky_user_actions_take_at_most_60_ids() {
    let (data, users) = risky_tenant(61);
    let mock = MockGraph::start(data).expect("mock");
    let (client, _) = client_for(&mock);
    let ids: Vec<&str> = users.iter().map(|(id, _)| id.as_str()).collect();
    let err = client.post("/v1.0/identityProtection/riskyUsers/dismiss", &json!({"userIds": ids})).expect_err("61");
    assert_eq!(err.status(), Some(400));
    let ok = client.post("/v1.0/identityProtection/riskyUsers/dismiss", &json!({"userIds": ids[..60]})).expect("60");
    assert_eq!(ok.status, 204);
    assert_eq!(mock.risky_user(ids[0]).expect("user")["riskState"], "dismissed");
    assert_eq!(mock.risky_user(ids[60]).expect("user")["riskState"], "atRisk");
    let history = client.page(&format!("/v1.0/identityProtection/riskyUsers/{}/history", ids[0])).expect("history");
    assert_eq!(history.value[0]["activity"]["detail"], "adminDismissedAllRiskForUser");
}

#[test]
fn batches_hold_20_requests_and_throttled_items_are_retried() {
    let (data, users) = risky_tenant(21);
    let mock = MockGraph::start(data).expect("mock");
    let (client, sleeper) = client_for(&mock);
    let reqs: Vec<BatchRequest> = users
        .iter()
        .enumerate()
        .map(|(i, (id, _))| BatchRequest {
            id: i.to_string(),
            method: "POST",
            url: format!("/users/{id}/revokeSignInSessions"),
            body: None,
        })
        .collect();
    assert!(matches!(client.batch("v1.0", &reqs), Err(GraphError::Config(_))));
    let raw = json!({"requests": reqs.iter().map(|r| json!({"id": r.id, "method": "POST", "url": r.url})).collect::<Vec<_>>()});
    assert_eq!(client.post("/v1.0/$batch", &raw).expect_err("21").status(), Some(400));
    mock.throttle_batch_items(3);
    let out = client.batch("v1.0", &reqs[..20]).expect("batch");
    assert_eq!(out.len(), 20);
    assert!(out.iter().all(|r| r.status == 200));
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(1)]);
    assert!(users[..20].iter().all(|(id, _)| mock.revocations(id) == 1));
    assert_eq!(mock.revocations(&users[20].0), 0);
}
