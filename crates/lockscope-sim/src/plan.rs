//! The plan: every scenario record as a compact spec, the per-user disruptions that change
//! background sign-ins, and the truth labels.
//!
//! Specs are small `Copy` values (about 40 bytes) so that a day of background sign-ins for a
//! large tenant fits in memory; all text is produced when a spec is written.

use crate::apps::Flow;
use crate::clock::Tick;

/// Where a sign-in comes from: one of the user's devices at their home address, or an
/// attacker source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum At {
    Own(u8),
    Foreign(u16),
}

/// How the user authenticated (shapes `authenticationDetails` and `incomingTokenType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// A refresh token was redeemed (non-interactive).
    Refresh,
    /// Single sign-on with the device's primary refresh token.
    Prt,
    /// Password, then Microsoft Authenticator.
    PasswordMfa,
    /// Password only (legacy clients).
    Password,
    /// A wrong password.
    PasswordBad,
    /// Password accepted, MFA still required (the 50074/50076 interrupts).
    MfaPending,
    /// A FIDO2 security key (passwordless).
    Fido2,
    /// Windows Hello for Business (passwordless).
    Whfb,
    /// No authentication step ran (locked, disabled, token rejected).
    None,
}

/// Identity Protection detection types the scenarios raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RiskKind {
    LeakedCredentials,
    UnfamiliarFeatures,
    AnomalousToken,
    PasswordSpray,
}

impl RiskKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RiskKind::LeakedCredentials => "leakedCredentials",
            RiskKind::UnfamiliarFeatures => "unfamiliarFeatures",
            RiskKind::AnomalousToken => "anomalousToken",
            RiskKind::PasswordSpray => "passwordSpray",
        }
    }

    /// Detected while the sign-in happened (rather than offline, later).
    pub(crate) fn realtime(self) -> bool {
        matches!(self, RiskKind::UnfamiliarFeatures)
    }
}

/// The risk a sign-in record carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RiskMark {
    None,
    /// The user is at high risk (the sign-in is blocked by "Block high user risk").
    UserHigh,
    /// The sign-in itself was flagged.
    Signin(RiskKind),
}

/// One sign-in record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignIn {
    pub t: Tick,
    /// Unique per record; the request id is derived from it.
    pub key: u64,
    /// Key of the first request of the sequence (correlation id and originalRequestId).
    pub corr: u64,
    pub user: u32,
    pub code: u32,
    pub at: At,
    pub flow: Flow,
    pub auth: Auth,
    pub risk: RiskMark,
}

/// Keys of scenario records have bit 63 set; background keys never do.
pub(crate) const SCENARIO_KEY: u64 = 1 << 63;

/// The key of the `n`th background record of `user` on `day` (unique given the limits in
/// `config`: day < 2^12, user < 2^27, n < 2^16).
pub(crate) fn noise_key(day: u32, user: u32, n: u32) -> u64 {
    (u64::from(day) << 44) | (u64::from(user) << 16) | u64::from(n)
}

/// Who performed an audited operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Initiator {
    /// The mass-revocation provider app.
    Provider,
    /// Microsoft's just-in-time service principal provisioning (`initiatedBy: {}`).
    Jit,
    /// A user of the tenant (an admin, or the user themselves), from `at`.
    User { user: u32, at: At },
}

/// The audited operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuditKind {
    /// `Add service principal` for the provider app.
    AddProviderSp,
    /// `Update StsRefreshTokenValidFrom Timestamp`.
    TokenBump { user: u32, old: Tick },
    /// `Update user` changing `StsRefreshTokensValidFrom`.
    UpdateUserTokens { user: u32, old: Tick },
    /// `Change user password`.
    ChangePassword { user: u32 },
    /// `Disable account`.
    DisableAccount { user: u32 },
    /// `Update user` changing `AccountEnabled` to false.
    UpdateUserDisabled { user: u32 },
    /// `User registered security info`.
    SecurityInfo { user: u32 },
    /// `Update user` of an ordinary attribute (background).
    UpdateUserAttribute { user: u32, attr: u8 },
    /// `Add member to group` (background).
    AddGroupMember { user: u32, group: u8 },
}

/// One audit row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Audit {
    pub t: Tick,
    pub key: u64,
    /// Rows of one operation share this key (and so their correlationId).
    pub corr: u64,
    pub by: Initiator,
    pub kind: AuditKind,
}

/// One Identity Protection risk detection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Detection {
    pub key: u64,
    pub user: u32,
    pub kind: RiskKind,
    pub level: &'static str,
    pub activity: Tick,
    pub detected: Tick,
    /// The flagged sign-in's (key, corr), for sign-in detections.
    pub signin: Option<(u64, u64)>,
    /// Where the flagged sign-in came from.
    pub at: Option<At>,
}

/// One `AADRiskyUsers` snapshot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Snapshot {
    pub t: Tick,
    pub user: u32,
    pub level: &'static str,
    pub state: &'static str,
    pub detail: &'static str,
    pub updated: Tick,
    pub processing: bool,
}

/// How a scenario changes a user's background sign-ins from some instant on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disruption {
    None,
    /// High user risk blocks sign-ins (53003); with `revoked`, refresh-token redemptions fail
    /// 50173 instead because the tokens were revoked.
    RiskBlocked {
        from: Tick,
        revoked: bool,
    },
    /// Refresh tokens revoked at `from`; redemptions fail 50173 until the user signs in again.
    Revoked {
        from: Tick,
        until: Tick,
    },
    /// The account is disabled: everything fails 50057.
    Disabled {
        from: Tick,
    },
    /// The scenario writes this device's records from `from` on.
    StaleDevice {
        from: Tick,
        device: u8,
    },
}

impl Disruption {
    /// Applies the disruption to a background record; false drops it.
    pub(crate) fn apply(&self, s: &mut SignIn) -> bool {
        let info = s.flow.info();
        match *self {
            Disruption::RiskBlocked { from, revoked } if s.t >= from => {
                if s.code == 50126 {
                    // A wrong password fails before Conditional Access runs.
                    return true;
                }
                if revoked && info.refresh {
                    s.code = 50173;
                    s.auth = Auth::None;
                    s.risk = RiskMark::None;
                } else {
                    s.code = 53003;
                    s.risk = RiskMark::UserHigh;
                    if s.auth == Auth::MfaPending {
                        s.auth = Auth::PasswordMfa;
                    }
                }
                true
            }
            Disruption::Revoked { from, until } if s.t >= from && s.t < until && info.refresh => {
                s.code = 50173;
                s.auth = Auth::None;
                true
            }
            Disruption::Disabled { from } if s.t >= from => {
                s.code = 50057;
                s.auth = Auth::None;
                s.risk = RiskMark::None;
                true
            }
            Disruption::StaleDevice { from, device } => !(s.t >= from && s.at == At::Own(device)),
            _ => true,
        }
    }
}

/// A truth label (one per affected user).
#[derive(Clone, Debug)]
pub(crate) struct Label {
    pub user: u32,
    pub root_cause: &'static str,
    pub verdict: &'static str,
    pub actions: &'static [&'static str],
    /// Member of the provider mass-revocation incident.
    pub incident: bool,
}

/// The provider mass-revocation incident.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incident {
    pub start: Tick,
    pub end: Tick,
    pub members: usize,
}

/// Everything the scenarios decided.
#[derive(Debug)]
pub(crate) struct Plan {
    pub window: (Tick, Tick),
    pub signins: Vec<SignIn>,
    pub audits: Vec<Audit>,
    pub detections: Vec<Detection>,
    pub snapshots: Vec<Snapshot>,
    pub disruptions: Vec<Disruption>,
    pub labels: Vec<Label>,
    pub incidents: Vec<Incident>,
    next: u64,
}

impl Plan {
    pub(crate) fn new(users: usize, window: (Tick, Tick)) -> Self {
        Self {
            window,
            signins: Vec::new(),
            audits: Vec::new(),
            detections: Vec::new(),
            snapshots: Vec::new(),
            disruptions: vec![Disruption::None; users],
            labels: Vec::new(),
            incidents: Vec::new(),
            next: 0,
        }
    }

    /// A fresh scenario record key.
    pub(crate) fn key(&mut self) -> u64 {
        self.next += 1;
        SCENARIO_KEY | self.next
    }

    pub(crate) fn in_window(&self, t: Tick) -> bool {
        t >= self.window.0 && t < self.window.1
    }

    /// Adds a sign-in (dropped when outside the window) and returns its key.
    pub(crate) fn signin(&mut self, s: SignInSpec) -> u64 {
        let key = self.key();
        if self.in_window(s.t) {
            self.signins.push(SignIn {
                t: s.t,
                key,
                corr: s.corr.unwrap_or(key),
                user: s.user,
                code: s.code,
                at: s.at,
                flow: s.flow,
                auth: s.auth,
                risk: s.risk,
            });
        }
        key
    }

    /// Adds an audit row (dropped when outside the window).
    pub(crate) fn audit(&mut self, t: Tick, corr: u64, by: Initiator, kind: AuditKind) {
        let key = self.key();
        if self.in_window(t) {
            self.audits.push(Audit { t, key, corr, by, kind });
        }
    }

    /// Adds a risk detection (dropped when raised outside the window).
    pub(crate) fn detection(&mut self, d: Detection) {
        if self.in_window(d.detected) {
            self.detections.push(d);
        }
    }

    /// Adds a risky-user snapshot (dropped when outside the window).
    pub(crate) fn snapshot(&mut self, s: Snapshot) {
        if self.in_window(s.t) {
            self.snapshots.push(s);
        }
    }

    /// Adds a label.
    pub(crate) fn label(
        &mut self,
        user: u32,
        root_cause: &'static str,
        verdict: &'static str,
        actions: &'static [&'static str],
        incident: bool,
    ) {
        self.labels.push(Label { user, root_cause, verdict, actions, incident });
    }
}

/// The parts of a sign-in a scenario chooses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignInSpec {
    pub t: Tick,
    pub user: u32,
    pub code: u32,
    pub at: At,
    pub flow: Flow,
    pub auth: Auth,
    pub risk: RiskMark,
    pub corr: Option<u64>,
}

impl SignInSpec {
    pub(crate) fn new(t: Tick, user: u32, code: u32, at: At, flow: Flow, auth: Auth) -> Self {
        Self { t, user, code, at, flow, auth, risk: RiskMark::None, corr: None }
    }

    pub(crate) fn risk(self, risk: RiskMark) -> Self {
        Self { risk, ..self }
    }

    pub(crate) fn corr(self, corr: u64) -> Self {
        Self { corr: Some(corr), ..self }
    }
}

/// Lockout effects a user can suffer, in the order truth lists them.
pub(crate) const CONTRIBUTING: [(&str, &[u32]); 4] = [
    ("risk-block", &[53003]),
    ("token-rejected", &[50173]),
    ("smart-lockout", &[50053]),
    ("account-disabled", &[50057]),
];

/// The bit of `CONTRIBUTING` an error code sets, if any.
pub(crate) fn contributing_bit(code: u32) -> u8 {
    CONTRIBUTING.iter().position(|(_, codes)| codes.contains(&code)).map_or(0, |i| 1 << i)
}
