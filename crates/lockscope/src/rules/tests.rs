//! One test module per rule, on small synthetic tenants (see `testkit`), checking the root
//! cause, verdict and actions the whole analysis gives — and the cases each rule must not fire on.

use super::testkit::{Tenant, app, at, at_s, user_actor, verdict_of};
use crate::event::Kind;
use crate::finding::{Action, RuleId, Verdict};
use crate::incident::{IncidentKind, MACE_APP_ID};
use crate::invalidation::InvalidationKind;

fn mace_tenant(app_id: Option<&str>, name: &str, members: usize) -> Tenant {
    let mut t = Tenant::default();
    t.sp_created(name, at(-2));
    for n in 0..members {
        let u = format!("user{n}@contoso.com");
        t.routine(&u, 5);
        let corr = format!("c{n}");
        t.audit(
            Kind::TokenInvalidation,
            &u,
            at(n as i64),
            app(app_id, name),
            &corr,
            "Update StsRefreshTokenValidFrom Timestamp",
        );
        t.audit(Kind::UserUpdated, &u, at(n as i64), app(app_id, name), &corr, "Update user");
        t.detection(&u, at(n as i64 + 5), "leakedCredentials", "atRisk");
        t.signin(&u, at(n as i64 + 30), 53003, "10.0.0.1", "laptop", "US");
        t.signin(&u, at(n as i64 + 31), 50173, "10.0.0.1", "laptop", "US");
    }
    t
}

mod provider_mass_revocation {
    use super::*;

    #[test]
    fn clears_the_mass_event_and_keeps_the_compromise() {
        let mut t = mace_tenant(Some(MACE_APP_ID), "MACE Credential Revocation", 8);
        // user3 was really used by someone else the day before.
        t.signin("user3@contoso.com", at(-600), 0, "198.51.100.7", "unknown-pc", "RU");
        t.detection("user3@contoso.com", at(-590), "unfamiliarFeatures", "atRisk");
        let case = t.analyse();
        assert_eq!(case.incidents.len(), 1);
        let inc = &case.incidents[0];
        assert_eq!(inc.kind, IncidentKind::ProviderMassRevocation);
        assert_eq!(inc.members.len(), 8);
        assert!(inc.confidence >= 0.9, "{}", inc.confidence);
        assert!(case.invalidations.iter().all(|i| i.kind == InvalidationKind::ProviderRevocation));
        assert_eq!(case.invalidations.len(), 8, "Update user + token bump is one invalidation");
        for n in [0, 1, 2, 4, 5, 6, 7] {
            let u = verdict_of(&case, &format!("user{n}@contoso.com")).expect("affected");
            assert_eq!(u.root_cause, RuleId::ProviderMassRevocation);
            assert_eq!(u.verdict, Verdict::FalsePositive);
            assert_eq!(u.actions, vec![Action::ConfirmSafe]);
            assert!(u.contributing.contains(&RuleId::RiskBlock) && u.contributing.contains(&RuleId::TokenRejected));
            assert_eq!(u.incident.as_deref(), Some(inc.id.as_str()));
        }
        let bad = verdict_of(&case, "user3@contoso.com").expect("affected");
        assert_eq!(bad.root_cause, RuleId::CompromiseIndicators);
        assert_eq!(bad.verdict, Verdict::Compromised);
        assert!(!bad.actions.contains(&Action::ConfirmSafe) && !bad.actions.contains(&Action::DismissRisk));
        assert!(bad.actions.contains(&Action::ConfirmCompromised));
    }

    #[test]
    fn found_from_the_shape_without_the_known_app_id() {
        let case = mace_tenant(None, "Microsoft Credential Protection Service", 6).analyse();
        assert_eq!(case.incidents[0].kind, IncidentKind::ProviderMassRevocation);
        assert!(case.users.iter().all(|u| u.verdict == Verdict::FalsePositive));
    }

    #[test]
    fn too_few_users_is_not_a_mass_event() {
        let case = mace_tenant(Some(MACE_APP_ID), "MACE Credential Revocation", 3).analyse();
        assert!(case.incidents.is_empty());
        assert!(case.users.iter().all(|u| u.verdict != Verdict::FalsePositive));
    }

    #[test]
    fn one_weak_indicator_is_never_cleared() {
        let mut t = mace_tenant(Some(MACE_APP_ID), "MACE Credential Revocation", 6);
        t.detection("user2@contoso.com", at(-300), "anomalousToken", "atRisk");
        let case = t.analyse();
        let u = verdict_of(&case, "user2@contoso.com").expect("affected");
        assert_eq!(u.root_cause, RuleId::ProviderMassRevocation);
        assert_eq!(u.verdict, Verdict::NeedsReview);
        assert!(!u.actions.contains(&Action::ConfirmSafe));
    }
}

mod admin_action {
    use super::*;

    #[test]
    fn admin_bulk_revocation_is_not_a_provider_event() {
        let mut t = Tenant::default();
        for n in 0..6 {
            let u = format!("user{n}@contoso.com");
            t.routine(&u, 3);
            let corr = format!("c{n}");
            t.audit(
                Kind::TokenInvalidation,
                &u,
                at(n),
                user_actor("adm@contoso.com"),
                &corr,
                "Update StsRefreshTokenValidFrom Timestamp",
            );
            t.audit(Kind::UserUpdated, &u, at(n), user_actor("adm@contoso.com"), &corr, "Update user");
            t.signin(&u, at(n + 20), 50173, "10.0.0.1", "laptop", "US");
        }
        let case = t.analyse();
        assert_eq!(case.incidents[0].kind, IncidentKind::BulkRevocation);
        for u in &case.users {
            assert_eq!((u.root_cause, u.verdict), (RuleId::AdminAction, Verdict::Benign), "{}", u.user);
        }
        assert!(case.invalidations.iter().all(|i| i.kind == InvalidationKind::SessionRevocation));
    }

    #[test]
    fn own_password_change_is_not_an_admin_action() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        t.audit(
            Kind::PasswordChange,
            "ana@contoso.com",
            at(0),
            user_actor("ana@contoso.com"),
            "p1",
            "Change user password",
        );
        t.audit(
            Kind::TokenInvalidation,
            "ana@contoso.com",
            at(0),
            user_actor("ana@contoso.com"),
            "p1",
            "Update StsRefreshTokenValidFrom Timestamp",
        );
        t.signin("ana@contoso.com", at(5), 50173, "10.0.0.1", "phone", "US");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::TokenRejected, Verdict::Benign));
        assert_eq!(case.invalidations[0].kind, InvalidationKind::PasswordChange);
    }

    #[test]
    fn add_user_is_not_a_revocation() {
        let mut t = Tenant::default();
        t.audit(Kind::UserCreated, "new@contoso.com", at(0), user_actor("adm@contoso.com"), "a1", "Add user");
        t.audit(
            Kind::TokenInvalidation,
            "new@contoso.com",
            at(0),
            user_actor("adm@contoso.com"),
            "a1",
            "Update StsRefreshTokenValidFrom Timestamp",
        );
        let case = t.analyse();
        assert!(case.invalidations.is_empty());
        assert!(case.users.is_empty());
    }
}

mod password_spray {
    use super::*;

    #[test]
    fn many_users_few_attempts_one_source() {
        let mut t = Tenant::default();
        for n in 0..8 {
            let u = format!("user{n}@contoso.com");
            t.routine(&u, 3);
            t.signin(&u, at(n * 3), 50126, "203.0.113.9", "-", "NL");
            t.signin(&u, at(n * 3 + 40), 50126, "203.0.113.9", "-", "NL");
        }
        t.signin("user5@contoso.com", at(120), 0, "203.0.113.9", "attacker", "NL");
        let case = t.analyse();
        let inc = case.incidents.iter().find(|i| i.kind == IncidentKind::PasswordSpray).expect("spray");
        assert_eq!(inc.members.len(), 8);
        assert_eq!(inc.sources, vec!["203.0.113.9".to_string()]);
        let ok = verdict_of(&case, "user1@contoso.com").expect("affected");
        assert_eq!((ok.root_cause, ok.verdict), (RuleId::PasswordSpray, Verdict::NeedsReview));
        assert_eq!(ok.actions, vec![Action::BlockSource]);
        let hit = verdict_of(&case, "user5@contoso.com").expect("affected");
        assert_eq!((hit.root_cause, hit.verdict), (RuleId::PasswordSpray, Verdict::Compromised));
        assert!(hit.actions.contains(&Action::ResetPassword) && hit.actions.contains(&Action::BlockSource));
    }

    #[test]
    fn office_typos_are_not_a_spray() {
        let mut t = Tenant::default();
        for n in 0..8 {
            let u = format!("user{n}@contoso.com");
            t.routine(&u, 3);
            t.signin(&u, at(n * 3), 50126, "10.0.0.1", "laptop", "US");
            t.signin(&u, at(n * 3 + 1), 0, "10.0.0.1", "laptop", "US");
        }
        let case = t.analyse();
        assert!(case.incidents.is_empty());
        assert!(case.users.is_empty(), "a single typo is not an affected user");
    }
}

mod brute_force {
    use super::*;

    #[test]
    fn many_guesses_from_one_foreign_ip() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        for n in 0..15 {
            t.signin("ana@contoso.com", at_s(n * 7), 50126, "192.0.2.50", "-", "CN");
        }
        t.signin("ana@contoso.com", at(16), 50053, "192.0.2.50", "-", "CN");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::BruteForce, Verdict::NeedsReview));
        assert!(u.contributing.contains(&RuleId::SmartLockout));
    }
}

mod stale_credential {
    use super::*;

    #[test]
    fn old_phone_after_password_change() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 4);
        for d in 1..4 {
            t.signin("ana@contoso.com", at(-d * 1440 + 60), 0, "10.0.0.1", "iphone", "US");
        }
        t.audit(
            Kind::PasswordChange,
            "ana@contoso.com",
            at(0),
            user_actor("ana@contoso.com"),
            "p1",
            "Change user password",
        );
        t.audit(
            Kind::TokenInvalidation,
            "ana@contoso.com",
            at(0),
            user_actor("ana@contoso.com"),
            "p1",
            "Update StsRefreshTokenValidFrom Timestamp",
        );
        for n in 0..10 {
            t.signin("ana@contoso.com", at(10 + n * 15), 50126, "10.0.0.1", "iphone", "US");
        }
        t.signin("ana@contoso.com", at(160), 50053, "10.0.0.1", "iphone", "US");
        t.signin("ana@contoso.com", at(30), 0, "10.0.0.1", "laptop", "US");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::StaleCredential, Verdict::Benign));
        assert_eq!(u.actions, vec![Action::FixStaleCredential]);
        assert!(u.explanation.contains("iphone"), "{}", u.explanation);
    }
}

mod user_error {
    use super::*;

    #[test]
    fn typos_then_success_from_the_usual_laptop() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        for n in 0..4 {
            t.signin("ana@contoso.com", at(n), 50126, "10.0.0.1", "laptop", "US");
        }
        t.signin("ana@contoso.com", at(20), 0, "10.0.0.1", "laptop", "US");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!(
            (u.root_cause, u.verdict, u.actions.clone()),
            (RuleId::UserError, Verdict::Benign, vec![Action::None])
        );
    }
}

mod leaked_credentials {
    use super::*;

    #[test]
    fn lone_detection_means_the_password_is_out() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        t.detection("ana@contoso.com", at(0), "leakedCredentials", "atRisk");
        t.signin("ana@contoso.com", at(30), 53003, "10.0.0.1", "laptop", "US");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::LeakedCredentials, Verdict::NeedsReview));
        assert_eq!(u.actions, vec![Action::ResetPassword, Action::RevokeSessions]);
    }
}

mod compromise_indicators {
    use super::*;

    #[test]
    fn admin_confirmation_alone_is_enough() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        t.detection("ana@contoso.com", at(0), "unfamiliarFeatures", "confirmedCompromised");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::CompromiseIndicators, Verdict::Compromised));
    }

    #[test]
    fn dismissed_detections_do_not_count() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        t.detection("ana@contoso.com", at(0), "unfamiliarFeatures", "dismissed");
        assert!(t.analyse().users.is_empty());
    }

    #[test]
    fn thin_history_is_not_an_indicator() {
        let mut t = Tenant::default();
        t.signin("ana@contoso.com", at(0), 0, "198.51.100.1", "pc", "FR");
        assert!(t.analyse().users.is_empty());
    }
}

mod account_state {
    use super::*;

    #[test]
    fn disabled_expired_and_lone_lockout() {
        let mut t = Tenant::default();
        t.signin("dis@contoso.com", at(0), 50057, "10.0.0.1", "laptop", "US");
        t.signin("exp@contoso.com", at(0), 50055, "10.0.0.1", "laptop", "US");
        t.signin("lock@contoso.com", at(0), 50053, "10.0.0.9", "laptop", "US");
        let case = t.analyse();
        let get = |u: &str| verdict_of(&case, u).map(|u| (u.root_cause, u.verdict));
        assert_eq!(get("dis@contoso.com"), Some((RuleId::AccountDisabled, Verdict::Benign)));
        assert_eq!(get("exp@contoso.com"), Some((RuleId::PasswordExpired, Verdict::Benign)));
        assert_eq!(get("lock@contoso.com"), Some((RuleId::SmartLockout, Verdict::NeedsReview)));
    }
}

mod compromise_early_in_the_window {
    use super::*;

    /// The attacker's sign-ins come before any of the user's own in the export: the new place
    /// cannot be judged at its first appearance, but it is a clear minority of the successes.
    #[test]
    fn attacker_first_then_home() {
        let mut t = Tenant::default();
        t.signin("ben@contoso.com", at(-1000), 0, "89.40.87.230", "-", "RO");
        t.detection("ben@contoso.com", at(-990), "anomalousToken", "atRisk");
        t.signin("ben@contoso.com", at(-900), 0, "89.40.87.230", "-", "RO");
        t.signin("ben@contoso.com", at(-800), 0, "89.40.87.230", "-", "RO");
        for n in 0..9 {
            t.signin("ben@contoso.com", at(-950 + n * 60), 0, "84.154.234.176", "laptop", "DE");
        }
        let case = t.analyse();
        let u = verdict_of(&case, "ben@contoso.com").expect("affected");
        assert_eq!(
            (u.root_cause, u.verdict),
            (RuleId::CompromiseIndicators, Verdict::Compromised),
            "{}",
            u.explanation
        );
    }
}

mod account_lockout {
    use super::*;
    use crate::event::Failure;

    fn mapped_drive_tenant(changed: bool) -> Tenant {
        let mut t = Tenant::default();
        let u = "contoso\\asilva";
        for d in 1..4 {
            t.win(Kind::KerberosTicket, 4768, u, at(-d * 1440), None, "10.1.1.20", "dc01.contoso.com");
            t.win(Kind::KerberosTicket, 4768, u, at(-d * 1440 + 300), None, "10.1.1.20", "dc01.contoso.com");
        }
        if changed {
            let e = t.audit(Kind::PasswordChange, u, at(-5), user_actor(u), "", "4723");
            e.ids.correlation = None;
        }
        // A service on WS07 retries with the old password every minute; the DC logs each attempt as
        // a 4771 and the caller as a 4625.
        for n in 0..12 {
            t.win(Kind::KerberosPreauth, 4771, u, at(n), Some(Failure::BadPassword), "10.1.1.57", "dc01.contoso.com");
            let e = t.win(Kind::Logon, 4625, u, at_s(n * 60 + 1), Some(Failure::BadPassword), "-", "WS07");
            e.ip = None;
            e.detail.workstation = None;
            e.source = None;
            e.detail.process = Some("C:\\Program Files\\Backup\\agent.exe".into());
        }
        t.lockout(u, at(11), "WS07", "dc01.contoso.com");
        let e = t.push_service(u, at(-3000), "WS07", "BackupAgent");
        e.detail.process = Some("C:\\Program Files\\Backup\\agent.exe".into());
        t
    }

    #[test]
    fn traces_the_lockout_to_the_service_on_the_caller() {
        let case = mapped_drive_tenant(true).analyse();
        let u = verdict_of(&case, "contoso\\asilva").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::StaleCredential, Verdict::Benign), "{}", u.explanation);
        assert!(u.contributing.contains(&RuleId::AccountLockout));
        assert!(u.actions.contains(&Action::FixStaleCredential) && u.actions.contains(&Action::UnlockAd));
        let f = case.findings.iter().find(|f| f.rule == RuleId::AccountLockout).expect("lockout finding");
        assert!(
            f.summary.contains("most likely source: WS07 (C:\\Program Files\\Backup\\agent.exe) (12 counted"),
            "{}",
            f.summary
        );
        assert!(f.summary.contains("10 bad passwords counted"), "{}", f.summary);
        assert!(f.summary.contains("service-installed `BackupAgent`"), "{}", f.summary);
        assert!(f.summary.contains("unlocks by itself at"), "{}", f.summary);
    }

    #[test]
    fn lockout_without_a_known_cause_needs_review() {
        let mut t = Tenant::default();
        t.lockout("contoso\\bob", at(0), "", "dc01");
        let case = t.analyse();
        let u = verdict_of(&case, "contoso\\bob").expect("affected");
        assert_eq!(
            (u.root_cause, u.verdict, u.actions.clone()),
            (RuleId::AccountLockout, Verdict::NeedsReview, vec![Action::UnlockAd])
        );
    }
}

mod lockout_counter {
    use super::*;
    use crate::event::Failure;

    #[test]
    fn near_miss_before_the_lock_is_reported() {
        let mut t = Tenant::default();
        let u = "contoso\\carl";
        // Nine bad passwords in a burst an hour earlier: one short of the threshold.
        for n in 0..9 {
            t.win(Kind::KerberosPreauth, 4771, u, at_s(-3600 + n * 20), Some(Failure::BadPassword), "10.1.1.9", "dc01");
        }
        for n in 0..10 {
            t.win(Kind::KerberosPreauth, 4771, u, at_s(n * 20), Some(Failure::BadPassword), "10.1.1.9", "dc01");
        }
        t.lockout(u, at_s(200), "WS09", "dc01");
        let case = t.analyse();
        let f = case.findings.iter().find(|f| f.rule == RuleId::AccountLockout).expect("lockout finding");
        assert!(f.summary.contains("1 near miss"), "{}", f.summary);
        assert!(f.summary.contains("10 bad passwords counted"), "{}", f.summary);
        assert!(f.summary.contains("tripped the last lock"), "{}", f.summary);
    }
}

mod windows_false_alarms {
    use super::*;
    use crate::event::Failure;

    #[test]
    fn one_typo_then_success_is_not_an_attack() {
        let mut t = Tenant::default();
        let u = "contoso\\dana";
        t.win(Kind::KerberosPreauth, 4771, u, at_s(0), Some(Failure::BadPassword), "10.1.1.44", "dc01");
        t.win(Kind::KerberosTicket, 4768, u, at_s(20), None, "10.1.1.44", "dc01");
        assert!(t.analyse().users.is_empty());
    }

    #[test]
    fn scattered_failures_over_days_are_not_brute_force() {
        let mut t = Tenant::default();
        let u = "contoso\\erik";
        for d in 0..12 {
            t.win(Kind::Logon, 4625, u, at(d * 700), Some(Failure::BadPassword), "10.9.9.9", "srv-file01");
        }
        let case = t.analyse();
        assert!(
            case.users.iter().all(|u| u.root_cause != RuleId::BruteForce),
            "{:?}",
            case.users.iter().map(|u| u.root_cause).collect::<Vec<_>>()
        );
        assert!(case.incidents.is_empty());
    }
}

mod regressions {
    use super::*;
    use crate::event::Failure;

    /// A 4776 with an empty Workstation (a guessing tool that sends no machine name) has no
    /// source and no device; the user-error rule once indexed an empty burst and panicked.
    #[test]
    fn failure_without_source_or_device_does_not_panic() {
        let mut t = Tenant::default();
        let u = "contoso\\gina";
        for n in 0..4 {
            let e = t.win(Kind::NtlmValidation, 4776, u, at_s(n), Some(Failure::BadPassword), "x", "dc01");
            e.ip = None;
            e.source = None;
            e.detail.workstation = None;
        }
        let _ = t.analyse();
    }
}

mod linux_faillock {
    use super::*;
    use crate::event::Failure;

    /// A script on 10.0.5.7 retries an old password on db01 every two minutes: pam_faillock
    /// locks after 3 failures, later attempts are refused while locked.
    #[test]
    fn faillock_lock_is_traced_and_reset_is_recommended() {
        let mut t = Tenant::default();
        let u = "deploy";
        for d in 1..4 {
            let e = t.signin(u, at(-d * 1440), 0, "10.0.5.7", "-", "");
            e.kind = Kind::Logon;
            e.device = None;
            e.location = None;
            e.host = Some("db01".into());
        }
        let e = t.audit(Kind::PasswordChange, u, at(-10), user_actor(u), "", "password changed");
        e.host = Some("db01".into());
        for n in 0..6 {
            let f = if n < 3 { Failure::BadPassword } else { Failure::Locked };
            let e = t.signin(u, at(n * 2), 50126, "10.0.5.7", "-", "");
            e.kind = Kind::Logon;
            e.failure = Some(f);
            e.device = None;
            e.location = None;
            e.host = Some("db01".into());
        }
        let lock = t.lockout(u, at(4), "", "db01");
        lock.detail.event_id = None;
        lock.detail.workstation = None;
        let case = t.analyse();
        let f = case.findings.iter().find(|f| f.rule == RuleId::AccountLockout).expect("lockout finding");
        assert!(f.summary.contains("3 bad passwords counted under a threshold of 3"), "{}", f.summary);
        assert!(f.summary.contains("3 more attempts were refused while locked"), "{}", f.summary);
        assert_eq!(f.remedies, vec![Action::ResetFaillock]);
        let v = verdict_of(&case, u).expect("affected");
        assert!(v.actions.contains(&Action::ResetFaillock), "{:?}", v.actions);
        assert!(!v.actions.contains(&Action::UnlockAd));
    }
}

mod token_leaked {
    use super::*;

    /// A token of the user's own sign-in written into an app log, still valid when the logs end:
    /// revoke the sessions; the issuing sign-in is cited through the token's `uti`.
    #[test]
    fn live_token_needs_revocation_and_cites_its_sign_in() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        t.signin("ana@contoso.com", at(0), 0, "10.0.0.1", "laptop", "US").ids.record = Some("req-1".into());
        t.leaked_token("ana@contoso.com", at(0), at(600), "fp1", Some("req-1"));
        t.leaked_token("ana@contoso.com", at(0), at(600), "fp1", Some("req-1")); // the same token again
        t.signin("ana@contoso.com", at(30), 0, "10.0.0.1", "laptop", "US");
        let case = t.analyse();
        let u = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::TokenLeaked, Verdict::NeedsReview));
        assert!(u.actions.contains(&Action::RevokeSessions));
        assert!(u.explanation.starts_with("1 token of this user"), "one token seen twice: {}", u.explanation);
        assert!(u.evidence.iter().any(|e| e.note.starts_with("issued this leaked token")));
    }

    /// Issued before the provider's revocation and expired since: the MACE member stays a false
    /// positive to confirm safe, with the dead token as history.
    #[test]
    fn dead_token_does_not_change_a_false_positive() {
        let mut t = mace_tenant(Some(MACE_APP_ID), "MACE Credential Revocation", 6);
        t.leaked_token("user0@contoso.com", at(-60), at(-5), "fp-dead", None);
        let case = t.analyse();
        let u = verdict_of(&case, "user0@contoso.com").expect("affected");
        assert_eq!((u.root_cause, u.verdict), (RuleId::ProviderMassRevocation, Verdict::FalsePositive));
        assert!(u.contributing.contains(&RuleId::TokenLeaked));
        assert!(u.evidence.iter().any(|e| e.note.contains("dead: issued before the provider revocation")));
    }

    /// A live token keeps a mass-event member from being cleared.
    #[test]
    fn live_token_blocks_clearing() {
        let mut t = mace_tenant(Some(MACE_APP_ID), "MACE Credential Revocation", 6);
        t.leaked_token("user1@contoso.com", at(120), at(100_000), "fp-live", None);
        t.signin("user1@contoso.com", at(200), 0, "10.0.0.1", "laptop", "US");
        let case = t.analyse();
        let u = verdict_of(&case, "user1@contoso.com").expect("affected");
        assert_eq!(u.verdict, Verdict::NeedsReview);
        assert!(!u.actions.contains(&Action::ConfirmSafe) && u.actions.contains(&Action::RevokeSessions));
    }

    /// Regression: a token claiming a far-future `iat` must not move the end of the logs and
    /// turn another user's live token into an expired one.
    #[test]
    fn a_future_token_does_not_move_the_end_of_the_logs() {
        let mut t = Tenant::default();
        t.routine("ana@contoso.com", 3);
        t.leaked_token("ana@contoso.com", at(0), at(90), "fp-a", None);
        t.signin("ana@contoso.com", at(30), 0, "10.0.0.1", "laptop", "US");
        t.routine("bob@contoso.com", 3);
        t.leaked_token("bob@contoso.com", at(100_000), at(100_060), "fp-b", None);
        let case = t.analyse();
        let ana = verdict_of(&case, "ana@contoso.com").expect("affected");
        assert!(ana.actions.contains(&Action::RevokeSessions), "{}", ana.explanation);
    }
}
