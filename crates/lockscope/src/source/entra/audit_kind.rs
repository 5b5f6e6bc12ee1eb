//! Directory-audit activity names → event kinds (`reference/formats.md` §3.3).
//!
//! Names are matched exactly (ignoring case, surrounding space, runs of inner space and one
//! trailing `.`), never by substring or by the properties a row modifies: `Add user` carries
//! `StsRefreshTokensValidFrom` too, yet it is not a revocation (§1.3).

use crate::event::{Kind, Risk};

/// Activity names (lowercase, single-spaced) and the kind each one means.
const KINDS: &[(&str, Kind)] = &[
    // Only this name is a refresh-token revocation. "Revoke user all refresh tokens" and
    // "Invalidate all refresh tokens for user" are not real activities (§3.3).
    ("update stsrefreshtokenvalidfrom timestamp", Kind::TokenInvalidation),
    ("change user password", Kind::PasswordChange),
    ("change password (self-service)", Kind::PasswordChange),
    ("reset password", Kind::PasswordReset),
    ("reset user password", Kind::PasswordReset),
    ("reset password (by admin)", Kind::PasswordReset),
    ("reset password (self-service)", Kind::PasswordReset),
    ("disable account", Kind::AccountDisabled),
    ("enable account", Kind::AccountEnabled),
    ("unlock user account (self-service)", Kind::AccountUnlocked),
    ("add user", Kind::UserCreated),
    ("delete user", Kind::UserDeleted),
    ("hard delete user", Kind::UserDeleted),
    ("update user", Kind::UserUpdated),
    ("add service principal", Kind::ServicePrincipalCreated),
    ("user registered security info", Kind::AuthMethodChanged),
    ("user registered all required security info", Kind::AuthMethodChanged),
    ("admin registered security info", Kind::AuthMethodChanged),
    ("user changed default security info", Kind::AuthMethodChanged),
    ("user deleted security info", Kind::AuthMethodChanged),
    ("security info saved for self-service password reset", Kind::AuthMethodChanged),
    ("disable strong authentication", Kind::AuthMethodChanged),
    ("enable strong authentication", Kind::AuthMethodChanged),
    ("confirmsafe", Kind::RiskRemediation),
    ("dismissuser", Kind::RiskRemediation),
    ("confirmcompromised", Kind::RiskRemediation),
    ("confirmaccountcompromised", Kind::RiskRemediation),
];

/// The activity name as it should be reported: trimmed, and without the one trailing `.` the
/// unified audit log and Defender `CloudAppEvents` add (`Disable account.`).
pub(super) fn normalise_activity(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t.strip_suffix('.').unwrap_or(t).trim_end();
    (!t.is_empty()).then(|| t.to_string())
}

/// The kind of event an audit activity is.
pub(super) fn kind_of(activity: &str) -> Kind {
    let key = match_key(activity);
    KINDS.iter().find(|(name, _)| *name == key).map_or(Kind::Audit, |(_, kind)| *kind)
}

/// The risk an Identity Protection remediation leaves on the user, per the remediation page
/// quoted in §4.2. `ConfirmSafe`'s resulting state is not documented, so only its detail is set.
pub(super) fn remediation(activity: &str) -> Option<Risk> {
    let (detail, state) = match match_key(activity).as_str() {
        "confirmsafe" => ("adminConfirmedSigninSafe", None),
        "dismissuser" => ("adminDismissedAllRiskForUser", Some("dismissed")),
        "confirmcompromised" | "confirmaccountcompromised" => {
            ("adminConfirmedUserCompromised", Some("confirmedCompromised"))
        }
        _ => return None,
    };
    Some(Risk { detail: Some(detail.to_string()), state: state.map(str::to_string), ..Risk::default() })
}

/// The comparison form of a name: normalised, lowercase, inner whitespace runs as one space.
fn match_key(activity: &str) -> String {
    let name = normalise_activity(activity).unwrap_or_default();
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_kinds() {
        let cases = [
            ("Update StsRefreshTokenValidFrom Timestamp", Kind::TokenInvalidation),
            ("Update StsRefreshTokenValidFrom Timestamp.", Kind::TokenInvalidation),
            ("  update  stsrefreshtokenvalidfrom TIMESTAMP ", Kind::TokenInvalidation),
            ("Revoke user all refresh tokens", Kind::Audit),
            ("Invalidate all refresh tokens for user", Kind::Audit),
            ("Change user password", Kind::PasswordChange),
            ("Reset password (by admin)", Kind::PasswordReset),
            ("Reset user password.", Kind::PasswordReset),
            ("Disable account.", Kind::AccountDisabled),
            ("Enable account", Kind::AccountEnabled),
            ("Unlock user account (self-service)", Kind::AccountUnlocked),
            ("Add user", Kind::UserCreated),
            ("Hard Delete user", Kind::UserDeleted),
            ("Update user", Kind::UserUpdated),
            ("Add service principal", Kind::ServicePrincipalCreated),
            ("User registered security info", Kind::AuthMethodChanged),
            ("Disable Strong Authentication", Kind::AuthMethodChanged),
            ("DismissUser", Kind::RiskRemediation),
            ("ConfirmAccountCompromised", Kind::RiskRemediation),
            ("ConfirmServicePrincipalCompromised", Kind::Audit),
            ("Update device", Kind::Audit),
            ("", Kind::Audit),
            (".", Kind::Audit),
        ];
        for (name, kind) in cases {
            assert_eq!(kind_of(name), kind, "{name:?}");
        }
    }

    #[test]
    fn one_trailing_dot_is_trimmed() {
        assert_eq!(normalise_activity(" Disable account. ").as_deref(), Some("Disable account"));
        assert_eq!(normalise_activity("Wait..").as_deref(), Some("Wait."));
        assert_eq!(
            normalise_activity("Update application – Certificates and secrets management ").as_deref(),
            Some("Update application – Certificates and secrets management")
        );
        assert_eq!(normalise_activity(" . "), None);
    }

    #[test]
    fn remediations_carry_the_risk_detail() {
        let detail = |a: &str| remediation(a).and_then(|r| r.detail);
        assert_eq!(detail("ConfirmSafe").as_deref(), Some("adminConfirmedSigninSafe"));
        assert_eq!(detail("DismissUser").as_deref(), Some("adminDismissedAllRiskForUser"));
        assert_eq!(detail("ConfirmCompromised").as_deref(), Some("adminConfirmedUserCompromised"));
        assert_eq!(detail("ConfirmAccountCompromised").as_deref(), Some("adminConfirmedUserCompromised"));
        assert_eq!(remediation("Update user"), None);
    }
}
