//! Building the lines of one SSH connection, sudo or cron job the way the real programs log
//! them, for the background and the scenarios alike.
//!
//! One password attempt on a host with `pam_unix` (formats.md §8.2–8.4, Linux-PAM's
//! `pam_unix_auth.c` and `pam_faillock.c`, loghub's OpenSSH sample):
//!
//! * `pam_unix` logs `authentication failure; … user=U` for the *first* failure of a connection
//!   only (it keeps a count in the PAM handle) and, when the connection ends with failures,
//!   `PAM N more authentication failures; …` and, above three, `PAM service(sshd) ignoring max
//!   retries; N > 3`. A success replaces the count silently.
//! * sshd logs `Failed password …` after PAM's two-second failure delay.
//! * `pam_faillock`'s lock line comes with the failure that reaches `deny`; while locked, a
//!   Debian stack (`requisite`) runs nothing else, a RHEL stack still runs `pam_unix` (which logs
//!   a wrong password). A locked account fails even with the right password.
//! * On Debian-family hosts joined with SSSD, `pam_unix` runs first for AD users too and logs a
//!   failure for every password login (then `pam_sss` decides); RHEL's `pam_localuser` skips it.

use super::fleet::{Acct, HostId, host, host_ip};
use super::line::{Cmd, Line, Svc, What};
use crate::clock::{MILLI, SECOND, Tick};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Lines a connection may have (the low bits of its lines' keys).
const LINE_BITS: u32 = 10;

/// Collects lines, giving each connection a block of keys.
pub(crate) struct Gen<'v> {
    pub out: &'v mut Vec<Line>,
    next: u64,
    limit: u64,
    window: (Tick, Tick),
}

/// One process instance being written: an SSH connection, a sudo, a cron job, a passwd.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conn {
    pub base: u64,
    pub host: HostId,
    pub ip: u32,
    pub port: u16,
    /// The time of the next line.
    pub t: Tick,
    n: u64,
    /// `pam_unix` failures counted in this connection's PAM handle.
    pam: u8,
}

/// How `pam_faillock` treats one wrong password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Counted (or no faillock on the host).
    Open,
    /// Counted, and it reaches `deny`: the account locks.
    Lock,
    /// The account is locked: refused before the password is checked.
    Locked,
}

/// How a connection that failed to authenticate ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Close {
    /// The client gave up (a person, `sshpass`, a one-try tool).
    Client,
    /// The client said goodbye (`Bye Bye`), as many guessing tools do.
    ByeBye,
    /// sshd's `MaxAuthTries` (6) was reached.
    MaxTries,
}

impl<'v> Gen<'v> {
    /// Lines go to `out`; connection keys start above `base` and stay below `base + span`; lines
    /// outside `window` are dropped.
    pub(crate) fn new(out: &'v mut Vec<Line>, base: u64, span: u64, window: (Tick, Tick)) -> Self {
        Self { out, next: base, limit: base + span, window }
    }

    /// A new connection from `ip` to `host`, its first line at `t`.
    pub(crate) fn conn(&mut self, host: HostId, ip: u32, port: u16, t: Tick) -> Conn {
        // Background key blocks are bounded: a saturated block reuses its last connection key
        // rather than spill into another's (the callers cap their connection counts well below).
        if self.next + (1 << LINE_BITS) < self.limit {
            self.next += 1 << LINE_BITS;
        }
        Conn { base: self.next, host, ip, port, t, n: 0, pam: 0 }
    }

    /// Writes `what` at the connection's current time, then moves it on by `after`.
    pub(crate) fn push(&mut self, c: &mut Conn, what: What, after: Tick) {
        self.line(c, what, 0, false);
        c.t += after;
    }

    /// Writes one line of `c`.
    pub(crate) fn line(&mut self, c: &mut Conn, what: What, parent: u64, end: bool) {
        let key = c.base | c.n.min((1 << LINE_BITS) - 1);
        c.n += 1;
        if c.t >= self.window.0 && c.t < self.window.1 {
            self.out.push(Line { t: c.t, key, conn: c.base, parent, end, host: c.host, what });
        }
    }

    /// `Invalid user U from IP port P`, sshd's first word about a name that does not exist.
    pub(crate) fn invalid_user(&mut self, rng: &mut ChaCha8Rng, c: &mut Conn, acct: Acct) {
        let (ip, port) = (c.ip, c.port);
        self.push(c, What::InvalidUser { acct, ip, port }, rng.gen_range(MILLI..40 * MILLI));
    }

    /// One wrong password (or one refused because the account is locked): the PAM lines of the
    /// host's stack, then sshd's `Failed password` after the failure delay.
    pub(crate) fn wrong(&mut self, rng: &mut ChaCha8Rng, c: &mut Conn, acct: Acct, gate: Gate) {
        let h = host(c.host);
        let ip = c.ip;
        let step = |rng: &mut ChaCha8Rng| rng.gen_range(MILLI..15 * MILLI);
        if acct.invalid() {
            // pam_faillock cannot find the user (preauth and authfail each say so).
            if h.faillock.is_some() {
                self.push(c, What::FaillockUnknown, step(rng));
            }
            self.push(c, What::PamUnixUnknown, step(rng));
            c.pam = c.pam.saturating_add(1);
            if c.pam == 1 {
                self.push(c, What::PamUnixFail { acct, ip }, step(rng));
            }
            if h.faillock.is_some() {
                self.push(c, What::FaillockUnknown, step(rng));
            }
        } else {
            let stopped = gate == Gate::Locked && h.faillock.is_some_and(|f| f.requisite);
            // RHEL's pam_localuser skips pam_unix for AD users.
            let skipped = acct.ad() && h.rhel;
            let unix = !(stopped || skipped);
            if unix {
                c.pam = c.pam.saturating_add(1);
                if c.pam == 1 {
                    self.push(c, What::PamUnixFail { acct, ip }, step(rng));
                }
            }
            if acct.ad() && !stopped {
                self.push(c, What::PamSssFail { acct, ip }, step(rng));
                self.push(c, What::PamSssReceived { acct }, step(rng));
            }
            if gate == Gate::Lock && acct != Acct::Root {
                self.push(c, What::FaillockLocked { acct }, step(rng));
            }
        }
        c.t += 2 * SECOND + rng.gen_range(0..300 * MILLI);
        let port = c.port;
        self.push(c, What::Failed { acct, ip, port }, 0);
    }

    /// The right password, refused because `pam_faillock` holds the account locked.
    pub(crate) fn refused(&mut self, rng: &mut ChaCha8Rng, c: &mut Conn, acct: Acct) {
        c.t += 2 * SECOND + rng.gen_range(0..300 * MILLI);
        let (ip, port) = (c.ip, c.port);
        self.push(c, What::Failed { acct, ip, port }, 0);
    }

    /// A successful authentication. An AD user's password login on a Debian-family SSSD host
    /// first gets `pam_unix`'s failure (it does not know the password), then `pam_sss`'s success.
    pub(crate) fn accepted(&mut self, rng: &mut ChaCha8Rng, c: &mut Conn, acct: Acct, key: bool) {
        let h = host(c.host);
        let (ip, port) = (c.ip, c.port);
        if acct.ad() && !key {
            if !h.rhel {
                c.pam = c.pam.saturating_add(1);
                if c.pam == 1 {
                    self.push(c, What::PamUnixFail { acct, ip }, rng.gen_range(MILLI..10 * MILLI));
                }
            }
            // pam_sss asks the domain controller.
            self.push(c, What::PamSssOk { acct, ip }, rng.gen_range(30 * MILLI..400 * MILLI));
        }
        // A success replaces pam_unix's failure count without a word.
        c.pam = 0;
        self.push(c, What::Accepted { acct, ip, port, key }, rng.gen_range(10 * MILLI..80 * MILLI));
        self.push(c, What::SessionOpened { svc: Svc::Sshd, acct, by: None }, rng.gen_range(5 * MILLI..40 * MILLI));
        self.line(c, What::LogindNew { acct }, 0, false);
    }

    /// The end of a session opened by [`Gen::accepted`], at `at`.
    pub(crate) fn logout(&mut self, rng: &mut ChaCha8Rng, c: &mut Conn, acct: Acct, at: Tick) {
        c.t = c.t.max(at);
        let (ip, port) = (c.ip, c.port);
        self.push(c, What::UserDisconnect { ip, port }, rng.gen_range(MILLI..5 * MILLI));
        self.push(c, What::DisconnectedUser { acct, ip, port }, rng.gen_range(MILLI..5 * MILLI));
        self.push(c, What::SessionClosed { svc: Svc::Sshd, acct }, rng.gen_range(2 * MILLI..20 * MILLI));
        self.push(c, What::LogindOut, rng.gen_range(20 * MILLI..200 * MILLI));
        self.line(c, What::LogindRemoved, 0, true);
    }

    /// The end of a connection that never authenticated, with pam_unix's summary.
    pub(crate) fn close_failed(&mut self, rng: &mut ChaCha8Rng, c: &mut Conn, acct: Acct, how: Close) {
        c.t += rng.gen_range(50 * MILLI..1500 * MILLI);
        let (ip, port) = (c.ip, c.port);
        let step = |rng: &mut ChaCha8Rng| rng.gen_range(MILLI..10 * MILLI);
        match how {
            Close::Client => self.push(c, What::ClosedAuth { acct, ip, port }, step(rng)),
            Close::ByeBye => {
                self.push(c, What::ByeBye { ip, port }, step(rng));
                self.push(c, What::DisconnectedAuth { acct, ip, port }, step(rng));
            }
            Close::MaxTries => {
                self.push(c, What::MaxAuth { acct, ip, port }, step(rng));
                self.push(c, What::TooMany { acct, ip, port }, step(rng));
            }
        }
        if c.pam > 1 {
            self.push(c, What::PamMore { acct, ip, n: c.pam - 1 }, step(rng));
        }
        if c.pam > 3 {
            let n = c.pam;
            self.push(c, What::PamMaxRetries { n }, 0);
        }
        c.pam = 0;
        // The connection is over: let the writer forget its pid.
        if let Some(last) = self.out.last_mut().filter(|l| l.conn == c.base) {
            last.end = true;
        }
    }

    /// A `sudo` by `acct` inside the SSH connection `parent` on `host`, lasting `dur` (a
    /// `passwd` as long as typing the new password twice takes). Returns when it ended (for
    /// `passwd`: when the password changed).
    #[allow(clippy::too_many_arguments)] // one per field of the sudo line
    pub(crate) fn sudo(
        &mut self,
        rng: &mut ChaCha8Rng,
        host_id: HostId,
        t: Tick,
        acct: Acct,
        tty: Option<u8>,
        cmd: Cmd,
        parent: u64,
        dur: Tick,
    ) -> Tick {
        let mut s = self.conn(host_id, 0, 0, t);
        self.line(&mut s, What::Sudo { acct, tty, cmd }, parent, false);
        s.t += rng.gen_range(2 * MILLI..12 * MILLI);
        self.line(&mut s, What::SessionOpened { svc: Svc::Sudo, acct: Acct::Root, by: Some(acct) }, parent, false);
        if let Cmd::Passwd(target) = cmd {
            // passwd is its own process: the new password typed twice, then the change.
            let mut p = self.conn(host_id, 0, 0, s.t + rng.gen_range(6 * SECOND..20 * SECOND));
            self.line(&mut p, What::PasswdChanged { acct: target }, parent, true);
            let changed = p.t;
            s.t = p.t + rng.gen_range(5 * MILLI..50 * MILLI);
            self.line(&mut s, What::SessionClosed { svc: Svc::Sudo, acct: Acct::Root }, parent, true);
            return changed;
        }
        s.t += dur;
        self.line(&mut s, What::SessionClosed { svc: Svc::Sudo, acct: Acct::Root }, parent, true);
        s.t
    }

    /// A cron job run as root on `host_id` from `t` for `dur`.
    pub(crate) fn cron(&mut self, host_id: HostId, t: Tick, dur: Tick) {
        let mut c = self.conn(host_id, 0, 0, t);
        self.line(&mut c, What::SessionOpened { svc: Svc::Cron, acct: Acct::Root, by: None }, 0, false);
        c.t += dur;
        self.line(&mut c, What::SessionClosed { svc: Svc::Cron, acct: Acct::Root }, 0, true);
    }
}

/// A client port: Linux clients use the kernel's ephemeral range, others the IANA one.
pub(crate) fn port(rng: &mut ChaCha8Rng, linux_client: bool) -> u16 {
    if linux_client { rng.gen_range(32768..61000) } else { rng.gen_range(49152..=65535) }
}

/// The address a host's outgoing connections come from.
pub(crate) fn from_host(h: HostId) -> u32 {
    host_ip(h)
}
