//! Builders for rule tests: a small synthetic tenant written as a list of events.

use std::sync::Arc;

use jiff::Timestamp;

use crate::case::{Case, Settings, analyse};
use crate::event::{
    Actor, ActorKind, App, Device, Event, Failure, Ids, Kind, Location, Origin, Outcome, Position, Principal, Risk,
};
use crate::ingest::Ingested;
use crate::verdict::AffectedUser;

/// A synthetic tenant under construction.
#[derive(Default)]
pub struct Tenant {
    events: Vec<Event>,
    line: u64,
}

/// `2025-04-19T05:00:00Z` plus `minutes`.
pub fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_745_038_800 + minutes * 60).expect("valid time")
}

/// `2025-04-19T05:00:00Z` plus `seconds`.
pub fn at_s(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_745_038_800 + seconds).expect("valid time")
}

fn failure_of(code: u32) -> (Outcome, Option<Failure>) {
    match code {
        0 => (Outcome::Success, None),
        50126 => (Outcome::Failure, Some(Failure::BadPassword)),
        50053 => (Outcome::Failure, Some(Failure::Locked)),
        50057 => (Outcome::Failure, Some(Failure::Disabled)),
        50055 => (Outcome::Failure, Some(Failure::PasswordExpired)),
        53003 => (Outcome::Failure, Some(Failure::RiskBlocked)),
        50173 => (Outcome::Failure, Some(Failure::TokenRevoked)),
        50140 | 50074 => (Outcome::Interrupted, None),
        _ => (Outcome::Failure, Some(Failure::Other)),
    }
}

impl Tenant {
    fn push(&mut self, kind: Kind, time: Timestamp, user: &str) -> &mut Event {
        self.line += 1;
        let file: Arc<str> = Arc::from("test.jsonl");
        let mut e = Event::new(time, kind, Origin::new(&file, Position::Line(self.line)));
        e.user = Some(Principal { name: Some(user.to_string()), id: None, display: None });
        e.ids = Ids { record: Some(format!("r{}", self.line)), ..Ids::default() };
        self.events.push(e);
        self.events.last_mut().expect("just pushed")
    }

    /// A sign-in with an AADSTS code from an IP, device and country.
    pub fn signin(
        &mut self,
        user: &str,
        time: Timestamp,
        code: u32,
        ip: &str,
        device: &str,
        country: &str,
    ) -> &mut Event {
        let (outcome, failure) = failure_of(code);
        let e = self.push(Kind::SignIn, time, user);
        e.outcome = outcome;
        e.failure = failure;
        e.code = Some(code.to_string());
        e.ip = Some(ip.to_string());
        e.source = Some(ip.to_string());
        e.device = Some(Device { id: Some(device.to_string()), ..Device::default() });
        e.location = Some(Location { country: Some(country.to_string()), city: None });
        e.app = Some(App { id: None, name: Some("Office 365".into()) });
        e
    }

    /// A Windows authentication event (`kind`, event id) for `user` from `source` logged on `host`.
    #[allow(clippy::too_many_arguments)]
    pub fn win(
        &mut self,
        kind: Kind,
        id: u32,
        user: &str,
        time: Timestamp,
        failure: Option<Failure>,
        source: &str,
        host: &str,
    ) -> &mut Event {
        let e = self.push(kind, time, user);
        e.detail.event_id = Some(id);
        e.host = Some(host.to_string());
        e.outcome = if failure.is_some() { Outcome::Failure } else { Outcome::Success };
        e.failure = failure;
        if source.parse::<std::net::IpAddr>().is_ok() {
            e.ip = Some(source.to_string());
        } else {
            e.detail.workstation = Some(source.to_string());
        }
        e.source = Some(source.to_string());
        e
    }

    /// A service installed on `host` running as `user` (7045).
    pub fn push_service(&mut self, user: &str, time: Timestamp, host: &str, name: &str) -> &mut Event {
        let e = self.push(Kind::ServiceInstalled, time, user);
        e.detail.event_id = Some(7045);
        e.detail.target = Some(name.to_string());
        e.host = Some(host.to_string());
        e
    }

    /// A token of `user`, issued at `iat` and expiring at `exp`, found in a log with
    /// fingerprint `fp`; `request` is the sign-in request id its `uti` decodes to.
    pub fn leaked_token(
        &mut self,
        user: &str,
        iat: Timestamp,
        exp: Timestamp,
        fp: &str,
        request: Option<&str>,
    ) -> &mut Event {
        let e = self.push(Kind::TokenLeaked, iat, user);
        e.ids = Ids { request: request.map(str::to_string), ..Ids::default() };
        e.reason = Some("JSON Web Token (access-token)".into());
        e.detail.activity = Some("jwt".into());
        e.detail.token_issued = Some(iat);
        e.detail.token_expires = Some(exp);
        e.detail.fingerprint = Some(fp.to_string());
        e
    }

    /// A 4740 lockout of `user` on `dc` naming `caller`.
    pub fn lockout(&mut self, user: &str, time: Timestamp, caller: &str, dc: &str) -> &mut Event {
        let e = self.push(Kind::Lockout, time, user);
        e.detail.event_id = Some(4740);
        e.detail.workstation = Some(caller.to_string());
        e.source = Some(caller.to_string());
        e.host = Some(dc.to_string());
        e
    }

    /// Daily successful sign-ins from the user's home IP and laptop, for `days` days before `at(0)`.
    pub fn routine(&mut self, user: &str, days: i64) {
        for d in 1..=days {
            self.signin(user, at(-d * 1440), 0, "10.0.0.1", "laptop", "US");
            self.signin(user, at(-d * 1440 + 300), 0, "10.0.0.1", "laptop", "US");
        }
    }

    /// An audit row of `kind` about `user` by `actor`, in correlation `corr`.
    pub fn audit(
        &mut self,
        kind: Kind,
        user: &str,
        time: Timestamp,
        actor: Actor,
        corr: &str,
        activity: &str,
    ) -> &mut Event {
        let e = self.push(kind, time, user);
        e.outcome = Outcome::Success;
        e.actor = Some(actor);
        e.ids.correlation = Some(corr.to_string());
        e.detail.activity = Some(activity.to_string());
        e
    }

    /// A risk detection of `kind` for `user`.
    pub fn detection(&mut self, user: &str, time: Timestamp, kind: &str, state: &str) -> &mut Event {
        let e = self.push(Kind::RiskDetection, time, user);
        e.risk = Some(Risk {
            event_types: vec![kind.to_string()],
            level: Some("high".into()),
            state: Some(state.into()),
            ..Risk::default()
        });
        e
    }

    /// A service principal created by just-in-time provisioning.
    pub fn sp_created(&mut self, name: &str, time: Timestamp) {
        let e = self.push(Kind::ServicePrincipalCreated, time, "");
        e.user = None;
        e.detail.target = Some(name.to_string());
        e.actor = Some(Actor {
            kind: ActorKind::System,
            id: None,
            name: Some("Microsoft Azure AD Internal - Jit Provisioning".into()),
        });
    }

    /// Runs the analysis.
    pub fn analyse(mut self) -> Case {
        self.events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.origin.cmp(&b.origin)));
        analyse(Ingested { events: self.events, ..Ingested::default() }, &Settings::default(), None)
    }
}

/// An app actor.
pub fn app(id: Option<&str>, name: &str) -> Actor {
    Actor { kind: ActorKind::App, id: id.map(str::to_string), name: Some(name.to_string()) }
}

/// A user actor.
pub fn user_actor(upn: &str) -> Actor {
    Actor { kind: ActorKind::User, id: None, name: Some(upn.to_string()) }
}

/// The explanation of `user` in `case`.
pub fn verdict_of<'a>(case: &'a Case, user: &str) -> Option<&'a AffectedUser> {
    case.users.iter().find(|u| u.user == user)
}
