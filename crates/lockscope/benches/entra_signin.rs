//! Throughput of Entra sign-in parsing (MB/s), from bytes to normalised events, for the shapes
//! users export most: Graph pages, diagnostic JSON Lines, and Log Analytics CSV.
//!
//! Inputs are built in memory from one realistic record (formats.md §2.2 sample B) with
//! varying ids, users, times and codes, so the bench needs no files.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::io::Cursor;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const RECORDS: usize = 5_000;

fn record(i: usize) -> Value {
    let code = [0, 0, 0, 50126, 50173, 53003, 50140][i % 7];
    json!({
        "id": format!("4d63c1c4-c95b-4d3c-8e0a-{:012x}", i),
        "createdDateTime": format!("2025-04-19T05:{:02}:{:02}.6955459Z", (i / 60) % 60, i % 60),
        "userDisplayName": format!("User {i}"),
        "userPrincipalName": format!("user{}@contoso.com", i % 500),
        "userId": format!("6abee629-69f8-461c-9fab-{:012x}", i % 500),
        "appId": "27922004-5251-4030-b22d-91ecd9a37ea4",
        "appDisplayName": "Outlook for iOS and Android",
        "ipAddress": format!("10.104.{}.{}", i % 250, i % 200),
        "status": {"errorCode": code, "failureReason": "Other.", "additionalDetails": "MFA requirement satisfied by claim in the token"},
        "clientAppUsed": "Mobile Apps and Desktop clients",
        "userAgent": "Mozilla/5.0 (compatible; TESTAL 1.0) PKeyAuth/1.0",
        "deviceDetail": {"deviceId": "30a4051b-7be0-4754-a3b8-755991aa69e0", "displayName": "WS3A7C1DBA", "operatingSystem": "Ios 18.2.1", "trustType": "Azure AD registered"},
        "location": {"city": "Chengdu", "state": "Sichuan", "countryOrRegion": "CN", "geoCoordinates": {"latitude": 30.65, "longitude": 104.06}},
        "correlationId": "3ad2b5b1-ef09-4c50-81ad-853aef57674d",
        "conditionalAccessStatus": "success",
        "appliedConditionalAccessPolicies": [
            {"id": "627ea70c-8186-40a5-aafb-d681edbc2d88", "displayName": "Block high user risk", "enforcedGrantControls": ["Block"], "enforcedSessionControls": [], "result": if code == 53003 { "failure" } else { "notApplied" }, "conditionsSatisfied": 67, "conditionsNotSatisfied": 0},
            {"id": "b8944f3f-001d-4d7a-ad95-4b110f20a9f5", "displayName": "Require MFA", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "success", "conditionsSatisfied": 3, "conditionsNotSatisfied": 0}
        ],
        "isInteractive": false,
        "tokenIssuerType": "AzureAD",
        "riskDetail": "none", "riskLevelAggregated": if code == 53003 { "high" } else { "none" }, "riskLevelDuringSignIn": "none", "riskState": "none",
        "riskEventTypes": [], "riskEventTypes_v2": [],
        "resourceDisplayName": "Microsoft Graph", "resourceId": "00000003-0000-0000-c000-000000000000",
        "authenticationDetails": [], "authenticationRequirement": "singleFactorAuthentication",
        "uniqueTokenIdentifier": "xMFjTVvJPE2OChJx_YE-AA", "incomingTokenType": "refreshToken", "sessionId": "811fe6e4-f4bb-4684-8978-5ce5de39f8b9"
    })
}

fn graph_page() -> Vec<u8> {
    let page = json!({"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns", "value": (0..RECORDS).map(record).collect::<Vec<_>>()});
    serde_json::to_vec_pretty(&page).unwrap_or_default()
}

fn diagnostic_lines() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..RECORDS {
        let env = json!({"time": "2025-04-19T05:00:00Z", "category": "NonInteractiveUserSignInLogs", "operationName": "Sign-in activity", "resultType": "0", "properties": record(i)});
        out.extend(serde_json::to_vec(&env).unwrap_or_default());
        out.push(b'\n');
    }
    out
}

fn log_analytics_csv() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cols = [
        "TimeGenerated",
        "CreatedDateTime",
        "Id",
        "UserPrincipalName",
        "UserId",
        "AppId",
        "AppDisplayName",
        "IPAddress",
        "ResultType",
        "ResultDescription",
        "Status",
        "DeviceDetail",
        "LocationDetails",
        "ConditionalAccessPolicies",
        "CorrelationId",
        "UniqueTokenIdentifier",
        "Type",
    ];
    let _ = w.write_record(cols);
    for i in 0..RECORDS {
        let r = record(i);
        let s = |k: &str| {
            r.get(k).map(|v| if let Value::String(s) = v { s.clone() } else { v.to_string() }).unwrap_or_default()
        };
        let code = r["status"]["errorCode"].to_string();
        let _ = w.write_record([
            s("createdDateTime"),
            s("createdDateTime"),
            s("id"),
            s("userPrincipalName"),
            s("userId"),
            s("appId"),
            s("appDisplayName"),
            s("ipAddress"),
            code,
            String::new(),
            s("status"),
            s("deviceDetail"),
            s("location"),
            s("appliedConditionalAccessPolicies"),
            s("correlationId"),
            s("uniqueTokenIdentifier"),
            "AADNonInteractiveUserSignInLogs".into(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let name: Arc<str> = Arc::from("bench");
    let mut group = c.benchmark_group("entra-signin-parse");
    for (shape, bytes) in [
        ("graph-page", graph_page()),
        ("diagnostic-jsonl", diagnostic_lines()),
        ("log-analytics-csv", log_analytics_csv()),
    ] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(shape), &bytes, |b, bytes| {
            b.iter(|| {
                let mut events = Vec::with_capacity(RECORDS);
                let report = lockscope::source::read(&name, Box::new(Cursor::new(bytes.clone())), &mut events);
                assert_eq!(report.events as usize, RECORDS);
                events.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
