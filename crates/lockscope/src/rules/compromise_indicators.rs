//! `compromise-indicators`: signs that someone other than the user used the account.
//!
//! **Detects** independent indicators, each scored: successful sign-ins from a new country that
//! first appeared with an IP and a device the user had never used — judged at its first
//! appearance and only after the user has an established history (`timeline::Baseline`); sign-in or user risk detections other than
//! `leakedCredentials` that nobody dismissed (`unfamiliarFeatures`, `anomalousToken`,
//! `unlikelyTravel`, `passwordSpray`, …); security info registered by the user within two days
//! after such a sign-in (attackers add their own MFA method); an admin's
//! `confirmCompromised`. Two indicators, or an admin confirmation, make a compromise; one alone
//! asks for review. **Why it matters**: a real compromise hidden inside a provider mass event
//! must never be cleared with the innocent users — this rule runs for every member.
//! **Evidence**: the indicating records. **False positives**: travel with a new laptop on the
//! same day as a genuine risk detection. **References**: reference/formats.md §1.2 ("Telling a
//! false positive from real compromise"), §4.4.

use super::{Rule, UserCtx, cite};
use crate::event::{ActorKind, Event, Kind, Outcome};
use crate::finding::{Evidence, Finding, RuleId};

/// See the module documentation.
pub struct CompromiseIndicators;

/// Risk detection types that indicate use by someone else (not leaked credentials, which say
/// the password is out, not that it was used).
const COMPROMISE_TYPES: &[&str] = &[
    "unfamiliarfeatures",
    "anomaloustoken",
    "unlikelytravel",
    "impossibletravel",
    "mcasimpossibletravel",
    "maliciousipaddress",
    "malwareinfectedipaddress",
    "suspiciousbrowser",
    "tokenissueranomaly",
    "suspiciousinboxforwarding",
    "mcassuspiciousinboxmanipulationrules",
    "investigationsthreatintelligence",
    "attackerinthemiddle",
    "anomaloususeractivity",
    "suspiciousapitraffic",
    "attemptedprtaccess",
    "nationstateip",
    "passwordspray",
    "newcountry",
    "suspiciousipaddress",
    "adminconfirmedusercompromised",
    "mcasfinsuspiciousfileaccess",
    "suspicioussendingpatterns",
    "userreportedsuspiciousactivity",
];

fn is_compromise_type(t: &str) -> bool {
    COMPROMISE_TYPES.contains(&t.to_ascii_lowercase().as_str())
}

/// Whether a risk record was cleared by a person or by Microsoft as safe.
fn cleared(e: &Event) -> bool {
    e.risk.as_ref().is_some_and(|r| {
        matches!(r.state.as_deref(), Some("dismissed" | "confirmedSafe" | "remediated"))
            && !matches!(
                r.detail.as_deref(),
                Some("userPerformedSecuredPasswordChange" | "userPerformedSecuredPasswordReset")
            )
    })
}

impl Rule for CompromiseIndicators {
    fn id(&self) -> RuleId {
        RuleId::CompromiseIndicators
    }

    fn evaluate(&self, ctx: &UserCtx<'_>) -> Option<Finding> {
        let mut score = 0;
        let mut reasons = Vec::new();
        let mut evidence: Vec<Evidence> = Vec::new();

        let strange: Vec<&Event> = ctx
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind.is_user_sign_in() && e.outcome == Outcome::Success && ctx.baseline.is_novel(e))
            .collect();
        if !strange.is_empty() {
            score += 1;
            reasons.push(format!(
                "{} successful sign-in(s) from a new country, with an IP and device never used before",
                strange.len()
            ));
            evidence.extend(strange.iter().map(|e| cite(e)));
        }

        let risky: Vec<&Event> = ctx
            .iter()
            .map(|(_, e)| e)
            .filter(|e| {
                let typed = e.risk.as_ref().is_some_and(|r| r.event_types.iter().any(|t| is_compromise_type(t)));
                let relevant =
                    e.kind == Kind::RiskDetection || (e.kind.is_user_sign_in() && e.outcome == Outcome::Success);
                relevant && typed && !cleared(e)
            })
            .collect();
        if !risky.is_empty() {
            score += 1;
            let mut types: Vec<String> = risky
                .iter()
                .flat_map(|e| e.risk.iter().flat_map(|r| r.event_types.clone()))
                .filter(|t| is_compromise_type(t))
                .collect();
            types.sort();
            types.dedup();
            reasons.push(format!("risk detections: {}", types.join(", ")));
            evidence.extend(risky.iter().map(|e| cite(e)));
            // The successes from the flagged IPs show what the detection was about.
            let flagged: Vec<&str> = risky.iter().filter_map(|e| e.ip.as_deref()).collect();
            evidence.extend(
                ctx.iter()
                    .map(|(_, e)| e)
                    .filter(|e| e.kind.is_user_sign_in() && e.outcome == Outcome::Success)
                    .filter(|e| e.ip.as_deref().is_some_and(|ip| flagged.contains(&ip)))
                    .map(cite),
            );
        }

        // Attackers register their own MFA method: a change by the user from an attacker IP, or
        // within two days after a strange or risky sign-in, is a third, independent indicator.
        let bad_ips: Vec<&str> = strange.iter().chain(risky.iter()).filter_map(|e| e.ip.as_deref()).collect();
        let first_bad = strange.iter().chain(risky.iter()).map(|e| e.time.as_second()).min();
        let persistence: Vec<&Event> = ctx
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind == Kind::AuthMethodChanged)
            .filter(|e| e.actor.as_ref().is_none_or(|a| a.kind == ActorKind::User && !e_is_admin(a, ctx)))
            .filter(|e| {
                e.ip.as_deref().is_some_and(|ip| bad_ips.contains(&ip))
                    || first_bad.is_some_and(|t| (0..=2 * 86_400).contains(&(e.time.as_second() - t)))
            })
            .collect();
        if !persistence.is_empty() {
            score += 1;
            reasons.push("security info registered by the account right after the suspicious sign-in".into());
            evidence.extend(persistence.iter().map(|e| cite(e)));
        }

        let confirmed: Vec<&Event> = ctx
            .iter()
            .map(|(_, e)| e)
            .filter(|e| {
                e.risk.as_ref().is_some_and(|r| {
                    r.state.as_deref() == Some("confirmedCompromised")
                        || r.detail.as_deref() == Some("adminConfirmedUserCompromised")
                })
            })
            .collect();
        if !confirmed.is_empty() {
            score += 2;
            reasons.push("an administrator confirmed the account compromised".into());
            evidence.extend(confirmed.iter().map(|e| cite(e)));
        }

        // A new country alone is travel until something else says otherwise; risk detections
        // alone are Microsoft's own signal and are worth a review.
        if score == 0 || (score == 1 && !strange.is_empty()) {
            return None;
        }
        let strong = score >= 2;
        let summary = format!(
            "{}: {}",
            if strong {
                "the account shows signs of use by someone else"
            } else {
                "one indicator of possible compromise"
            },
            reasons.join("; ")
        );
        let confidence = if strong { 0.75 + 0.08 * f64::from(score.min(4) - 1) } else { 0.5 };
        let sources: Vec<String> = strange.iter().filter_map(|e| e.ip.clone()).collect();
        let finding = ctx.finding(self.id(), summary, confidence, evidence).with_sources(sources);
        Some(if strong { finding.compromising() } else { finding })
    }
}

/// Whether the initiator of an auth-method change is someone other than the user (an admin).
fn e_is_admin(a: &crate::event::Actor, ctx: &UserCtx<'_>) -> bool {
    let names = ctx.names();
    let mine = |v: &Option<String>| v.as_deref().is_some_and(|n| names.iter().any(|u| u.eq_ignore_ascii_case(n)));
    !(mine(&a.id) || mine(&a.name))
}
