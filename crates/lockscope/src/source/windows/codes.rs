//! The code tables of `reference/formats.md` §7.3: NTSTATUS values (4625 `Status`/`SubStatus`,
//! 4776 `Status`), Kerberos result codes (4768/4771 `Status`) and `FailureReason` insertion
//! strings, mapped onto the shared [`Failure`] taxonomy.
//!
//! Two mappings are judgement calls, documented where they are made: an expired *account*
//! (`0xC0000193`) and Kerberos `0x12` (`KDC_ERR_CLIENT_REVOKED`) both become
//! [`Failure::Disabled`].

use crate::event::Failure;

/// Parses a status code as logged (`0xC000006A`, `0xc000006a`, `0x18`, ` 0x0 `, or decimal).
pub(super) fn parse(code: &str) -> Option<u32> {
    let t = code.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        // Exporters that render the NTSTATUS as a signed int32 give `-1073741715`.
        None => t.parse::<u32>().ok().or_else(|| t.parse::<i32>().ok().map(|i| i as u32)),
    }
}

/// A code as the lowercase `0x…` text that Windows itself logs, whatever the exporter did to it.
pub(super) fn canonical(code: &str) -> String {
    match parse(code) {
        Some(n) => format!("{n:#x}"),
        // Not a number: lowercased like one, unless it holds a secret (see `scrub::lowercase`).
        None => crate::scrub::lowercase(code.trim()),
    }
}

/// `STATUS_LOGON_FAILURE`: generic, the `SubStatus` says why.
const LOGON_FAILURE: u32 = 0xC000_006D;
/// `STATUS_ACCOUNT_RESTRICTION`: generic, the `SubStatus` says which restriction when it is set.
const ACCOUNT_RESTRICTION: u32 = 0xC000_006E;

/// The failure of a 4625: from `SubStatus` when `Status` is one of the two generic codes and the
/// sub-status is set, else from `Status`.
pub(super) fn logon_failure(status: Option<u32>, sub_status: Option<u32>) -> Failure {
    match (status, sub_status) {
        (Some(LOGON_FAILURE | ACCOUNT_RESTRICTION), Some(sub)) if sub != 0 => ntstatus(sub).0,
        (Some(s), _) => ntstatus(s).0,
        (None, Some(sub)) if sub != 0 => ntstatus(sub).0,
        _ => Failure::Other,
    }
}

/// The failure class and the meaning of an NTSTATUS value.
pub(super) fn ntstatus(code: u32) -> (Failure, &'static str) {
    match code {
        0xC000_006A => (Failure::BadPassword, "Correct user name, bad password"),
        0xC000_0064 => (Failure::UnknownUser, "User name does not exist"),
        0xC000_0234 => (Failure::Locked, "Account locked out"),
        0xC000_0072 => (Failure::Disabled, "Account disabled"),
        // An expired *account* cannot sign in until an administrator extends it, like a
        // disabled one; the fix is never a password change, so it is not `PasswordExpired`.
        0xC000_0193 => (Failure::Disabled, "Account expired"),
        0xC000_0071 => (Failure::PasswordExpired, "Password expired"),
        0xC000_0224 => (Failure::PasswordExpired, "User must change password at next logon"),
        0xC000_006F => (Failure::PolicyBlocked, "Outside authorised hours"),
        0xC000_0070 => (Failure::PolicyBlocked, "Unauthorised workstation"),
        0xC000_015B => (Failure::PolicyBlocked, "Logon type not granted"),
        0xC000_0413 => (Failure::PolicyBlocked, "Authentication firewall: machine not allowed"),
        ACCOUNT_RESTRICTION => (Failure::PolicyBlocked, "Account restriction"),
        LOGON_FAILURE => (Failure::Other, "Bad user name or authentication information"),
        0xC000_005E => (Failure::Other, "No logon servers available"),
        0xC000_00DC => (Failure::Other, "SAM server in the wrong state"),
        0xC000_0133 => (Failure::Other, "Clock skew between DC and client"),
        0xC000_018C => (Failure::Other, "Trust relationship failure"),
        0xC000_0192 => (Failure::Other, "Netlogon not started"),
        0xC000_0225 => (Failure::Other, "Windows bug, not a risk"),
        0xC000_02EE => (Failure::Other, "An error occurred during logon"),
        0xC000_0371 => (Failure::Other, "Local account store has no secret for the account"),
        _ => (Failure::Other, "Unknown status"),
    }
}

/// `KDC_ERR_CLIENT_REVOKED`.
pub(super) const KDC_ERR_CLIENT_REVOKED: u32 = 0x12;

/// The failure class and the name of a Kerberos result code.
///
/// `0x12` means disabled, expired *or* locked out, and one record cannot tell which. It maps to
/// [`Failure::Disabled`]: a lockout is logged on its own (4740, and `0xC0000234` in 4625/4776),
/// so a rule that sees a lockout of the same account just before a `0x12` can read it as
/// locked; and the `0x12`s in real data are mostly disabled built-ins (Guest, krbtgt,
/// DefaultAccount in the Kerbrute corpus file). The verbatim code stays in `Event::code`.
pub(super) fn kerberos(code: u32) -> (Failure, &'static str) {
    match code {
        0x18 => (Failure::BadPassword, "KDC_ERR_PREAUTH_FAILED: wrong password"),
        0x6 => (Failure::UnknownUser, "KDC_ERR_C_PRINCIPAL_UNKNOWN: unknown user"),
        KDC_ERR_CLIENT_REVOKED => {
            (Failure::Disabled, "KDC_ERR_CLIENT_REVOKED: account disabled, expired or locked out")
        }
        0x17 => (Failure::PasswordExpired, "KDC_ERR_KEY_EXPIRED: password expired"),
        0x25 => (Failure::Other, "KRB_AP_ERR_SKEW: clock skew"),
        0x10 => (Failure::Other, "KDC_ERR_PADATA_TYPE_NOSUPP: smart card / PKINIT problem"),
        _ => (Failure::Other, "Unknown Kerberos result code"),
    }
}

/// The text of a `FailureReason` insertion string (`%%2313`), or the value itself when it is
/// already text (Get-WinEvent messages, some forwarders).
pub(super) fn failure_reason(value: &str) -> String {
    let text = match value.trim() {
        "%%2304" => "An error occurred during logon",
        "%%2305" => "The specified user account has expired",
        "%%2306" => "The NetLogon component is not active",
        "%%2307" => "Account locked out",
        "%%2308" => "The user has not been granted the requested logon type at this machine",
        "%%2309" => "The specified account's password has expired",
        "%%2310" => "Account currently disabled",
        "%%2311" => "Account logon time restriction violation",
        "%%2312" => "User not allowed to logon at this computer",
        "%%2313" => "Unknown user name or bad password",
        other => return other.trim_end_matches('.').to_string(),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_in_every_case_and_shape() {
        assert_eq!(parse("0xC000006A"), Some(0xC000_006A));
        assert_eq!(parse(" 0xc000006a "), Some(0xC000_006A));
        assert_eq!(parse("0X18"), Some(0x18));
        assert_eq!(parse("-1073741715"), Some(0xC000_006D));
        assert_eq!(parse("0"), Some(0));
        assert_eq!(parse("-"), None);
        assert_eq!(parse("0xZZ"), None);
        assert_eq!(canonical("0xC000006D"), "0xc000006d");
        assert_eq!(canonical("0x0"), "0x0");
        assert_eq!(canonical("odd"), "odd");
    }

    #[test]
    fn logon_failures_prefer_the_sub_status_of_generic_codes() {
        let f = |s: u32, sub: u32| logon_failure(Some(s), Some(sub));
        assert_eq!(f(0xC000_006D, 0xC000_006A), Failure::BadPassword);
        assert_eq!(f(0xC000_006D, 0xC000_0064), Failure::UnknownUser);
        assert_eq!(f(0xC000_006D, 0xC000_0072), Failure::Disabled);
        assert_eq!(f(0xC000_006E, 0xC000_0071), Failure::PasswordExpired);
        assert_eq!(f(0xC000_006E, 0), Failure::PolicyBlocked);
        assert_eq!(f(0xC000_006D, 0), Failure::Other);
        assert_eq!(f(0xC000_0234, 0), Failure::Locked);
        // A specific Status wins over whatever the sub-status says.
        assert_eq!(f(0xC000_0193, 0xC000_006A), Failure::Disabled);
        assert_eq!(f(0xC000_0224, 0), Failure::PasswordExpired);
        assert_eq!(f(0xC000_006F, 0), Failure::PolicyBlocked);
        assert_eq!(logon_failure(None, None), Failure::Other);
    }

    #[test]
    fn kerberos_codes() {
        assert_eq!(kerberos(0x18).0, Failure::BadPassword);
        assert_eq!(kerberos(0x6).0, Failure::UnknownUser);
        assert_eq!(kerberos(0x12).0, Failure::Disabled);
        assert_eq!(kerberos(0x17).0, Failure::PasswordExpired);
        assert_eq!(kerberos(0x25).0, Failure::Other);
    }

    #[test]
    fn failure_reasons() {
        assert_eq!(failure_reason("%%2313"), "Unknown user name or bad password");
        assert_eq!(failure_reason("Unknown user name or bad password."), "Unknown user name or bad password");
    }
}
