//! User error at the domain: a person mistypes their password three or four times at their
//! own workstation within a couple of minutes (4771 `0x18` from its address), then gets it
//! right (4768 from the same address, 4624 type 7 on the workstation). Below the lockout
//! threshold. Truth: `user-error`, `benign`, `none`.

use super::actions::NONE;
use super::ad::Ad;
use crate::clock::{HOUR, MILLI, MINUTE, SECOND};
use crate::windows::event::{Acct, Addr, Via, What, Ws};
use rand::Rng;

/// Plans one forgotten password during office hours (local) of day `day`.
pub(crate) fn run(ad: &mut Ad<'_, '_>, day: u32) {
    let Some(&u) = ad.take(1).first() else {
        return;
    };
    let ws = ad.plan.domain.ws(u);
    let dc = ad.plan.domain.dc_of(ws);
    let offset = i64::from(ad.offset(u));
    let morning = ad.ctx.day(day) + (9 - offset).rem_euclid(24) * HOUR;
    let t = morning + ad.between(0, 8 * HOUR);
    let mut now = t;
    for _ in 0..ad.rng.gen_range(3..=4) {
        ad.plan.push(now, dc, What::Preauth { user: u, from: Addr::Host(ws), status: 0x18 });
        now += ad.between(15 * SECOND, 45 * SECOND);
    }
    let ok = now + ad.between(0, 8 * MINUTE);
    ad.plan.push(ok, dc, What::Tgt { acct: Acct::User(u), from: Addr::Host(ws), status: 0 });
    let at = ok + ad.between(100 * MILLI, 900 * MILLI);
    ad.plan.push(at, ws, What::Logon { acct: Acct::User(u), via: Via::Unlock, from: Addr::Loopback, ws: Ws::Host(ws) });
    ad.plan.quiet(u, t - 2 * MINUTE, ok + 2 * MINUTE);
    ad.label(u, "user-error", NONE, None);
}
