//! The mixed domain: every Windows cause at its own time. With the default four days from
//! 2025-04-17: stale credentials on the 18th (services, tasks and devices set up on the 17th),
//! the spray on the 19th, forgotten passwords and a brute force on the 20th.

use super::ad::Ad;
use super::{ad_brute, ad_spray, ad_stale, ad_user_error};
use rand::Rng;

/// Plans every Windows scenario into one domain, leaving a tenth of the people (at least four)
/// untouched.
pub(crate) fn run(ad: &mut Ad<'_, '_>) {
    let last = ad.ctx.cfg.days - 1;
    ad_stale::run(ad, 1.min(last));
    let t = ad.at(last, 20, 23);
    let accounts = ad.rng.gen_range(1..=2);
    ad_brute::run(ad, t, accounts);
    if last >= 1 {
        // A typo is only told from an attack by an address the person used on another day.
        ad_user_error::run(ad, last);
        ad_user_error::run(ad, last);
    }
    let reserve = (ad.ctx.cfg.users / 10).max(4);
    ad_spray::run(ad, 2.min(last), reserve);
}
