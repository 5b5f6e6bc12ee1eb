//! From a case folder to items and exclusions: the remediation rules.
//!
//! Per affected user, the verdict decides what may be done at all:
//!
//! | verdict | planned | never |
//! |---|---|---|
//! | `false-positive` | `confirm-safe` (`dismiss-risk` with `--dismiss`), and the safe remedies | a password reset |
//! | `compromised` | `confirm-compromised`, `revoke-sessions`, `reset-password`, and the safe remedies | `confirm-safe`, `dismiss-risk` |
//! | `needs-review` | only the safe remedies the case names | anything else: a person decides |
//! | `benign` | the safe remedies the case names | — |
//!
//! The *safe remedies* restore access or take one away from an intruder without clearing any risk:
//! `revoke-sessions`, `unlock-ad`, `reset-faillock`, `fix-stale-credential`. A user without any
//! planned item is excluded, with the reason.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::case_dir::{CaseDir, EvidenceRow, FindingRow, UserRow};
use super::{
    CaseRef, CurrentState, Excluded, Item, MAX_ITEM_EVIDENCE, MassEvent, Options, PLAN_SCHEMA_VERSION, Plan, PlanError,
    PlanEvidence, TOOL, Target,
};
use crate::finding::{Action, Verdict};

/// Remedies that never clear a risk: planned for any verdict the case gives them to.
const SAFE_REMEDIES: &[Action] =
    &[Action::RevokeSessions, Action::UnlockAd, Action::ResetFaillock, Action::FixStaleCredential];

/// Builds the plan of a case read from `path`.
pub(super) fn plan(case: &CaseDir, path: String, opts: &Options) -> Result<Plan, PlanError> {
    let realms = Realms::of(case);
    let mut items = Vec::new();
    let mut excluded = Vec::new();
    for row in &case.users {
        let ctx = UserCtx::new(row, case, &realms);
        let planned = ctx.items(opts);
        if planned.is_empty() {
            excluded.push(Excluded { user: row.user.clone(), reason: ctx.exclusion() });
        }
        items.extend(planned);
    }
    items.sort_by(|a, b| {
        (a.target.as_str(), a.action.as_str(), &a.user).cmp(&(b.target.as_str(), b.action.as_str(), &b.user))
    });
    items.dedup_by(|a, b| a.target == b.target && a.action == b.action && a.user == b.user);
    excluded.sort();
    check_no_unsafe_clear(&items, case)?;
    let mut plan = Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        tool: TOOL.to_string(),
        hash: String::new(),
        created: created(case),
        case: CaseRef { path, manifest_sha256: case.manifest_sha256.clone() },
        identities: case.manifest.identities,
        mass_event: mass_event(case),
        items,
        excluded,
    };
    plan.hash = plan.compute_hash();
    Ok(plan)
}

/// The bug guard of the first remediation rule: no item clears a user the case does not call a
/// false positive, or one with any compromise indicator.
pub(super) fn check_no_unsafe_clear(items: &[Item], case: &CaseDir) -> Result<(), PlanError> {
    for item in items.iter().filter(|i| matches!(i.action, Action::ConfirmSafe | Action::DismissRisk)) {
        let rows: Vec<&UserRow> = case.users.iter().filter(|u| u.user == item.user).collect();
        let Some(row) = rows.first() else {
            return Err(PlanError::UnsafeClear {
                user: item.user.clone(),
                action: item.action,
                verdict: "nothing (not an affected user)".into(),
                indicator: "",
            });
        };
        if row.verdict != Verdict::FalsePositive {
            return Err(PlanError::UnsafeClear {
                user: item.user.clone(),
                action: item.action,
                verdict: row.verdict.to_string(),
                indicator: "",
            });
        }
        if has_compromise_signal(row, case) {
            return Err(PlanError::UnsafeClear {
                user: item.user.clone(),
                action: item.action,
                verdict: row.verdict.to_string(),
                indicator: " with a compromise indicator",
            });
        }
    }
    Ok(())
}

/// Whether anything in the case says someone else may have used the account.
fn has_compromise_signal(row: &UserRow, case: &CaseDir) -> bool {
    row.root_cause == "compromise-indicators"
        || row.contributing.iter().any(|c| c == "compromise-indicators")
        || row
            .findings
            .iter()
            .filter_map(|id| case.findings.get(id))
            .any(|f| f.compromise || f.rule == "compromise-indicators")
}

/// The time of the case's last event: `case.json`'s window, else the latest time the case
/// names.
fn created(case: &CaseDir) -> String {
    if let Some(w) = &case.manifest.window
        && let Some(t) = crate::time::parse(&w.end)
    {
        return crate::time::format(t);
    }
    let times = case
        .users
        .iter()
        .filter_map(|u| u.last_seen.as_deref())
        .chain(case.findings.values().filter_map(|f| f.window.as_ref().map(|w| w.end.as_str())))
        .chain(case.incidents.iter().filter_map(|i| i.window.as_ref().map(|w| w.end.as_str())));
    let latest = times.filter_map(crate::time::parse).max().unwrap_or(Timestamp::UNIX_EPOCH);
    crate::time::format(latest)
}

/// The largest provider mass revocation.
fn mass_event(case: &CaseDir) -> Option<MassEvent> {
    case.incidents
        .iter()
        .filter(|i| i.kind == "provider-mass-revocation")
        .max_by(|a, b| a.members.len().cmp(&b.members.len()).then_with(|| b.id.cmp(&a.id)))
        .map(|i| MassEvent { incident: i.id.clone(), members: i.members.len() })
}

/// Which system each input file comes from, by the format `case.json` gives it.
struct Realms<'a> {
    by_file: BTreeMap<&'a str, Target>,
}

impl<'a> Realms<'a> {
    fn of(case: &'a CaseDir) -> Self {
        let by_file = case
            .manifest
            .inputs
            .iter()
            .filter_map(|i| {
                let realm = match i.format.as_str() {
                    "evtx" | "windows-xml" => Target::Ad,
                    "syslog" | "journald-json" | "journald-export" | "faillock-tally" | "tallylog" => Target::Linux,
                    "json" | "json-lines" | "log-analytics-csv" | "entra-portal-csv" => Target::Entra,
                    _ => return None,
                };
                Some((i.file.as_str(), realm))
            })
            .collect();
        Realms { by_file }
    }

    /// The system most of the evidence comes from (Active Directory, then Linux, then Entra on a
    /// tie); `None` when no file is known.
    fn of_evidence(&self, evidence: &[EvidenceRow]) -> Option<Target> {
        let mut counts: BTreeMap<Target, usize> = BTreeMap::new();
        for e in evidence {
            if let Some(r) = self.by_file.get(e.file.as_str()) {
                *counts.entry(*r).or_default() += 1;
            }
        }
        [Target::Ad, Target::Linux, Target::Entra]
            .into_iter()
            .filter_map(|t| counts.get(&t).map(|n| (t, *n)))
            .fold(None, |best: Option<(Target, usize)>, (t, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((t, n)),
            })
            .map(|(t, _)| t)
    }

    fn any_entra(&self, evidence: &[EvidenceRow]) -> bool {
        evidence.iter().any(|e| self.by_file.get(e.file.as_str()) == Some(&Target::Entra))
    }
}

/// One affected user and what the case says about them.
struct UserCtx<'a> {
    row: &'a UserRow,
    findings: Vec<&'a FindingRow>,
    realms: &'a Realms<'a>,
    /// The case's actions this version knows.
    actions: Vec<Action>,
    compromise_signal: bool,
}

impl<'a> UserCtx<'a> {
    fn new(row: &'a UserRow, case: &'a CaseDir, realms: &'a Realms<'a>) -> Self {
        UserCtx {
            row,
            findings: row.findings.iter().filter_map(|id| case.findings.get(id)).collect(),
            realms,
            actions: row.actions.iter().filter_map(|a| a.parse().ok()).collect(),
            compromise_signal: has_compromise_signal(row, case),
        }
    }

    fn finding(&self, rule: &str) -> Option<&'a FindingRow> {
        self.findings.iter().copied().find(|f| f.rule == rule)
    }

    /// The finding the verdict rests on: the compromising one, else the root cause's.
    fn root(&self) -> Option<&'a FindingRow> {
        let compromising = self.findings.iter().copied().find(|f| f.compromise);
        match self.row.verdict {
            Verdict::Compromised => compromising.or_else(|| self.finding(&self.row.root_cause)),
            _ => self.finding(&self.row.root_cause),
        }
    }

    /// Whether the user exists in Entra ID as far as the case shows.
    fn in_entra(&self) -> bool {
        self.row.object_id.is_some()
            || self.realms.any_entra(&self.row.evidence)
            || self.findings.iter().any(|f| self.realms.any_entra(&f.evidence))
    }

    /// What may be done, by verdict (the table in the module documentation), and what the case
    /// asked for that is left to a person.
    fn allowed(&self, opts: &Options) -> (Vec<Action>, Vec<Action>) {
        let mut planned = Vec::new();
        let mut withheld = Vec::new();
        let clear = if opts.dismiss { Action::DismissRisk } else { Action::ConfirmSafe };
        match self.row.verdict {
            Verdict::FalsePositive if !self.compromise_signal => planned.push(clear),
            Verdict::Compromised => {
                planned.extend([Action::ConfirmCompromised, Action::RevokeSessions, Action::ResetPassword]);
            }
            _ => {}
        }
        // A safe remedy is planned when a finding calls for it (a lock in force, a live leaked
        // token) or it is the fix of a stale credential; for compromised users, always.
        let remedied: Vec<Action> =
            self.findings.iter().flat_map(|f| f.remedies.iter()).filter_map(|r| r.parse().ok()).collect();
        for a in &self.actions {
            let called_for =
                self.row.verdict == Verdict::Compromised || *a == Action::FixStaleCredential || remedied.contains(a);
            if SAFE_REMEDIES.contains(a) && called_for {
                planned.push(*a);
                continue;
            }
            let not_an_action = matches!(a, Action::None | Action::BlockSource);
            let clear_of_false_positive =
                self.row.verdict == Verdict::FalsePositive && matches!(a, Action::ConfirmSafe | Action::DismissRisk);
            if !(not_an_action || planned.contains(a) || clear_of_false_positive) {
                withheld.push(*a);
            }
        }
        let mut seen = Vec::new();
        planned.retain(|a| {
            let new = !seen.contains(a);
            seen.push(*a);
            new
        });
        (planned, withheld)
    }

    /// The items of this user.
    fn items(&self, opts: &Options) -> Vec<Item> {
        let (planned, withheld) = self.allowed(opts);
        let in_entra = self.in_entra();
        let mut out = Vec::new();
        for action in planned {
            let Some((target, host, source)) = self.placement(action, in_entra) else { continue };
            let reason = self.reason(action, source.as_deref(), host.as_deref(), &withheld);
            let user = match target {
                Target::Ad => self.windows_name(),
                Target::Entra | Target::Linux => self.row.user.clone(),
            };
            out.push(Item {
                user,
                object_id: self.row.object_id.clone(),
                target,
                action,
                host,
                reason,
                evidence: self.evidence(action),
                current_state: CurrentState {
                    risk_state: self.row.risk_state.clone(),
                    risk_level: self.row.risk_level.clone(),
                    as_of: self.row.risk_as_of.clone(),
                },
            });
        }
        out
    }

    /// Where an action is carried out: the target, the host and the source named by the case.
    /// `None` when it cannot be carried out (an Entra action for a user Entra does not know).
    fn placement(&self, action: Action, in_entra: bool) -> Option<(Target, Option<String>, Option<String>)> {
        let lockout = |remedy: &str| {
            self.findings
                .iter()
                .copied()
                .filter(|f| f.rule == "account-lockout")
                .max_by_key(|f| f.remedies.iter().any(|r| r == remedy))
        };
        match action {
            Action::ConfirmSafe | Action::DismissRisk | Action::ConfirmCompromised | Action::RevokeSessions => {
                in_entra.then_some((Target::Entra, None, None))
            }
            Action::ResetPassword => {
                // Where the password was used by someone else: that is the password to reset.
                let realm = self
                    .root()
                    .and_then(|f| self.realms.of_evidence(&f.evidence))
                    .or_else(|| self.realms.of_evidence(&self.row.evidence))
                    .unwrap_or(if in_entra { Target::Entra } else { self.realm_by_name() });
                let host = (realm == Target::Linux)
                    .then(|| lockout("reset-faillock").and_then(|f| f.sources.first()).and_then(|s| host_of(s)))
                    .flatten();
                Some((realm, host, None))
            }
            Action::UnlockAd => {
                let source = lockout("unlock-ad").and_then(|f| f.sources.first()).cloned();
                Some((Target::Ad, source.as_deref().and_then(host_of), source))
            }
            Action::ResetFaillock => {
                let source = lockout("reset-faillock").and_then(|f| f.sources.first()).cloned();
                Some((Target::Linux, source.as_deref().and_then(host_of), source))
            }
            Action::FixStaleCredential => {
                let stale = self.finding("stale-credential");
                let source = stale
                    .and_then(|f| f.sources.first())
                    .or_else(|| lockout("").and_then(|f| f.sources.first()))
                    .cloned();
                let realm = stale
                    .or_else(|| lockout(""))
                    .and_then(|f| self.realms.of_evidence(&f.evidence))
                    .unwrap_or(if in_entra { Target::Entra } else { self.realm_by_name() });
                Some((realm, source.as_deref().and_then(host_of), source))
            }
            Action::BlockSource | Action::None => None,
        }
    }

    /// The system a name belongs to when no evidence says: `DOMAIN\sam` is Active Directory, a
    /// UPN is Entra, any other name a Linux account.
    fn realm_by_name(&self) -> Target {
        if self.row.user.contains('\\') {
            Target::Ad
        } else if self.row.user.contains('@') {
            Target::Entra
        } else {
            Target::Linux
        }
    }

    /// The account's Windows name (`DOMAIN\sam`) when the case knows it, else its name.
    fn windows_name(&self) -> String {
        if self.row.user.contains('\\') {
            return self.row.user.clone();
        }
        self.row.aliases.iter().find(|a| a.contains('\\')).unwrap_or(&self.row.user).clone()
    }

    /// The caller computer an account-lockout finding names (a bare host name, not an address),
    /// when it is not `host` itself: the name admins look for when the stale credential is known
    /// only by its address.
    fn caller_besides(&self, host: Option<&str>) -> Option<String> {
        let lockout = self.finding("account-lockout")?;
        let short_name = |h: &str| h.split('.').next().unwrap_or(h).to_ascii_lowercase();
        lockout
            .sources
            .iter()
            .filter(|s| !s.contains(' ') && s.parse::<std::net::IpAddr>().is_err() && !s.is_empty())
            .find(|s| host.is_none_or(|h| short_name(h) != short_name(s)))
            .cloned()
    }

    /// The finding an action rests on.
    fn basis(&self, action: Action) -> Option<&'a FindingRow> {
        match action {
            Action::UnlockAd | Action::ResetFaillock => self.finding("account-lockout"),
            Action::FixStaleCredential => self.finding("stale-credential").or_else(|| self.finding("account-lockout")),
            Action::RevokeSessions if self.row.verdict != Verdict::Compromised => {
                self.finding("token-leaked").or_else(|| self.root())
            }
            _ => self.root(),
        }
    }

    /// Up to [`MAX_ITEM_EVIDENCE`] records of the finding the action rests on (first, last and
    /// spread between), else of the user.
    fn evidence(&self, action: Action) -> Vec<PlanEvidence> {
        let rows = match self.basis(action) {
            Some(f) if !f.evidence.is_empty() => &f.evidence,
            _ => &self.row.evidence,
        };
        spread(rows, MAX_ITEM_EVIDENCE)
            .into_iter()
            .map(|e| PlanEvidence {
                file: e.file.clone(),
                line: e.line,
                record: e.record,
                offset: e.offset,
                time: e.time.clone(),
                note: e.note.clone(),
            })
            .collect()
    }

    /// `verdict (root cause, incident)`.
    fn head(&self) -> String {
        match &self.row.incident {
            Some(inc) => format!("{} ({}, {inc})", self.row.verdict, self.row.root_cause),
            None => format!("{} ({})", self.row.verdict, self.row.root_cause),
        }
    }

    /// One sentence: the verdict, the root cause, and why this action.
    fn reason(&self, action: Action, source: Option<&str>, host: Option<&str>, withheld: &[Action]) -> String {
        let head = self.head();
        let summary = self.root().map(|f| short(&f.summary, 200)).unwrap_or_default();
        let live_token =
            self.finding("token-leaked").is_some_and(|f| f.remedies.iter().any(|r| r == "revoke-sessions"));
        let mut text = match action {
            Action::ConfirmSafe => format!(
                "{head}: no compromise indicator, so confirm the user safe to lift the risk block; no password reset"
            ),
            Action::DismissRisk => {
                format!(
                    "{head}: no compromise indicator, so dismiss the user's risk to lift the block; no password reset"
                )
            }
            Action::ConfirmCompromised => format!("{head}: {summary}; confirm the account compromised"),
            Action::RevokeSessions if self.row.verdict == Verdict::Compromised => {
                format!("{head}: end every session the intruder may hold")
            }
            Action::RevokeSessions if live_token => {
                format!(
                    "{head}: a token of this user written into the logs is still valid; revoking the sessions kills it"
                )
            }
            Action::RevokeSessions => format!("{head}: the case asks to revoke the sessions: {summary}"),
            Action::ResetPassword => format!("{head}: the password is known to someone else; reset it"),
            Action::UnlockAd => format!(
                "{head}: the account is still locked; the bad passwords most likely came from {}: stop that source first or the account locks again",
                source.map(|s| short(s, 100)).unwrap_or_else(|| "a source the logs do not name".into())
            ),
            Action::ResetFaillock => format!(
                "{head}: pam_faillock still locks the account{}; clear its tally once the source of the bad passwords is stopped",
                host.map(|h| format!(" on {}", short(h, 100))).unwrap_or_default()
            ),
            Action::FixStaleCredential => format!(
                "{head}: {} keeps trying an old password; update or remove the credential stored there{}",
                source.map(|s| short(s, 100)).unwrap_or_else(|| "a device or service".into()),
                self.caller_besides(host)
                    .map(|c| format!(" (the lockout names the caller computer {c})"))
                    .unwrap_or_default()
            ),
            Action::BlockSource | Action::None => head,
        };
        if !withheld.is_empty() {
            let names: Vec<&str> = withheld.iter().map(|a| a.as_str()).collect();
            text.push_str(&format!("; left to a person: {}", names.join(", ")));
        }
        text
    }

    /// Why a user gets no automatic action.
    fn exclusion(&self) -> String {
        let root = &self.row.root_cause;
        match self.row.verdict {
            Verdict::Benign => format!("benign: nothing to do ({root})"),
            Verdict::FalsePositive if self.compromise_signal => {
                format!("false positive ({root}) with a compromise indicator: never cleared automatically")
            }
            Verdict::FalsePositive => {
                format!("false positive ({root}), but the case shows no Entra account to clear: nothing to do")
            }
            Verdict::Compromised => {
                format!("compromised ({root}), but the account is on no system this plan can act on: remediate by hand")
            }
            Verdict::NeedsReview => {
                let why = if self.compromise_signal || self.row.explanation.contains("compromise indicator") {
                    "one compromise indicator".to_string()
                } else {
                    match root.as_str() {
                        "password-spray" => "target of a password spray; block its sources (not automated)".into(),
                        "brute-force" => "target of a brute force; block its source (not automated)".into(),
                        "leaked-credentials" => "leaked credentials outside a mass event".into(),
                        other => format!("{other} is not explained away"),
                    }
                };
                let (_, withheld) = self.allowed(&Options::default());
                let names: Vec<&str> = withheld.iter().map(|a| a.as_str()).collect();
                if names.is_empty() {
                    format!("needs review: {why}; no automatic action")
                } else {
                    format!("needs review: {why}; left to a person: {}", names.join(", "))
                }
            }
        }
    }
}

/// The host a finding source names: `device K` → K, `P on H` → H, `host H` → H, `A at H` → H,
/// `H (P)` → H, else the source itself. `None` for an empty source.
pub(super) fn host_of(source: &str) -> Option<String> {
    let s = source.trim();
    let host = if let Some(k) = s.strip_prefix("device ") {
        k
    } else if let Some(h) = s.strip_prefix("host ") {
        h
    } else if let Some((_, h)) = s.rsplit_once(" on ") {
        h
    } else if let Some((_, h)) = s.rsplit_once(" at ") {
        h
    } else if s.ends_with(')')
        && let Some((h, _)) = s.split_once(" (")
    {
        h
    } else {
        s
    };
    let host = host.trim();
    (!host.is_empty() && host != "?").then(|| host.to_string())
}

/// Up to `n` of `rows`: the first, the last and an even spread between.
fn spread<T>(rows: &[T], n: usize) -> Vec<&T> {
    if rows.len() <= n || n < 2 {
        return rows.iter().take(n).collect();
    }
    let last = rows.len() - 1;
    let mut picks: Vec<usize> = (0..n).map(|i| i * last / (n - 1)).collect();
    picks.dedup();
    picks.into_iter().filter_map(|i| rows.get(i)).collect()
}

/// `s` cut to at most `max` characters (with `…`).
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_every_source_shape() {
        assert_eq!(host_of("device 3556ffa5").as_deref(), Some("3556ffa5"));
        assert_eq!(host_of(r"C:\Windows\System32\svchost.exe on SRV-APP01").as_deref(), Some("SRV-APP01"));
        assert_eq!(host_of(r"C:\Program Files (x86)\a.exe on WS01").as_deref(), Some("WS01"));
        assert_eq!(host_of("host 10.0.1.40").as_deref(), Some("10.0.1.40"));
        assert_eq!(host_of("ssh at 10.0.6.10").as_deref(), Some("10.0.6.10"));
        assert_eq!(
            host_of(r"SRV-FILE01.contoso.com (C:\Windows\System32\services.exe)").as_deref(),
            Some("SRV-FILE01.contoso.com")
        );
        assert_eq!(host_of("bastion01 (sshd)").as_deref(), Some("bastion01"));
        assert_eq!(host_of("kali").as_deref(), Some("kali"));
        assert_eq!(host_of("client at ?"), None);
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn spread_keeps_ends() {
        let v: Vec<u32> = (0..12).collect();
        assert_eq!(spread(&v, 5), vec![&0, &2, &5, &8, &11]);
        assert_eq!(spread(&v[..3], 5), vec![&0, &1, &2]);
    }
}
