//! Stale credential on a host: a person changes their password (4723) or an administrator
//! resets it (4724); something on one machine still holds the old one and keeps trying it
//! every 1–5 minutes until the PDC locks the account (4740 naming that machine), and again
//! after the lockout ends or the helpdesk unlocks it.
//!
//! The holders, one per affected person in turn:
//! - a service installed earlier (7045, `AccountName` `CONTOSO\sam`) on a server, which the
//!   service control manager restarts after each failure once it restarts after the change:
//!   4625 type 5 by `services.exe` on the server, 4771 `0x18` from the server's address;
//! - a scheduled task repeating every few minutes (4698, `<UserId>CONTOSO\sam</UserId>`) on the
//!   person's workstation or the application server: 4625 type 4 by the Task Scheduler;
//! - a disconnected Remote Desktop session on the terminal server whose mapped drives keep
//!   reconnecting with the cached password: 4771 from the terminal server only;
//! - a phone whose mail app polls Exchange ActiveSync through the mail server: 4625 type 8 by
//!   IIS (`w3wp.exe`) with the phone's address, 4776 with `Workstation` the mail server.
//!
//! Before the change the holder worked (its successful logons and TGTs are in the logs).
//! Truth: `stale-credential`, `benign`, `fix-stale-credential` and `unlock-ad`.

use super::actions::{FIX_STALE, FIX_STALE_UNLOCK};
use super::ad::{Ad, Counter, HostSide, Path, Proto, caller_name};
use crate::clock::{HOUR, MILLI, MINUTE, SECOND, Tick};
use crate::ids::Ip;
use crate::windows::LockoutTruth;
use crate::windows::domain::{APP, HostId, MAIL, Name, RDS};
use crate::windows::event::{Acct, Addr, SERVICES, TASKS, Via, What, Ws};
use rand::Rng;

/// What holds the old password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    Service,
    Task,
    Drive,
    Phone,
}

const HOLDERS: [Holder; 4] = [Holder::Service, Holder::Task, Holder::Drive, Holder::Phone];

/// Plans 3–5 people whose password changes on day `day`.
pub(crate) fn run(ad: &mut Ad<'_, '_>, day: u32) {
    let n = ad.ctx.share(0.04, 3).min(5);
    let first = ad.rng.gen_range(0..HOLDERS.len());
    for (k, u) in ad.take(n).into_iter().enumerate() {
        one(ad, u, day, HOLDERS[(first + k) % HOLDERS.len()], k as i64);
    }
}

/// Where the failures come from and what truth says about them.
struct Source {
    path: Path,
    source: String,
    process: Option<&'static str>,
    /// Delay from the change to the first failure.
    first: Tick,
}

fn one(ad: &mut Ad<'_, '_>, u: u32, day: u32, holder: Holder, k: i64) {
    let ws = ad.plan.domain.ws(u);
    let offset = i64::from(ad.offset(u));
    // The change, in the person's morning; leave room before it for the holder to have worked
    // and after it for the failures.
    let morning = ad.ctx.day(day) + (8 - offset).rem_euclid(24) * HOUR + k * 7 * MINUTE;
    let change = (morning + ad.between(0, 3 * HOUR)).min(ad.ctx.end - 4 * HOUR).max(ad.ctx.start + 2 * HOUR);
    // The holder was set up well before: on the first day of the logs when there is room.
    let setup = ad.ctx.start + ad.between(10 * MINUTE, (change - ad.ctx.start - HOUR).min(8 * HOUR));
    // How often it retries: a schedule or recovery setting of 1 to 5 minutes. The domain resets
    // the bad-password count only after 10 minutes without one, so any of these locks.
    let minutes = ad.rng.gen_range(1..=5u8);
    let src = match holder {
        Holder::Service => service(ad, u, setup, change),
        Holder::Task => task(ad, u, (setup, change), minutes),
        Holder::Drive => drive(ad, u, setup),
        Holder::Phone => phone(ad, u, setup, change),
    };
    let back = password_change(ad, u, ws, change);

    // The retries: each a bad password, or "locked" while the account is locked out. A task
    // runs on the minute; a restart or reconnect takes a few seconds more.
    let interval =
        Tick::from(minutes) * MINUTE + if holder == Holder::Task { 0 } else { ad.between(SECOND, 8 * SECOND) };
    let jitter = if holder == Holder::Task { SECOND } else { 3 * SECOND };
    let start = (change + src.first).min(ad.ctx.end - 13 * interval - MINUTE);
    let room = (ad.ctx.end - MINUTE - start) / interval;
    let attempts = ad.rng.gen_range(25..=40).min(room.max(0));
    // Half the time the helpdesk unlocks after the first lockout, and the source locks the
    // account again: there are always ten more attempts after the unlock.
    let mut helpdesk = attempts >= 30 && ad.rng.gen_bool(0.5);
    let mut pending: Option<Tick> = None;
    let mut back = back;
    let mut counter = Counter::default();
    let mut last = start;
    for i in 0..attempts {
        let t = start + i * interval + ad.between(0, jitter) - jitter / 2;
        if let Some(ok) = back.filter(|b| *b <= t) {
            // The person's own logon with the new password clears the count so far.
            counter.success(ok);
            back = None;
        }
        if let Some(when) = pending.filter(|w| *w <= t) {
            counter.unlock(ad, u, when);
            pending = None;
        }
        if counter.attempt(ad, u, t, src.path) && helpdesk {
            pending = Some(t + ad.between(2 * MINUTE, 6 * MINUTE));
            helpdesk = false;
        }
        last = t;
    }
    ad.plan.quiet(u, start - MINUTE, last + 2 * MINUTE);
    let locked = !counter.lockouts.is_empty();
    let lockout = locked.then(|| LockoutTruth {
        caller: caller_name(ad, src.path.caller),
        source: src.source,
        process: src.process,
    });
    ad.label(u, "stale-credential", if locked { FIX_STALE_UNLOCK } else { FIX_STALE }, lockout);
}

/// The change itself: by the person at their desk (4723, their session goes on with the new
/// password), or a reset by an administrator (4724) after which the person logs on with the new
/// password a few minutes later; each followed by 4738. Returns that logon's time.
fn password_change(ad: &mut Ad<'_, '_>, u: u32, ws: HostId, change: Tick) -> Option<Tick> {
    let admin = ad.admin();
    let d = &ad.plan.domain;
    let (dc, admin_dc) = (d.dc_of(ws), d.dc_of(d.ws(admin)));
    let later = change + ad.between(3 * MILLI, 30 * MILLI);
    if admin == u || ad.rng.gen_bool(0.7) {
        ad.plan.push(change, dc, What::PasswordChange { user: u });
        ad.plan.push(later, dc, What::UserChanged { user: u, by: u });
        return None;
    }
    ad.plan.push(change, admin_dc, What::PasswordReset { user: u, admin });
    ad.plan.push(later, admin_dc, What::UserChanged { user: u, by: admin });
    let back = change + ad.between(MINUTE, 4 * MINUTE);
    ad.plan.push(back, dc, What::Tgt { acct: Acct::User(u), from: Addr::Host(ws), status: 0 });
    let at = back + ad.between(100 * MILLI, 900 * MILLI);
    ad.plan.push(
        at,
        ws,
        What::Logon { acct: Acct::User(u), via: Via::Interactive, from: Addr::Loopback, ws: Ws::Host(ws) },
    );
    Some(back)
}

/// A Kerberos source on `host` whose own 4625 comes from `via`.
fn kerberos_path(ad: &Ad<'_, '_>, host: HostId, via: Option<Via>) -> Path {
    Path {
        dc: ad.plan.domain.dc_of(host),
        proto: Proto::Kerberos(Addr::Host(host)),
        host_side: via.map(|via| HostSide { host, via, from: Addr::None, ws: Ws::Host(host) }),
        caller: Ws::Host(host),
    }
}

fn service(ad: &mut Ad<'_, '_>, u: u32, setup: Tick, change: Tick) -> Source {
    let s = ad.rng.gen_range(0..SERVICES.len());
    let def = &SERVICES[s];
    let host = def.host;
    let dc = ad.plan.domain.dc_of(host);
    let admin = ad.admin();
    ad.plan.push(setup, host, What::ServiceInstalled { user: u, by: admin, service: s as u8 });
    // It starts at once, and its logon session renews its TGT every ten hours.
    let mut t = setup + ad.between(2 * SECOND, 10 * SECOND);
    ad.plan.push(
        t + 30 * MILLI,
        host,
        What::Logon { acct: Acct::User(u), via: Via::Service, from: Addr::None, ws: Ws::Host(host) },
    );
    while t < change {
        ad.plan.push(t, dc, What::Tgt { acct: Acct::User(u), from: Addr::Host(host), status: 0 });
        t += 10 * HOUR + ad.between(0, 5 * MINUTE);
    }
    // The running service keeps its logon until it restarts (maintenance, a crash).
    let first = ad.between(20 * MINUTE, 3 * HOUR);
    Source {
        path: kerberos_path(ad, host, Some(Via::Service)),
        source: Name(host).to_string(),
        process: Some(def.binary),
        first,
    }
}

fn task(ad: &mut Ad<'_, '_>, u: u32, (setup, change): (Tick, Tick), every: u8) -> Source {
    let ws = ad.plan.domain.ws(u);
    let host = if ad.rng.gen_bool(0.6) { ws } else { APP };
    let dc = ad.plan.domain.dc_of(host);
    let by = if host == ws { u } else { ad.admin() };
    let n = ad.rng.gen_range(0..TASKS.len());
    ad.plan.push(setup, host, What::TaskCreated { user: u, by, task: n as u8, every });
    // Every run logs on with the stored password: a TGT at the DC and a batch logon.
    let step = Tick::from(every) * MINUTE;
    let mut t = setup + step;
    while t < change {
        ad.plan.push(t, dc, What::Tgt { acct: Acct::User(u), from: Addr::Host(host), status: 0 });
        let at = t + ad.between(20 * MILLI, 200 * MILLI);
        ad.plan.push(
            at,
            host,
            What::Logon { acct: Acct::User(u), via: Via::Batch, from: Addr::None, ws: Ws::Host(host) },
        );
        t += step;
    }
    Source {
        path: kerberos_path(ad, host, Some(Via::Batch)),
        source: Name(host).to_string(),
        process: Some(TASKS[n].command),
        first: t - change,
    }
}

fn drive(ad: &mut Ad<'_, '_>, u: u32, setup: Tick) -> Source {
    let ws = ad.plan.domain.ws(u);
    // The person worked on the terminal server and left the session disconnected.
    ad.plan.push(setup, ad.plan.domain.dc_of(RDS), What::Tgt { acct: Acct::User(u), from: Addr::Host(RDS), status: 0 });
    let at = setup + ad.between(200 * MILLI, 2 * SECOND);
    ad.plan.push(at, RDS, What::Logon { acct: Acct::User(u), via: Via::Rdp, from: Addr::Host(ws), ws: Ws::Host(ws) });
    let first = ad.between(2 * MINUTE, 15 * MINUTE);
    Source { path: kerberos_path(ad, RDS, None), source: Name(RDS).to_string(), process: None, first }
}

fn phone(ad: &mut Ad<'_, '_>, u: u32, setup: Tick, change: Tick) -> Source {
    // The phone on the office Wi-Fi (10.80.0.0/16).
    let ip = 0x0a50_0000 | ad.rng.gen_range(0x100..0xff00);
    let dc = ad.plan.domain.dc_of(MAIL);
    let from = Addr::Ip(ip);
    // IIS caches a good basic-auth logon for 15 minutes: one validation per quarter hour.
    let mut t = setup;
    while t < change {
        ad.plan.push(t, dc, What::Ntlm { acct: Acct::User(u), ws: Ws::Host(MAIL), status: 0 });
        let at = t + ad.between(5 * MILLI, 40 * MILLI);
        ad.plan.push(at, MAIL, What::Logon { acct: Acct::User(u), via: Via::Cleartext, from, ws: Ws::Host(MAIL) });
        t += 15 * MINUTE + ad.between(0, 2 * MINUTE) - MINUTE;
    }
    let path = Path {
        dc,
        proto: Proto::Ntlm(Ws::Host(MAIL)),
        host_side: Some(HostSide { host: MAIL, via: Via::Cleartext, from, ws: Ws::Host(MAIL) }),
        caller: Ws::Host(MAIL),
    };
    Source { path, source: Ip(ip).to_string(), process: None, first: ad.between(MINUTE, 3 * MINUTE) }
}
