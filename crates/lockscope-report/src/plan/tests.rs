//! Renderings cannot be injected: a user or host name from the logs never becomes code.
//!
//! The check tokenises each rendering the way its shell would (comments dropped, quoted strings
//! turned into placeholders) and compares the result with the rendering of the same plan under
//! harmless names: the code must be the same token for token, and the strings must hold the names
//! exactly.

use lockscope::Action;
use lockscope::plan::{CaseRef, CurrentState, Item, Plan, Target};
use proptest::prelude::*;

use super::{Rendering, render};

fn item(user: &str, object_id: Option<&str>, target: Target, action: Action, host: Option<&str>) -> Item {
    Item {
        user: user.to_string(),
        object_id: object_id.map(str::to_string),
        target,
        action,
        host: host.map(str::to_string),
        reason: format!("reason about {user} on {}", host.unwrap_or("-")),
        evidence: Vec::new(),
        current_state: CurrentState {
            risk_state: Some(format!("atRisk {user}")),
            risk_level: Some("high".into()),
            as_of: Some("2025-04-19T06:00:00Z".into()),
        },
    }
}

/// A plan that uses `name` (and `host`) in every place a rendering puts a log value.
fn plan_with(name: &str, host: &str, identities: usize) -> Plan {
    let domain_name = format!("contoso\\{name}");
    let upn = format!("{name}@contoso.com");
    let items = vec![
        item(&upn, Some(name), Target::Entra, Action::ConfirmSafe, None),
        item(&upn, None, Target::Entra, Action::ConfirmCompromised, None),
        item(&upn, Some(name), Target::Entra, Action::RevokeSessions, None),
        item(&upn, None, Target::Entra, Action::ResetPassword, None),
        item(&upn, Some(name), Target::Entra, Action::FixStaleCredential, Some(host)),
        item(&upn, Some(name), Target::Entra, Action::DismissRisk, None),
        item(&domain_name, None, Target::Ad, Action::UnlockAd, Some(host)),
        item(&upn, None, Target::Ad, Action::UnlockAd, Some(host)),
        item(name, None, Target::Ad, Action::ResetPassword, None),
        item(&domain_name, None, Target::Ad, Action::FixStaleCredential, Some(host)),
        item(name, None, Target::Linux, Action::ResetFaillock, Some(host)),
        item(name, None, Target::Linux, Action::ResetFaillock, None),
        item(name, None, Target::Linux, Action::ResetPassword, Some(host)),
        item(name, None, Target::Linux, Action::FixStaleCredential, Some(host)),
    ];
    let mut plan = Plan {
        schema_version: 1,
        tool: "lockscope test".into(),
        hash: String::new(),
        created: "2025-04-19T07:00:00Z".into(),
        case: CaseRef { path: format!("case-{name}"), manifest_sha256: "00".repeat(32) },
        identities,
        mass_event: None,
        items,
        excluded: Vec::new(),
    };
    plan.hash = plan.compute_hash();
    plan
}

/// A token of a script: code, or a quoted string (its value), or a line end.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Code(String),
    Str(String),
    End,
}

/// The code tokens, with every string replaced by a placeholder.
fn shape(toks: &[Tok]) -> Vec<Tok> {
    toks.iter().map(|t| if let Tok::Str(_) = t { Tok::Str(String::new()) } else { t.clone() }).collect()
}

fn strings(toks: &[Tok]) -> Vec<String> {
    toks.iter().filter_map(|t| if let Tok::Str(s) = t { Some(s.clone()) } else { None }).collect()
}

const PS_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// PowerShell, as far as the renderings use it: `#` comments at a token start, single-quoted
/// strings (any of the five quote characters; a doubled one is a literal), bare words.
fn ps_lex(s: &str) -> Vec<Tok> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    let mut i = 0;
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Code(std::mem::take(word)));
        }
    };
    while i < c.len() {
        let ch = c[i];
        if PS_QUOTES.contains(&ch) {
            flush(&mut word, &mut out);
            let mut value = String::new();
            i += 1;
            loop {
                assert!(i < c.len(), "unterminated PowerShell string in:\n{s}");
                if PS_QUOTES.contains(&c[i]) {
                    if i + 1 < c.len() && PS_QUOTES.contains(&c[i + 1]) {
                        value.push(c[i]);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                value.push(c[i]);
                i += 1;
            }
            out.push(Tok::Str(value));
            continue;
        }
        assert!(ch != '"', "no double-quoted strings are written:\n{s}");
        match ch {
            '#' if word.is_empty() => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '\n' => {
                flush(&mut word, &mut out);
                out.push(Tok::End);
                i += 1;
            }
            c0 if c0.is_whitespace() => {
                flush(&mut word, &mut out);
                i += 1;
            }
            c0 => {
                word.push(c0);
                i += 1;
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

/// POSIX sh, as far as the renderings use it: `#` comments at a word start, single quotes,
/// backslash escapes and double quotes (no expansion inside them is used), words.
fn sh_lex(s: &str) -> Vec<Tok> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut i = 0;
    let flush = |word: &mut String, in_word: &mut bool, quoted: &mut bool, out: &mut Vec<Tok>| {
        if *in_word {
            let w = std::mem::take(word);
            out.push(if *quoted { Tok::Str(w) } else { Tok::Code(w) });
        }
        *in_word = false;
        *quoted = false;
    };
    while i < c.len() {
        match c[i] {
            '\'' => {
                in_word = true;
                quoted = true;
                i += 1;
                while i < c.len() && c[i] != '\'' {
                    word.push(c[i]);
                    i += 1;
                }
                assert!(i < c.len(), "unterminated single quote in:\n{s}");
                i += 1;
            }
            '"' => {
                in_word = true;
                quoted = true;
                i += 1;
                while i < c.len() && c[i] != '"' {
                    word.push(c[i]);
                    i += 1;
                }
                assert!(i < c.len(), "unterminated double quote in:\n{s}");
                i += 1;
            }
            '\\' => {
                in_word = true;
                quoted = true;
                if let Some(n) = c.get(i + 1) {
                    word.push(*n);
                }
                i += 2;
            }
            '#' if !in_word => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '\n' => {
                flush(&mut word, &mut in_word, &mut quoted, &mut out);
                out.push(Tok::End);
                i += 1;
            }
            ' ' | '\t' => {
                flush(&mut word, &mut in_word, &mut quoted, &mut out);
                i += 1;
            }
            ch => {
                in_word = true;
                word.push(ch);
                i += 1;
            }
        }
    }
    flush(&mut word, &mut in_word, &mut quoted, &mut out);
    out
}

/// The commands `ssh` would run remotely: the last word of every `ssh` command, lexed again.
fn remote_commands(toks: &[Tok]) -> Vec<Vec<Tok>> {
    toks.split(|t| *t == Tok::End)
        .filter(|cmd| cmd.first() == Some(&Tok::Code("ssh".into())))
        .filter_map(|cmd| match cmd.last() {
            Some(Tok::Str(remote)) => Some(sh_lex(remote)),
            _ => None,
        })
        .collect()
}

/// Checks that `name` and `host` cannot change the code of any rendering: it must be the code
/// of harmless names of the same form (the AD script picks its lookup by the form of a name:
/// `DOMAIN\sam`, a UPN or a bare name; `ssh` is only run on plain host names).
fn assert_not_injectable(name: &str, host: &str) {
    let hostile = plan_with(name, host, 1000);
    let same_form: String = name.chars().map(|c| if matches!(c, '\\' | '@') { c } else { 'x' }).collect();
    let plain = super::quote::is_plain_host(host);
    let benign = plan_with(&same_form, if plain { "host01" } else { "not plain" }, 1000);
    for r in [Rendering::GraphPowerShell, Rendering::AdPowerShell] {
        let (h, b) = (ps_lex(&render(&hostile, r)), ps_lex(&render(&benign, r)));
        assert_eq!(shape(&h), shape(&b), "{r:?}: {name:?} changed the code:\n{}", render(&hostile, r));
        let values = strings(&h);
        assert!(values.iter().any(|v| v == name || v.ends_with(&format!("\\{name}")) || v.starts_with(name)));
    }
    let (h, b) = (sh_lex(&render(&hostile, Rendering::Shell)), sh_lex(&render(&benign, Rendering::Shell)));
    assert_eq!(
        shape(&h),
        shape(&b),
        "shell: {name:?} / {host:?} changed the code:\n{}",
        render(&hostile, Rendering::Shell)
    );
    // A host that is not a plain host name is never connected to: its commands are comments.
    assert_eq!(remote_commands(&h).is_empty(), !plain);
    for remote in remote_commands(&h) {
        let words: Vec<&Tok> = remote.iter().filter(|t| **t != Tok::End).collect();
        let expected_faillock = [
            Tok::Code("sudo".into()),
            Tok::Code("faillock".into()),
            Tok::Code("--user".into()),
            Tok::Str(name.into()),
            Tok::Code("--reset".into()),
        ];
        let expected_passwd =
            [Tok::Code("sudo".into()), Tok::Code("passwd".into()), Tok::Code("--".into()), Tok::Str(name.into())];
        let words: Vec<Tok> = words.into_iter().cloned().collect();
        assert!(words == expected_faillock || words == expected_passwd, "remote command {words:?} for {name:?}");
    }
    let batch: serde_json::Value = serde_json::from_str(&render(&hostile, Rendering::GraphBatch)).expect("valid JSON");
    for b in batch["batches"].as_array().expect("batches") {
        for r in b["requests"].as_array().expect("requests") {
            let url = r["url"].as_str().expect("url");
            assert_eq!(url.split('/').count(), 4, "{url}");
            assert!(!url.contains(['?', '#', ' ', '\n']), "{url}");
        }
    }
}

#[test]
fn hostile_names_stay_data() {
    for name in [
        "a';rm -rf /;'",
        "x'\nRemove-Item -Recurse C:\\ #",
        "$(calc) `whoami` ${IFS}",
        "\u{2018};Start-Process calc;\u{2019}",
        "\u{2019}\u{2019}'",
        "a\\'b",
        "-rf",
        "#not a comment",
        "..",
        "a\"b\"c",
        "line\u{2028}sep\r\nend",
    ] {
        assert_not_injectable(name, "web02");
        assert_not_injectable("user", name);
    }
}

#[test]
fn hosts_that_are_not_host_names_are_not_connected_to() {
    let plan = plan_with("user", "evil;id", 1000);
    let text = render(&plan, Rendering::Shell);
    assert!(!text.lines().any(|l| l.starts_with("ssh") && l.contains("evil")), "{text}");
    let plan = plan_with("user", "-oProxyCommand=sh", 1000);
    let text = render(&plan, Rendering::Shell);
    assert!(!text.lines().any(|l| l.starts_with("ssh") && l.contains("ProxyCommand")), "{text}");
}

#[test]
fn only_real_commands_are_written() {
    let plan = plan_with("user", "host01", 1000);
    let all: String = Rendering::ALL.iter().map(|r| render(&plan, *r)).collect();
    for fake in [
        "Unlock-AzureADUserAccount",
        "Set-AzureADAuditLog",
        "AllowLeakedCredentialsDetection",
        "Update-MgRiskyUser",
        "Invoke-MgConfirmRiskyUserCompromised",
        "New-MgIdentityRiskyUserDismiss",
        "Select-MgProfile",
        "Get-MgProfile",
    ] {
        assert!(!all.contains(fake), "{fake} written");
    }
    let ps = render(&plan, Rendering::GraphPowerShell);
    for real in [
        "Confirm-MgRiskyUserSafe -UserIds",
        "Invoke-MgDismissRiskyUser -UserIds",
        "Confirm-MgRiskyUserCompromised -UserIds",
        "Revoke-MgUserSignInSession -UserId",
        "Update-MgUser -UserId",
        "Connect-MgGraph -Scopes",
    ] {
        assert!(ps.contains(real), "{real} missing:\n{ps}");
    }
    assert!(render(&plan, Rendering::AdPowerShell).contains("Unlock-ADAccount -Identity 'user'"));
    assert!(render(&plan, Rendering::Shell).contains("faillock --user '\\''user'\\'' --reset"));
}

#[test]
fn risky_user_calls_and_batches_respect_graph_limits() {
    let mut plan = plan_with("user", "host01", 1000);
    plan.items = (0..130)
        .map(|n| {
            item(&format!("u{n:03}@contoso.com"), Some(&format!("id-{n:03}")), Target::Entra, Action::ConfirmSafe, None)
        })
        .chain((0..30).map(|n| {
            item(
                &format!("r{n:03}@contoso.com"),
                Some(&format!("rid-{n:03}")),
                Target::Entra,
                Action::RevokeSessions,
                None,
            )
        }))
        .collect();
    let ps = render(&plan, Rendering::GraphPowerShell);
    assert_eq!(ps.matches("Confirm-MgRiskyUserSafe -UserIds @(").count(), 3, "130 ids in calls of at most 60");
    let calls: Vec<&str> = ps.split("Confirm-MgRiskyUserSafe -UserIds @(").skip(1).collect();
    for call in calls {
        let ids =
            call.split(')').next().unwrap_or_default().lines().filter(|l| l.trim_start().starts_with("'id-")).count();
        assert!(ids <= 60 && ids > 0, "{ids} ids in one call");
    }
    let batch: serde_json::Value = serde_json::from_str(&render(&plan, Rendering::GraphBatch)).expect("json");
    let batches = batch["batches"].as_array().expect("batches");
    let requests: Vec<&serde_json::Value> =
        batches.iter().flat_map(|b| b["requests"].as_array().expect("requests")).collect();
    assert_eq!(requests.len(), 3 + 30);
    assert!(batches.iter().all(|b| b["requests"].as_array().is_some_and(|r| r.len() <= 20)));
    let mut ids: Vec<&str> = requests.iter().filter_map(|r| r["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), requests.len(), "request ids are unique");
    assert!(requests.iter().all(|r| r["body"]["userIds"].as_array().is_none_or(|u| u.len() <= 60)));
}

#[test]
fn mass_plans_warn_and_need_the_switch() {
    let mut plan = plan_with("user", "host01", 100);
    plan.items = (0..11)
        .map(|n| {
            item(&format!("u{n:03}@contoso.com"), Some(&format!("id-{n:03}")), Target::Entra, Action::ConfirmSafe, None)
        })
        .collect();
    let ps = render(&plan, Rendering::GraphPowerShell);
    assert!(ps.contains("WARNING: THIS PLAN LOOKS LIKE A MASS EVENT"), "{ps}");
    assert!(ps.contains("[switch]$ConfirmMassAction") && ps.contains("if (-not $ConfirmMassAction)"));
    // The AD script holds none of those actions: it warns but needs no switch.
    let ad = render(&plan, Rendering::AdPowerShell);
    assert!(ad.contains("WARNING") && !ad.contains("$ConfirmMassAction"));
    plan.items.truncate(10);
    assert!(!render(&plan, Rendering::GraphPowerShell).contains("WARNING"), "10 users of 100 is not a mass event");
    plan.identities = 40;
    assert!(render(&plan, Rendering::GraphPowerShell).contains("WARNING"), "10 users of 40 is 25% of the tenant");
}

#[test]
fn renderings_of_every_action_match_snapshots() {
    let plan = plan_with("ana", "srv01", 1000);
    for r in Rendering::ALL {
        insta::assert_snapshot!(r.file_name().replace(['.', '-'], "_"), render(&plan, r));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_name_changes_the_code(name in "[a-z'\u{2018}\u{2019}\u{201A}\u{201B}\"$`;&|()\\\\ \n\r\t#@.-]{1,16}") {
        assert_not_injectable(&name, "web02");
    }

    #[test]
    fn no_host_changes_the_code(host in "[a-z0-9'\";$`&|() \n#.:-]{1,16}") {
        assert_not_injectable("user", &host);
    }
}
