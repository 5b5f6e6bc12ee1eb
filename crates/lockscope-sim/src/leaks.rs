//! Leaked access tokens: an API gateway that wrote the `Authorization` header of some requests
//! into its log, `app/api-gateway.log`. This is how the April 2025 story began: an application
//! logged users' tokens.
//!
//! Each leaked token is shaped like a real Entra v1.0 access token: an RS256 header with a key
//! id, and the claims `aud`, `iss`, `iat`, `nbf`, `exp`, `appid`, `upn`, `oid`, `tid`, `sid`,
//! `uti`, `scp` and `ver`. A successful sign-in of its user that is in the sign-in logs minted
//! it: `iat` is that sign-in's time and `uti` is its request id (formats.md §9.2), so the token
//! leads back to the sign-in that issued it. The lifetime is 60 to 90 minutes, as Entra gives
//! access tokens, and the signature is random bytes.
//!
//! Who leaked is decided after the scenarios, from the seed alone:
//! - one user holds a token that is still valid when the window ends. It was issued in the
//!   window's last hour, so it expires after the window: **live**;
//! - about half of the others got their token before their refresh tokens were revoked (members
//!   of the provider mass revocation first, never a compromised user): **dead**;
//! - the rest hold ordinary tokens whose `exp` passed before the live token was issued, so they
//!   expired before the logs end: **expired**.
//!
//! The log is the same in every layout, because it depends on the records and not on the shape
//! of the files. The gateway's ordinary requests carry no token.

use crate::SimError;
use crate::clock::{DAY, HOUR, MINUTE, SECOND, Style, Tick, Ts};
use crate::config::Config;
use crate::ids::{self, Guid, Ip, Uti};
use crate::noise::Background;
use crate::plan::{At, AuditKind, Auth, Plan, SignIn, SignInSpec};
use crate::signin::View;
use crate::tenant::{DOMAIN, DevKind, Tenant, User};
use crate::writer::{FileStat, Output};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// The application log, relative to the output folder.
pub(crate) const FILE: &str = "app/api-gateway.log";
/// Its folder.
const DIR: &str = "app";
/// Random stream id of the leaks (see `ids::rng`).
const STREAM: u64 = 30;
/// Shortest and longest access-token lifetime, in seconds (Entra's 60–90 minutes).
const LIFETIME: std::ops::RangeInclusive<i64> = 3600..=5400;

/// What became of a leaked token by the end of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Issued before a refresh-token revocation of its user.
    Dead,
    /// Past its `exp` before the logs end.
    Expired,
    /// Still valid when the window ends.
    Live,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Dead => "dead",
            Status::Expired => "expired",
            Status::Live => "live",
        }
    }
}

/// One leaked token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leak {
    /// The sign-in that issued it (its request id is the token's `uti`).
    pub signin: SignIn,
    /// Seconds from `iat` to `exp`.
    pub lifetime: i64,
    /// When the gateway logged it.
    pub logged: Tick,
    pub status: Status,
    /// Its line in the log (1-based), known once the log is written.
    pub line: u64,
}

impl Leak {
    /// `iat` (and `nbf`): the sign-in's time in whole seconds.
    fn iat(&self) -> i64 {
        self.signin.t.div_euclid(SECOND)
    }

    fn exp(&self) -> i64 {
        self.iat() + self.lifetime
    }
}

/// What choosing the leaks looks at.
struct Pick<'a> {
    cfg: &'a Config,
    tenant: &'a Tenant,
    rng: ChaCha8Rng,
    /// The scenarios' successful sign-ins, per user.
    scripted: BTreeMap<u32, Vec<SignIn>>,
}

impl Pick<'_> {
    /// The successful sign-ins of `u` in `[lo, hi)` that the sign-in logs hold and that give a
    /// modern client an access token (not legacy protocols, not an attacker's source), oldest
    /// first.
    fn successes(&self, plan: &Plan, u: u32, lo: Tick, hi: Tick) -> Vec<SignIn> {
        let (start, _) = plan.window;
        let lo = lo.max(start);
        let hi = hi.min(plan.window.1);
        if hi <= lo {
            return Vec::new();
        }
        let background = Background {
            tenant: self.tenant,
            disruptions: &plan.disruptions,
            seed: self.cfg.seed,
            per_day: self.cfg.noise,
        };
        let mut out = Vec::new();
        let first = ((lo - start) / DAY) as u32;
        let last = (((hi - 1 - start) / DAY) as u32).min(self.cfg.days - 1);
        for day in first..=last {
            background.user_day(u, day, start + Tick::from(day) * DAY, &mut out);
        }
        out.extend(self.scripted.get(&u).into_iter().flatten().copied());
        out.retain(|s| s.code == 0 && s.t >= lo && s.t < hi && matches!(s.at, At::Own(_)) && !s.flow.info().legacy);
        out.sort_unstable_by_key(|s| (s.t, s.key));
        out
    }

    /// One of `u`'s successful sign-ins in `[lo, hi)`, chosen at random.
    fn choose(&mut self, plan: &Plan, u: u32, lo: Tick, hi: Tick) -> Option<SignIn> {
        let found = self.successes(plan, u, lo, hi);
        found.choose(&mut self.rng).copied()
    }

    /// The leak of the token `signin` issued, logged before `until` (the end of the window, or
    /// for a dead token its revocation).
    fn leak(&mut self, signin: SignIn, status: Status, until: Tick) -> Leak {
        let lifetime = self.rng.gen_range(LIFETIME);
        // The gateway logs a request made with the token soon after it was issued, while it
        // is valid and before `until`.
        let room = (15 * MINUTE).min(lifetime * SECOND - MINUTE).min(until - SECOND - signin.t);
        let logged = signin.t + if room > SECOND { self.rng.gen_range(SECOND..room) } else { room.max(0) };
        Leak { signin, lifetime, logged, status, line: 0 }
    }
}

/// Chooses the leaked tokens of `cfg` (none without Entra files or with `leaked_tokens` 0;
/// `None` then means no log is written). `taken` are people labelled by another family (the
/// Windows side of `hybrid`), who are left alone. When nobody signs in successfully in the
/// window's last hour, one user gets a background token refresh there, so that a live token
/// exists.
pub(crate) fn plan(cfg: &Config, tenant: &Tenant, plan: &mut Plan, taken: &[u32]) -> Option<Vec<Leak>> {
    if cfg.leaked_tokens == 0 || !cfg.scenario.writes_entra() {
        return None;
    }
    let want = (cfg.leaked_tokens as usize).min(tenant.users.len());
    let (start, end) = plan.window;
    let mut scripted: BTreeMap<u32, Vec<SignIn>> = BTreeMap::new();
    for s in plan.signins.iter().filter(|s| s.code == 0) {
        scripted.entry(s.user).or_default().push(*s);
    }
    let mut pick = Pick { cfg, tenant, rng: ids::rng(cfg.seed, STREAM, 0, 0), scripted };

    // Refresh-token cut-offs (the new `StsRefreshTokensValidFrom`, whole seconds) per user.
    let mut cuts: BTreeMap<u32, Tick> = BTreeMap::new();
    // People who also count as left alone: the Windows side's, and disabled accounts (a
    // disabled account's tokens are neither revoked nor plainly valid, so none of theirs leak).
    let mut taken: BTreeSet<u32> = taken.iter().copied().collect();
    for a in &plan.audits {
        match a.kind {
            AuditKind::TokenBump { user, .. } | AuditKind::UpdateUserTokens { user, .. } => {
                let cut = a.t.div_euclid(SECOND) * SECOND;
                cuts.entry(user).and_modify(|c| *c = (*c).min(cut)).or_insert(cut);
            }
            AuditKind::DisableAccount { user } | AuditKind::UpdateUserDisabled { user } => {
                taken.insert(user);
            }
            _ => {}
        }
    }
    let labels: BTreeMap<u32, (&str, bool)> = plan.labels.iter().map(|l| (l.user, (l.verdict, l.incident))).collect();
    let mut users: Vec<u32> = (0..tenant.users.len() as u32).filter(|u| !taken.contains(u)).collect();
    users.shuffle(&mut pick.rng);
    let cleared = |u: &u32| labels.get(u).is_none_or(|(verdict, _)| *verdict != "compromised");
    // Nobody's story involves them, and no token of theirs was ever revoked.
    let quiet: Vec<u32> = users.iter().copied().filter(|u| !labels.contains_key(u) && !cuts.contains_key(u)).collect();
    // Revoked, not compromised: members of the mass revocation first.
    let mut revoked: Vec<u32> = users.iter().copied().filter(|u| cuts.contains_key(u) && cleared(u)).collect();
    revoked.sort_by_key(|u| !labels.get(u).is_some_and(|(_, incident)| *incident));
    // In another story, but nothing revoked their tokens.
    let others: Vec<u32> =
        users.iter().copied().filter(|u| labels.contains_key(u) && !cuts.contains_key(u) && cleared(u)).collect();

    let mut leaks: Vec<Leak> = Vec::new();
    let mut used: BTreeSet<u32> = BTreeSet::new();

    // Live: issued in the last hour (but not in its first minute, so that even the shortest
    // lifetime ends after the window), logged before the window ends.
    let (lo, hi) = (end - HOUR + MINUTE, end - 2 * MINUTE);
    let mut live = quiet.iter().find_map(|&u| pick.choose(plan, u, lo, hi));
    if live.is_none()
        && let Some(&u) = quiet.first()
    {
        let (d, flow) = crate::scenario::refresh_device(&mut pick.rng, tenant.user(u));
        let t = pick.rng.gen_range(lo..hi);
        let key = plan.signin(SignInSpec::new(t, u, 0, At::Own(d), flow, Auth::Refresh));
        plan.signins.sort_unstable_by_key(|s| (s.t, s.key));
        live = plan.signins.iter().find(|s| s.key == key).copied();
    }
    if let Some(s) = live.filter(|_| want > 0) {
        used.insert(s.user);
        leaks.push(pick.leak(s, Status::Live, end));
    }

    // Dead: issued and logged before the first revocation, preferably in the day before it.
    let dead = |pick: &mut Pick<'_>, plan: &Plan, u: u32| {
        let cut = cuts.get(&u).copied()?;
        let last = cut - 10 * MINUTE;
        let s = pick.choose(plan, u, cut - DAY, last).or_else(|| pick.choose(plan, u, start, last))?;
        Some(pick.leak(s, Status::Dead, cut))
    };
    let mut remaining = want - leaks.len();
    let mut quota = remaining.div_ceil(2);
    for &u in &revoked {
        if quota == 0 {
            break;
        }
        if let Some(leak) = dead(&mut pick, plan, u) {
            used.insert(u);
            leaks.push(leak);
            quota -= 1;
        }
    }

    // Expired: a lifetime before the live token was issued, so the logs outlive them.
    let horizon = leaks.first().filter(|l| l.status == Status::Live).map_or(end - 3 * HOUR, |l| l.signin.t) - MINUTE;
    let latest = horizon - LIFETIME.end() * SECOND;
    remaining = want - leaks.len();
    for &u in quiet.iter().chain(&others) {
        if remaining == 0 {
            break;
        }
        if used.contains(&u) {
            continue;
        }
        if let Some(s) = pick.choose(plan, u, start, latest) {
            used.insert(u);
            leaks.push(pick.leak(s, Status::Expired, end));
            remaining -= 1;
        }
    }
    // Too few users for ordinary tokens: more dead ones.
    for &u in &revoked {
        if remaining == 0 {
            break;
        }
        if used.contains(&u) {
            continue;
        }
        if let Some(leak) = dead(&mut pick, plan, u) {
            used.insert(u);
            leaks.push(leak);
            remaining -= 1;
        }
    }
    leaks.sort_by_key(|l| (l.logged, l.signin.key));
    Some(leaks)
}

/// Removes the log of an earlier run (and its folder, when nothing else is in it).
pub(crate) fn clean(out_dir: &Path) -> Result<(), SimError> {
    let path = out_dir.join(FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(SimError::io(&path)(e)),
        _ => {}
    }
    let _ = std::fs::remove_dir(out_dir.join(DIR));
    Ok(())
}

/// An upstream service of the gateway and requests it forwards there.
struct Upstream {
    name: &'static str,
    requests: &'static [(&'static str, &'static str)],
}

const GRAPH: Upstream = Upstream {
    name: "graph",
    requests: &[
        ("GET", "/v1.0/me"),
        ("GET", "/v1.0/me/messages?$top=25"),
        ("GET", "/v1.0/me/drive/root/children"),
        ("GET", "/v1.0/me/calendarView?startDateTime=today"),
        ("POST", "/v1.0/me/sendMail"),
        ("GET", "/v1.0/users?$select=displayName,mail"),
    ],
};
const EXCHANGE: Upstream = Upstream {
    name: "exchange",
    requests: &[
        ("GET", "/api/v2.0/me/mailfolders/inbox/messages"),
        ("GET", "/EWS/Exchange.asmx"),
        ("POST", "/api/v2.0/me/sendmail"),
    ],
};
const SHAREPOINT: Upstream =
    Upstream { name: "sharepoint", requests: &[("GET", "/_api/web/lists"), ("GET", "/_api/web/currentuser")] };
const TEAMS: Upstream = Upstream {
    name: "teams",
    requests: &[("GET", "/v1/users/ME/conversations"), ("POST", "/v1/users/ME/conversations/messages")],
};
const ARM: Upstream = Upstream {
    name: "arm",
    requests: &[
        ("GET", "/subscriptions?api-version=2022-12-01"),
        ("GET", "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"),
    ],
};
const UPSTREAMS: [&Upstream; 5] = [&GRAPH, &EXCHANGE, &SHAREPOINT, &TEAMS, &ARM];

/// Status codes of ordinary requests, weighted.
const CODES: &[(u16, u32)] = &[(200, 80), (204, 6), (304, 4), (401, 3), (404, 3), (429, 2), (502, 2)];

/// The token's audience, the delegated scopes, and the gateway upstream of a resource.
fn resource(res: crate::apps::Res) -> (String, &'static str, &'static Upstream) {
    use crate::apps::Res;
    match res {
        Res::Exchange => {
            ("https://outlook.office365.com".into(), "EWS.AccessAsUser.All Mail.ReadWrite Mail.Send", &EXCHANGE)
        }
        Res::Graph => ("https://graph.microsoft.com".into(), "Mail.Read openid profile User.Read email", &GRAPH),
        Res::SharePoint => {
            let tenant = DOMAIN.split('.').next().unwrap_or("contoso");
            (format!("https://{tenant}.sharepoint.com"), "AllSites.Write MyFiles.Write", &SHAREPOINT)
        }
        Res::TeamsServices => ("https://api.spaces.skype.com".into(), "user_impersonation", &TEAMS),
        Res::AzureManagement => ("https://management.core.windows.net/".into(), "user_impersonation", &ARM),
    }
}

/// The JOSE header of a token.
#[derive(Serialize)]
struct Header<'a> {
    typ: &'static str,
    alg: &'static str,
    x5t: &'a str,
    kid: &'a str,
}

/// The claims of a v1.0 access token, in the order Entra writes them.
#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    acr: &'static str,
    amr: &'static [&'static str],
    app_displayname: &'static str,
    appid: &'static str,
    appidacr: &'static str,
    family_name: &'a str,
    given_name: &'a str,
    idtyp: &'static str,
    ipaddr: Ip,
    name: &'a str,
    oid: Guid,
    scp: &'static str,
    sid: Guid,
    sub: String,
    tid: Guid,
    unique_name: &'a str,
    upn: &'a str,
    uti: Uti,
    ver: &'static str,
}

/// How the user proved who they were, as `amr` says it.
fn amr(user: &User) -> &'static [&'static str] {
    match (user.passwordless, user.devices.first().map(|d| d.kind)) {
        (true, Some(DevKind::WindowsPc)) => &["rsa", "mfa"],
        (true, _) => &["fido", "mfa"],
        (false, _) => &["pwd", "mfa"],
    }
}

/// Unpadded base64url of `bytes` random bytes.
fn random_b64(rng: &mut ChaCha8Rng, bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rng.fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The token the gateway logged for `leak`: `header.payload.signature`.
fn token(tenant: &Tenant, leak: &Leak, kid: &str, rng: &mut ChaCha8Rng) -> Result<String, serde_json::Error> {
    let v = View::new(tenant, &leak.signin);
    let user = v.user;
    let (aud, scp, _) = resource(v.info.resource);
    let (given, family) = user.display.split_once(' ').unwrap_or((&user.display, ""));
    // The pairwise subject: stable per user (and app, which this gateway never varies).
    let sub: Vec<u8> =
        (0..4).flat_map(|i| tenant.keys.noise(u64::from(leak.signin.user), STREAM + i).to_be_bytes()).collect();
    let claims = Claims {
        aud: &aud,
        iss: format!("https://sts.windows.net/{}/", tenant.id),
        iat: leak.iat(),
        nbf: leak.iat(),
        exp: leak.exp(),
        acr: "1",
        amr: amr(user),
        app_displayname: v.info.app.name,
        appid: v.info.app.id,
        appidacr: "0",
        family_name: family,
        given_name: given,
        idtyp: "user",
        ipaddr: v.ip,
        name: &user.display,
        oid: user.oid,
        scp,
        sid: v.session,
        sub: URL_SAFE_NO_PAD.encode(sub),
        tid: tenant.id,
        unique_name: &user.upn,
        upn: &user.upn,
        uti: v.id.uti(),
        ver: "1.0",
    };
    let header = Header { typ: "JWT", alg: "RS256", x5t: kid, kid };
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?);
    // An RS256 signature over a 2048-bit key is 256 bytes.
    Ok(format!("{header}.{payload}.{}", random_b64(rng, 256)))
}

/// One line of the log: an ordinary request, or the request that leaked token `usize`.
enum Line {
    Request { up: &'static Upstream, user: u32 },
    Leak(usize),
}

/// A v4-shaped request id from random bytes.
fn request_id(rng: &mut ChaCha8Rng) -> Guid {
    let mut g = [0u8; 16];
    rng.fill_bytes(&mut g);
    g[6] = 0x40 | (g[6] & 0x0f);
    g[8] = 0x80 | (g[8] & 0x3f);
    Guid(g)
}

/// Writes `app/api-gateway.log`: a few ordinary requests an hour, and one line per leaked token
/// with its `Authorization` header. Sets each leak's `line`.
pub(crate) fn write(
    out_dir: &Path,
    cfg: &Config,
    tenant: &Tenant,
    window: (Tick, Tick),
    leaks: &mut [Leak],
) -> Result<FileStat, SimError> {
    let dir = out_dir.join(DIR);
    std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
    let mut rng = ids::rng(cfg.seed, STREAM, 2, 0);
    // Entra signs with a few keys and rolls them over: one key id a day, from two.
    let kids = [random_b64(&mut rng, 20), random_b64(&mut rng, 20)];
    let (start, end) = window;
    let mut lines: Vec<(Tick, u64, Line)> = Vec::new();
    let mut hour = start;
    while hour < end {
        for _ in 0..rng.gen_range(3..=9) {
            let t = hour + rng.gen_range(0..HOUR);
            let up = UPSTREAMS[rng.gen_range(0..UPSTREAMS.len())];
            let user = rng.gen_range(0..tenant.users.len() as u32);
            lines.push((t, lines.len() as u64, Line::Request { up, user }));
        }
        hour += HOUR;
    }
    for (i, leak) in leaks.iter().enumerate() {
        lines.push((leak.logged, lines.len() as u64, Line::Leak(i)));
    }
    lines.sort_by_key(|(t, order, _)| (*t, *order));

    let path = out_dir.join(FILE);
    let mut out = Output::create(path)?;
    let mut text = String::new();
    for (n, (t, _, line)) in lines.iter().enumerate() {
        text.clear();
        // The gateway restarts every night: a new process id a day.
        let day = (t - start).div_euclid(DAY) as u64;
        let pid = 1000 + ids::combine(cfg.seed ^ STREAM, day) % 30_000;
        let _ = write!(text, "{} api-gw[{pid}]: ", Ts(*t, Style::Millis));
        let req = request_id(&mut rng);
        let ms = rng.gen_range(8..900);
        match *line {
            Line::Request { up, user } => {
                let (method, target) = up.requests[rng.gen_range(0..up.requests.len())];
                let code = crate::tenant::weighted(&mut rng, CODES).unwrap_or(200);
                let ip = Ip(tenant.user(user).ip);
                let _ = write!(text, "{method} {target} {code} upstream={} dur={ms}ms client={ip} req={req}", up.name);
            }
            Line::Leak(i) => {
                let leak = &mut leaks[i];
                leak.line = n as u64 + 1;
                let (_, _, up) = resource(leak.signin.flow.info().resource);
                let (method, target) = up.requests[rng.gen_range(0..up.requests.len())];
                let ip = View::new(tenant, &leak.signin).ip;
                let kid = &kids[(leak.signin.t.div_euclid(DAY) & 1) as usize];
                let jwt = token(tenant, leak, kid, &mut rng).map_err(SimError::json(&out.path))?;
                let _ = write!(
                    text,
                    "{method} {target} 200 upstream={} dur={ms}ms client={ip} req={req} Authorization: Bearer {jwt}",
                    up.name
                );
            }
        }
        text.push('\n');
        out.raw(text.as_bytes())?;
        out.records += 1;
    }
    out.finish()
}
