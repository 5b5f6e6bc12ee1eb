//! Conditional Access facts of a sign-in: which failed policies blocked it, and whether a failed
//! policy was a risk policy.
//!
//! Policies arrive as Graph `appliedConditionalAccessPolicies` (array), as the Log Analytics
//! `ConditionalAccessPolicies` column (array, or JSON text in `AADNonInteractiveUserSignInLogs`),
//! or as `AppliedConditionalAccessPolicies` (JSON text). `conditionsSatisfied` is a comma-joined
//! flags string in Graph and an integer bitmask in diagnostic exports (formats.md §2.1).

use std::borrow::Cow;

use serde_json::Value;

use crate::source::field::{Rec, parse_int, strings_of};

/// Bit of `signInRisk` in the `conditionalAccessConditions` flags enum. The enum's members are
/// powers of two in declaration order: none 0, application 1, users 2, devicePlatform 4,
/// location 8, clientType 16, signInRisk 32, userRisk 64, time 128, deviceState 256, client 512,
/// ipAddressSeenByAzureAD 1024, … The values observed in real exports decode to sensible sets
/// without risk: 7 = application|users|devicePlatform, 263 = … |deviceState,
/// 1035 = application|users|location|ipAddressSeenByAzureAD.
const SIGN_IN_RISK: i64 = 32;
/// Bit of `userRisk` in the same enum.
const USER_RISK: i64 = 64;

/// Names under which the policy list appears, in order of preference.
const POLICY_FIELDS: &[&str] =
    &["appliedConditionalAccessPolicies", "conditionalAccessPolicies", "appliedConditionalAccessPolicy"];

/// What the Conditional Access policies of one sign-in say.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Policies {
    /// Display names (or ids) of failed policies that enforce `Block`, sorted and deduplicated.
    pub blocking: Vec<String>,
    /// Whether a failed policy had a user-risk or sign-in-risk condition satisfied.
    pub risk_policy: bool,
}

/// Reads the policies of a sign-in record.
pub(super) fn read(rec: Rec<'_>) -> Policies {
    let mut out = Policies::default();
    let Some(list) = policy_list(rec) else {
        return out;
    };
    let Value::Array(items) = list.as_ref() else {
        return out;
    };
    for policy in items.iter().filter_map(Rec::new) {
        if !is_failed(policy) {
            continue;
        }
        if has_risk_condition(policy) {
            out.risk_policy = true;
        }
        if enforces_block(policy)
            && let Some(name) = policy.string(&["displayName", "id"])
        {
            out.blocking.push(name);
        }
    }
    out.blocking.sort();
    out.blocking.dedup();
    out
}

/// The first policy list that is a non-empty array. Log Analytics rows can carry both columns,
/// one of them `"[]"`, so an empty list does not hide a full one.
fn policy_list<'a>(rec: Rec<'a>) -> Option<Cow<'a, Value>> {
    POLICY_FIELDS.iter().filter_map(|name| rec.nested(&[name])).find(|v| v.as_array().is_some_and(|a| !a.is_empty()))
}

/// Whether the policy failed (enforced and not satisfied). Report-only results do not count:
/// they never block.
fn is_failed(policy: Rec<'_>) -> bool {
    policy.str(&["result"]).is_some_and(|r| r.eq_ignore_ascii_case("failure"))
}

/// Whether `Block` is among the policy's grant controls.
fn enforces_block(policy: Rec<'_>) -> bool {
    policy.strings(&["enforcedGrantControls"]).iter().any(|c| c.eq_ignore_ascii_case("block"))
}

/// Whether the policy's satisfied conditions include user or sign-in risk, from
/// `conditionsSatisfied` (flags string or bitmask) or beta `includeRulesSatisfied`.
fn has_risk_condition(policy: Rec<'_>) -> bool {
    if policy.get(&["conditionsSatisfied"]).is_some_and(conditions_include_risk) {
        return true;
    }
    let Some(rules) = policy.nested(&["includeRulesSatisfied"]) else {
        return false;
    };
    let Value::Array(rules) = rules.as_ref() else {
        return false;
    };
    rules
        .iter()
        .filter_map(Rec::new)
        .filter_map(|r| r.get(&["conditionalAccessCondition"]))
        .any(conditions_include_risk)
}

/// Whether a `conditionalAccessConditions` value (integer bitmask, numeric string, flags string
/// such as `"application,users,userRisk"`, or an array of names) includes a risk condition.
fn conditions_include_risk(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_i64().is_some_and(mask_has_risk),
        Value::String(s) => match parse_int(s) {
            Some(mask) => mask_has_risk(mask),
            None => s.split([',', '|', ' ']).any(is_risk_name),
        },
        Value::Array(_) => strings_of(v).iter().any(|s| is_risk_name(s)),
        _ => false,
    }
}

/// Whether a bitmask has the sign-in-risk or user-risk bit.
fn mask_has_risk(mask: i64) -> bool {
    mask & (SIGN_IN_RISK | USER_RISK) != 0
}

/// Whether one flag name is `userRisk` or `signInRisk`.
fn is_risk_name(name: &str) -> bool {
    let n = name.trim();
    n.eq_ignore_ascii_case("userRisk") || n.eq_ignore_ascii_case("signInRisk")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policies(v: &Value) -> Policies {
        read(Rec::new(v).expect("object"))
    }

    #[test]
    fn observed_bitmasks_are_not_risk_and_96_is() {
        for mask in [0, 1, 3, 7, 23, 263, 1035, 1039] {
            assert!(!conditions_include_risk(&json!(mask)), "{mask}");
        }
        for mask in [32, 64, 96, 99, 1059] {
            assert!(conditions_include_risk(&json!(mask)), "{mask}");
            assert!(conditions_include_risk(&json!(mask.to_string())), "{mask} as text");
        }
    }

    #[test]
    fn flag_strings_and_arrays() {
        assert!(conditions_include_risk(&json!("application,users,userRisk")));
        assert!(conditions_include_risk(&json!("application, SignInRisk")));
        assert!(conditions_include_risk(&json!(["users", "signInRisk"])));
        assert!(!conditions_include_risk(&json!("application,users,location")));
        assert!(!conditions_include_risk(&json!("none")));
        assert!(!conditions_include_risk(&json!(null)));
    }

    #[test]
    fn only_failed_block_policies_are_blocking() {
        let v = json!({"appliedConditionalAccessPolicies": [
            {"displayName": "B", "enforcedGrantControls": ["Block"], "result": "failure", "conditionsSatisfied": 1035},
            {"displayName": "A", "enforcedGrantControls": "[\"Block\"]", "result": "Failure", "conditionsSatisfied": 7},
            {"displayName": "B", "enforcedGrantControls": ["Block"], "result": "failure"},
            {"displayName": "C", "enforcedGrantControls": ["Block"], "result": "notApplied", "conditionsSatisfied": 96},
            {"displayName": "D", "enforcedGrantControls": ["Block"], "result": "reportOnlyFailure", "conditionsSatisfied": 96},
            {"displayName": "E", "enforcedGrantControls": ["Mfa"], "result": "failure"},
            {"id": "f-id", "enforcedGrantControls": ["block"], "result": "failure"}
        ]});
        assert_eq!(
            policies(&v),
            Policies { blocking: vec!["A".into(), "B".into(), "f-id".into()], risk_policy: false }
        );
    }

    #[test]
    fn risk_policy_from_any_failed_policy() {
        let mfa = json!({"ConditionalAccessPolicies": "[{\"displayName\":\"Risky sign-in MFA\",\"enforcedGrantControls\":[\"Mfa\"],\"result\":\"failure\",\"conditionsSatisfied\":35}]"});
        assert_eq!(policies(&mfa), Policies { blocking: vec![], risk_policy: true });
        let beta = json!({"appliedConditionalAccessPolicies": [{"displayName": "X", "enforcedGrantControls": ["Block"], "result": "failure",
            "includeRulesSatisfied": [{"conditionalAccessCondition": "userRisk", "ruleSatisfied": "high"}]}]});
        assert_eq!(policies(&beta), Policies { blocking: vec!["X".into()], risk_policy: true });
    }

    #[test]
    fn empty_column_does_not_hide_the_other() {
        let v = json!({"AppliedConditionalAccessPolicies": "[]",
            "ConditionalAccessPolicies": [{"displayName": "P", "enforcedGrantControls": ["Block"], "result": "failure"}]});
        assert_eq!(policies(&v).blocking, vec!["P".to_string()]);
        assert_eq!(policies(&json!({"ConditionalAccessPolicies": "not json"})), Policies::default());
        assert_eq!(policies(&json!({"appliedConditionalAccessPolicies": [1, "x", null]})), Policies::default());
    }
}
