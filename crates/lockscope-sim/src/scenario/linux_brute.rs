//! SSH brute force: one Internet address guesses hundreds of passwords for `root` on one
//! Internet-facing host within minutes, with a wordlist's names that exist nowhere mixed in
//! (`Invalid user …`), and half the time also for the cloud image's default account (`admin` on
//! Debian, `ubuntu` on Ubuntu), which `pam_faillock` locks again and again where the host has it.
//!
//! The tool works like the ones in loghub's sample: one to three connections at a time, each
//! trying up to six passwords (sshd's `MaxAuthTries`: `error: maximum authentication attempts
//! exceeded`), three (then the client closes) or one (`Bye Bye`). On OpenSSH ≥ 9.8 hosts it
//! keeps to one connection at a time, which stays under sshd's per-source penalties. Truth:
//! `brute-force`, `needs-review`, `block-source` (and `reset-faillock` for a locked account).

use super::linux::{Lx, actions_for};
use crate::clock::{MILLI, SECOND, Tick};
use crate::linux::conn::{Close, Gate, port};
use crate::linux::fleet::{Acct, HOSTS, HostId, PROBES, host, internet_ip};
use rand::Rng;

/// One connection's worth of guesses.
#[derive(Clone, Copy, Debug)]
struct Job {
    acct: Acct,
    tries: u8,
}

/// Plans the attack, starting at `t`.
pub(crate) fn run(lx: &mut Lx<'_, '_>, t: Tick) {
    let exposed: Vec<HostId> = (0..HOSTS.len() as HostId).filter(|&h| host(h).exposed).collect();
    let h = exposed[lx.rng.gen_range(0..exposed.len())];
    let hp = host(h);
    let ip = internet_ip(&mut lx.rng);
    let parallel = if hp.sshd_session { 1 } else { lx.rng.gen_range(1..=3) };
    let (per_conn, close) = match lx.rng.gen_range(0..3) {
        0 => (6, Close::MaxTries),
        1 => (3, Close::Client),
        _ => (1, Close::ByeBye),
    };
    let second = hp.cloud.is_some() && lx.rng.gen_bool(0.5);
    // The tool's user list: root first, then the cloud account, with the wordlist's other names
    // (which do not exist here) every few connections.
    let mut jobs = Vec::new();
    let mut wanted = [(Acct::Root, lx.rng.gen_range(150..=500)), (Acct::Cloud, 0)];
    if second {
        wanted[1].1 = lx.rng.gen_range(100..=200);
    }
    for (acct, total) in wanted {
        let mut left: u32 = total;
        while left > 0 {
            let tries = (per_conn as u32).min(left) as u8;
            jobs.push(Job { acct, tries });
            left -= u32::from(tries);
            if lx.rng.gen_bool(0.12) {
                let probe = Acct::Probe(lx.rng.gen_range(0..PROBES.len() as u8));
                jobs.push(Job { acct: probe, tries: lx.rng.gen_range(1..=per_conn.min(3)) });
            }
        }
    }
    let mut lines = Vec::new();
    let mut g = lx.lines(&mut lines);
    let mut streams: Vec<Tick> = (0..parallel).map(|i| t + i64::from(i) * 700 * MILLI).collect();
    let mut locked = false;
    for job in jobs {
        let Some((slot, &at)) = streams.iter().enumerate().min_by_key(|(_, t)| **t) else { break };
        let mut c = g.conn(h, ip, port(&mut lx.rng, true), at + lx.rng.gen_range(50 * MILLI..400 * MILLI));
        if job.acct.invalid() {
            g.invalid_user(&mut lx.rng, &mut c, job.acct);
        }
        for k in 0..job.tries {
            if k > 0 {
                c.t += lx.rng.gen_range(100 * MILLI..900 * MILLI);
            }
            locked |= lx.wrong(&mut g, &mut c, job.acct) == Gate::Lock;
        }
        let how = match (job.tries, close) {
            (6, _) => Close::MaxTries,
            // Fewer tries than MaxTries end the way the tool ends them.
            (_, Close::MaxTries) => Close::ByeBye,
            (_, how) => how,
        };
        g.close_failed(&mut lx.rng, &mut c, job.acct, how);
        streams[slot] = c.t + lx.rng.gen_range(300 * MILLI..3 * SECOND);
    }
    lx.plan.lines.extend(lines);
    lx.label(Acct::Root, h, "brute-force", actions_for("brute-force", false), vec![h], (None, Some(ip)));
    if second {
        let lockout = locked.then_some((h, ip));
        lx.label(Acct::Cloud, h, "brute-force", actions_for("brute-force", locked), vec![h], (lockout, Some(ip)));
    }
}
