//! The Linux scenarios, alone or together on one fleet. With the default four days from
//! 2025-04-17: a stale job's password changes on the 18th, the spray comes on the 19th, and on
//! the 20th someone locks themselves out, two people mistype, and a brute force hits an
//! Internet-facing host.

use super::linux::Lx;
use super::{linux_brute, linux_faillock, linux_spray, linux_stale};
use crate::config::Scenario;
use rand::Rng;

/// People a spray leaves alone: a tenth, at least four.
fn reserve(lx: &Lx<'_, '_>) -> usize {
    (lx.ctx.cfg.users / 10).max(4)
}

/// Plans `scenario` (a Linux one).
pub(crate) fn run(lx: &mut Lx<'_, '_>, scenario: Scenario) {
    let last = lx.ctx.cfg.days - 1;
    let holder = |lx: &mut Lx<'_, '_>| linux_stale::HOLDERS[lx.rng.gen_range(0..linux_stale::HOLDERS.len())];
    match scenario {
        Scenario::LinuxBruteForce => {
            let t = lx.at(last, 0, 20);
            linux_brute::run(lx, t);
        }
        Scenario::LinuxSpray => {
            let reserve = reserve(lx);
            linux_spray::run(lx, 1.min(last), reserve);
        }
        Scenario::LinuxFaillock => {
            for _ in 0..lx.rng.gen_range(1..=2) {
                linux_faillock::locked_out(lx, last);
            }
            let h = holder(lx);
            linux_stale::run(lx, last.saturating_sub(1), h, &[]);
        }
        Scenario::LinuxStaleAutomation => {
            let first = lx.rng.gen_range(0..linux_stale::HOLDERS.len());
            let mut used = Vec::new();
            for k in 0..lx.rng.gen_range(1..=3) {
                let h = linux_stale::HOLDERS[(first + k) % linux_stale::HOLDERS.len()];
                used.extend(linux_stale::run(lx, 1.min(last), h, &used));
            }
        }
        _ => {
            let h = holder(lx);
            linux_stale::run(lx, 1.min(last), h, &[]);
            // A typo is only told from an attack by an address used on another day.
            if last >= 1 {
                linux_faillock::locked_out(lx, last);
                linux_faillock::typo(lx, last);
                linux_faillock::typo(lx, last);
            }
            let t = lx.at(last, 0, 20);
            linux_brute::run(lx, t);
            let reserve = reserve(lx);
            linux_spray::run(lx, 2.min(last), reserve);
        }
    }
}
