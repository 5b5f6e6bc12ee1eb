//! What an AADSTS error code means for this tool: an [`Outcome`] and a [`Failure`] class.
//!
//! Sign-in logs store the code without its `AADSTS` prefix (`status.errorCode`, `ResultType`,
//! `resultType`). The meanings follow `reference/formats.md` §5, which paraphrases Microsoft's
//! `reference-error-codes.md`. The tables below are the single place where the engine learns what
//! a code means; every Entra parser (and any rule that sees a bare code) asks here.
//!
//! Three decisions shape the tables:
//! * An *interrupt* is a step of a normal sign-in (KMSI prompt, MFA prompt, device auth, account
//!   picker). It is neither a success nor a failure, and it must never count toward a
//!   failed-credential burst: 50140 alone fills whole exports.
//! * The failure classes say *why* access was refused, so rules can tell a lockout (50053) from an
//!   admin disable (50057), a revoked token (50173) from one that merely aged out (700082).
//! * Conditional Access blocks (53003, 530032, 530035) are [`Failure::PolicyBlocked`] here; only
//!   the sign-in record can show that the block was risk-driven, so [`classify`] takes that fact as
//!   an argument.

use crate::event::{Failure, Outcome};

/// Interrupt codes: the sign-in paused to ask the user (or client) for something more.
///
/// * 50140 KmsiInterrupt: "Keep me signed in" prompt. The most common code in real exports.
/// * 50074, 50076: strong authentication (MFA) required by configuration; the client is asked to
///   do MFA. 500121 is the code for MFA that was then *not* completed.
/// * 50079, 50072: the user must register for MFA (enrolment interrupt).
/// * 50097: device authentication required (the client is asked to prove its device).
/// * 50125: password reset or registration interrupt (a risk policy asking for a password change
///   may surface here).
/// * 50158: an external security challenge (third-party MFA, custom control) is pending.
/// * 16000, 16001: account selection (the user must pick an account).
/// * 50199: CmsiInterrupt, a security confirmation prompt for native/mobile redirect URIs.
/// * 81010, 81012: Seamless SSO could not use the Kerberos ticket; the client falls back to a
///   normal prompt.
/// * 50058: silent sign-in without enough session information; the client falls back to an
///   interactive prompt. Very common in non-interactive logs, and not a credential failure.
const INTERRUPTS: &[i64] =
    &[50140, 50074, 50076, 50079, 50072, 50097, 50125, 50158, 16000, 16001, 50199, 81010, 81012, 50058];

/// Credential failures: the password was wrong or the account does not exist.
///
/// 50126 counts toward smart lockout; 50034 is typical of sprays and enumeration.
const CREDENTIAL: &[(i64, Failure)] = &[(50126, Failure::BadPassword), (50034, Failure::UnknownUser)];

/// Account state: locked (smart lockout, or a sign-in from an IP with malicious activity),
/// disabled by an admin, or password expired (cloud 50055, on-premises 50144). Lock and disable
/// are kept apart on purpose: they have different remedies.
const ACCOUNT: &[(i64, Failure)] = &[
    (50053, Failure::Locked),
    (50057, Failure::Disabled),
    (50055, Failure::PasswordExpired),
    (50144, Failure::PasswordExpired),
];

/// Risk blocks that need no policy context: 53011 (user blocked because of risk on the home
/// tenant), 53004 (MFA registration blocked because of risk) and 50135 (password change required
/// because of account risk: formats.md §5 lists it as risk remediation, and the sign-in does not
/// complete until the user changes the password).
const RISK: &[(i64, Failure)] =
    &[(53011, Failure::RiskBlocked), (53004, Failure::RiskBlocked), (50135, Failure::RiskBlocked)];

/// Policy blocks: Conditional Access (53003), a tenant security policy (530032), security defaults
/// (530035). Whether risk drove the block is only visible in the record (see [`classify`]).
const POLICY: &[i64] = &[53003, 530032, 530035];

/// Token and session invalidation: the grant or session was revoked (50173 FreshTokenNeeded is the
/// main trace of a `StsRefreshTokensValidFrom` bump hitting a live refresh token), or invalidated
/// by a password change (50132, 50133), or reported expired-or-revoked (70008, 70000).
const REVOKED: &[i64] = &[50173, 50133, 50132, 70008, 70000];

/// Token expiry that is not a revocation: inactivity (700082), sign-in frequency (70043), the 24 h
/// single-page-app refresh-token lifetime (700084).
const EXPIRED: &[i64] = &[700082, 70043, 700084];

/// MFA was required and failed or timed out (500121): an MFA-fatigue indicator.
const MFA: &[i64] = &[500121];

/// Whether `code` is an interrupt (neither success nor failure).
pub(crate) fn is_interrupt(code: i64) -> bool {
    INTERRUPTS.contains(&code)
}

/// The outcome of a sign-in that ended with `code`: 0 is success, interrupts are
/// [`Outcome::Interrupted`], anything else is a failure.
pub(crate) fn outcome(code: i64) -> Outcome {
    if code == 0 {
        Outcome::Success
    } else if is_interrupt(code) {
        Outcome::Interrupted
    } else {
        Outcome::Failure
    }
}

/// The failure class of `code`, or `None` for success and interrupts. Policy blocks are
/// [`Failure::PolicyBlocked`]; use [`classify`] when the record can show risk.
pub(crate) fn failure(code: i64) -> Option<Failure> {
    if outcome(code) != Outcome::Failure {
        return None;
    }
    let lookup = |table: &[(i64, Failure)]| table.iter().find(|(c, _)| *c == code).map(|(_, f)| *f);
    let class = if let Some(f) = lookup(CREDENTIAL).or_else(|| lookup(ACCOUNT)).or_else(|| lookup(RISK)) {
        f
    } else if POLICY.contains(&code) {
        Failure::PolicyBlocked
    } else if REVOKED.contains(&code) {
        Failure::TokenRevoked
    } else if EXPIRED.contains(&code) {
        Failure::TokenExpired
    } else if MFA.contains(&code) {
        Failure::MfaFailed
    } else {
        Failure::Other
    };
    Some(class)
}

/// Outcome and failure class of `code`, where `risk_shown` says whether the record shows risk
/// (a failed policy with a risk condition, an elevated risk level, or `riskState` `atRisk`):
/// a policy block with risk is [`Failure::RiskBlocked`].
pub(crate) fn classify(code: i64, risk_shown: bool) -> (Outcome, Option<Failure>) {
    let failure = match failure(code) {
        Some(Failure::PolicyBlocked) if risk_shown => Some(Failure::RiskBlocked),
        other => other,
    };
    (outcome(code), failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_interrupts_have_no_failure() {
        assert_eq!(classify(0, true), (Outcome::Success, None));
        for code in [50140, 50074, 50076, 50079, 50072, 50097, 50125, 50158, 16000, 16001, 50199, 81010, 81012] {
            assert_eq!(classify(code, false), (Outcome::Interrupted, None), "{code}");
            assert!(is_interrupt(code));
        }
    }

    #[test]
    fn failure_table() {
        let cases = [
            (50126, Failure::BadPassword),
            (50034, Failure::UnknownUser),
            (50053, Failure::Locked),
            (50057, Failure::Disabled),
            (50055, Failure::PasswordExpired),
            (50144, Failure::PasswordExpired),
            (53011, Failure::RiskBlocked),
            (53004, Failure::RiskBlocked),
            (50135, Failure::RiskBlocked),
            (53003, Failure::PolicyBlocked),
            (530032, Failure::PolicyBlocked),
            (530035, Failure::PolicyBlocked),
            (50173, Failure::TokenRevoked),
            (50133, Failure::TokenRevoked),
            (50132, Failure::TokenRevoked),
            (70008, Failure::TokenRevoked),
            (70000, Failure::TokenRevoked),
            (700082, Failure::TokenExpired),
            (70043, Failure::TokenExpired),
            (700084, Failure::TokenExpired),
            (500121, Failure::MfaFailed),
            (9002313, Failure::Other),
            (7000215, Failure::Other),
            (-1, Failure::Other),
        ];
        for (code, class) in cases {
            assert_eq!(classify(code, false), (Outcome::Failure, Some(class)), "{code}");
            assert_eq!(failure(code), Some(class), "{code}");
        }
    }

    #[test]
    fn risk_turns_policy_blocks_into_risk_blocks_only() {
        for code in [53003, 530032, 530035] {
            assert_eq!(classify(code, true).1, Some(Failure::RiskBlocked));
        }
        // Risk shown on a sign-in that failed for another reason does not change its class.
        assert_eq!(classify(50126, true).1, Some(Failure::BadPassword));
        assert_eq!(classify(50173, true).1, Some(Failure::TokenRevoked));
        assert_eq!(classify(53011, false).1, Some(Failure::RiskBlocked));
    }

    #[test]
    fn tables_do_not_overlap() {
        let mut all: Vec<i64> = INTERRUPTS.to_vec();
        all.extend(CREDENTIAL.iter().chain(ACCOUNT).chain(RISK).map(|(c, _)| *c));
        all.extend(POLICY.iter().chain(REVOKED).chain(EXPIRED).chain(MFA));
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a code appears in two tables");
    }
}
