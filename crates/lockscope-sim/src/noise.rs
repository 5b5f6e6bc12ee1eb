//! Background sign-ins: what every user does every day, shaped by the user's devices, home
//! time zone and authentication style, then bent by the user's scenario disruption.
//!
//! Each (user, day) has its own random stream, so a day can be generated on its own and the
//! output does not depend on the order users or days are visited in.

use crate::apps::Flow;
use crate::clock::{DAY, HOUR, MINUTE, SECOND, Tick};
use crate::ids;
use crate::plan::{At, Auth, Disruption, RiskMark, SignIn, noise_key};
use crate::tenant::{DevKind, Tenant, User, weighted};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Relative activity by local hour: office hours, a lunch dip, quiet nights (phones still
/// refresh in the background at night).
const BY_HOUR: [(i64, u32); 24] = [
    (0, 2),
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    (5, 2),
    (6, 4),
    (7, 9),
    (8, 13),
    (9, 14),
    (10, 13),
    (11, 12),
    (12, 9),
    (13, 12),
    (14, 13),
    (15, 13),
    (16, 12),
    (17, 10),
    (18, 7),
    (19, 6),
    (20, 5),
    (21, 4),
    (22, 3),
    (23, 2),
];

/// Chance per day that a password user mistypes once and retries at once.
const TYPO_PER_DAY: f64 = 0.07;

/// Random stream id of background sign-ins.
const STREAM: u64 = 2;

struct Gen<'a> {
    out: &'a mut Vec<SignIn>,
    day: u32,
    user: u32,
    n: u32,
    disruption: Disruption,
    day_end: Tick,
}

impl Gen<'_> {
    fn push(&mut self, t: Tick, code: u32, at: At, flow: Flow, auth: Auth, corr: Option<u64>) -> u64 {
        let key = noise_key(self.day, self.user, self.n);
        self.n += 1;
        if t >= self.day_end {
            // Kept inside its day so that day-sized chunks stay in order.
            return key;
        }
        let mut s =
            SignIn { t, key, corr: corr.unwrap_or(key), user: self.user, code, at, flow, auth, risk: RiskMark::None };
        if self.disruption.apply(&mut s) {
            self.out.push(s);
        }
        key
    }
}

/// A time in the UTC day starting at `day_start`, weighted by the user's local hour, leaving
/// room for a follow-up record before midnight.
fn sample_time(rng: &mut ChaCha8Rng, day_start: Tick, offset: i8) -> Tick {
    let local = weighted(rng, &BY_HOUR).unwrap_or(12);
    let utc = (local - i64::from(offset)).rem_euclid(24);
    let t = day_start + utc * HOUR + rng.gen_range(0..HOUR);
    t.min(day_start + DAY - 3 * MINUTE)
}

fn interactive_auth(rng: &mut ChaCha8Rng, user: &User, kind: DevKind, flow: Flow) -> Auth {
    if user.passwordless {
        return if kind == DevKind::WindowsPc { Auth::Whfb } else { Auth::Fido2 };
    }
    match (kind, flow) {
        (DevKind::WindowsPc, Flow::OfficeDesktop | Flow::TeamsDesktop) => Auth::Prt,
        (DevKind::WindowsPc, _) if rng.gen_bool(0.4) => Auth::Prt,
        _ => Auth::PasswordMfa,
    }
}

/// What background generation needs: the tenant, each user's disruption, the seed and the
/// number of sign-ins per user per day.
pub(crate) struct Background<'a> {
    pub tenant: &'a Tenant,
    pub disruptions: &'a [Disruption],
    pub seed: u64,
    pub per_day: u32,
}

impl Background<'_> {
    /// Appends every user's background sign-ins for `day` (starting at `day_start`) to `out`.
    pub(crate) fn day(&self, day: u32, day_start: Tick, out: &mut Vec<SignIn>) {
        for u in 0..self.tenant.users.len() {
            self.user_day(u as u32, day, day_start, out);
        }
    }

    /// Appends user `u`'s background sign-ins for `day` to `out`.
    pub(crate) fn user_day(&self, u: u32, day: u32, day_start: Tick, out: &mut Vec<SignIn>) {
        let disruption = self.disruptions.get(u as usize).copied().unwrap_or(Disruption::None);
        user_day(self.tenant, self.seed, self.per_day, u, (day, day_start), disruption, out);
    }
}

fn user_day(
    tenant: &Tenant,
    seed: u64,
    noise: u32,
    u: u32,
    (day, day_start): (u32, Tick),
    disruption: Disruption,
    out: &mut Vec<SignIn>,
) {
    let user = tenant.user(u);
    let mut rng = ids::rng(seed, STREAM, u64::from(u), u64::from(day));
    let mut g = Gen { out, day, user: u, n: 0, disruption, day_end: day_start + DAY };
    let offset = user.home().utc_offset;
    let devices: Vec<(u8, u32)> = user
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind != DevKind::LegacyMail)
        .map(|(i, d)| {
            let w = if matches!(d.kind, DevKind::WindowsPc | DevKind::Mac) { 3 } else { 2 };
            (i as u8, w)
        })
        .collect();
    for _ in 0..noise {
        let t = sample_time(&mut rng, day_start, offset);
        let d = weighted(&mut rng, &devices).unwrap_or(0);
        let kind = user.devices[usize::from(d)].kind;
        let at = At::Own(d);
        let phone = matches!(kind, DevKind::IPhone | DevKind::Android);
        if !rng.gen_bool(if phone { 0.1 } else { 0.3 }) {
            let flow = weighted(&mut rng, Flow::background(kind)).unwrap_or(Flow::TeamsRefresh);
            g.push(t, 0, at, flow, Auth::Refresh, None);
            continue;
        }
        let flow = weighted(&mut rng, Flow::foreground(kind, user.admin)).unwrap_or(Flow::WebMail);
        let auth = interactive_auth(&mut rng, user, kind, flow);
        let r: f64 = rng.r#gen();
        if r < 0.10 {
            // "Keep me signed in?" prompt, answered a few seconds later.
            let first = g.push(t, 50140, at, flow, auth, None);
            let later = t + rng.gen_range(2 * SECOND..15 * SECOND);
            g.push(later, 0, at, flow, auth, Some(first));
        } else if r < 0.17 && auth == Auth::PasswordMfa {
            // MFA prompt, approved on the phone.
            let code = if rng.gen_bool(0.5) { 50074 } else { 50076 };
            let first = g.push(t, code, at, flow, Auth::MfaPending, None);
            let later = t + rng.gen_range(15 * SECOND..60 * SECOND);
            g.push(later, 0, at, flow, auth, Some(first));
        } else {
            g.push(t, 0, at, flow, auth, None);
        }
    }
    if !user.passwordless && rng.gen_bool(TYPO_PER_DAY) {
        // One mistyped password, corrected at once on the same device.
        let t = sample_time(&mut rng, day_start, offset);
        let at = At::Own(0);
        let first = g.push(t, 50126, at, Flow::WebMail, Auth::PasswordBad, None);
        let later = t + rng.gen_range(15 * SECOND..100 * SECOND);
        g.push(later, 0, at, Flow::WebMail, Auth::PasswordMfa, Some(first));
    }
    for (i, dev) in user.devices.iter().enumerate() {
        if dev.poll_minutes == 0 {
            continue;
        }
        let interval = Tick::from(dev.poll_minutes) * MINUTE;
        let mut t = day_start + (dev.poll_phase - day_start).rem_euclid(interval);
        while t < day_start + DAY {
            let jittered = t + rng.gen_range(-60 * SECOND..=60 * SECOND);
            if jittered >= day_start {
                g.push(jittered, 0, At::Own(i as u8), Flow::ActiveSync, Auth::Password, None);
            }
            t += interval;
        }
    }
}

/// The next moment after `t` that the user, living at UTC `offset`, is awake (07:00–22:00
/// local), plus a short random delay: when they would next try to sign in.
pub(crate) fn next_awake(rng: &mut ChaCha8Rng, t: Tick, offset: i8) -> Tick {
    let hour = crate::clock::local_hour(t, offset);
    if (7..22).contains(&hour) {
        return t + rng.gen_range(3 * MINUTE..45 * MINUTE);
    }
    let until_seven = (7 - hour).rem_euclid(24) * HOUR - t.rem_euclid(HOUR);
    t + until_seven + rng.gen_range(0..90 * MINUTE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tenant;

    #[test]
    fn background_has_only_benign_codes_and_one_typo_at_most() {
        let cfg = Config { users: 300, ..Config::default() };
        let t = tenant::build(&cfg, 0);
        let none = vec![Disruption::None; t.users.len()];
        let bg = Background { tenant: &t, disruptions: &none, seed: 1, per_day: 8 };
        let mut out = Vec::new();
        bg.day(3, 3 * DAY, &mut out);
        assert!(out.len() >= 300 * 8);
        for s in &out {
            assert!(matches!(s.code, 0 | 50140 | 50074 | 50076 | 50126), "{}", s.code);
            assert!(s.t >= 3 * DAY && s.t < 4 * DAY);
        }
        for u in 0..300u32 {
            let typos: Vec<_> = out.iter().filter(|s| s.user == u && s.code == 50126).collect();
            assert!(typos.len() <= 1);
            if let Some(bad) = typos.first() {
                let fixed = out
                    .iter()
                    .any(|s| s.user == u && s.code == 0 && s.at == bad.at && s.t > bad.t && s.t - bad.t < 2 * MINUTE);
                assert!(fixed);
            }
        }
        let mut again = Vec::new();
        bg.day(3, 3 * DAY, &mut again);
        assert_eq!(out.len(), again.len());
        assert!(out.iter().zip(&again).all(|(a, b)| a.key == b.key && a.t == b.t));
    }

    #[test]
    fn awake_time_is_in_the_morning() {
        let mut rng = ids::rng(1, 9, 0, 0);
        // 05:00 UTC is 22:00 in Seattle (UTC-7): the next try is after 07:00 local.
        let t = 10 * DAY + 5 * HOUR;
        let next = next_awake(&mut rng, t, -7);
        let h = crate::clock::local_hour(next, -7);
        assert!((7..9).contains(&h), "{h}");
        // 15:00 UTC is 08:00 in Seattle: soon.
        let t = 10 * DAY + 15 * HOUR;
        assert!(next_awake(&mut rng, t, -7) - t < HOUR);
    }
}
