//! Renderings of a remediation plan ([`lockscope::plan::Plan`]) for the people who carry it out:
//! Microsoft Graph PowerShell, a Graph `$batch` document, Active Directory PowerShell and a Linux
//! shell script.
//!
//! Only commands and endpoints that exist are written (reference/formats.md §4.5): the riskyUsers
//! actions `confirmSafe`, `dismiss` and `confirmCompromised` (`Confirm-MgRiskyUserSafe`,
//! `Invoke-MgDismissRiskyUser`, `Confirm-MgRiskyUserCompromised`, at most 60 user ids a call),
//! `revokeSignInSessions` (`Revoke-MgUserSignInSession`), a password reset through the user's
//! `passwordProfile` (`Update-MgUser -PasswordProfile`), `Unlock-ADAccount` and
//! `faillock --user U --reset`. Every value from the logs is quoted for its language, and every
//! comment is kept on its line, so a hostile user or host name cannot run anything. A plan that
//! looks like a mass event opens with a loud warning, and a script that itself acts on that many
//! users refuses to run without an explicit switch.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lockscope::Action;
use lockscope::plan::{Item, MASS_SHARE_PERCENT, MASS_USERS, Plan};

mod ad;
mod batch;
mod graph;
pub mod quote;
mod shell;

use crate::ReportError;

/// Most user ids one riskyUsers action takes (Graph's documented limit).
pub const MAX_USER_IDS: usize = 60;

/// Most requests in one Graph `$batch` document.
pub const MAX_BATCH_REQUESTS: usize = 20;

/// A rendering of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// Microsoft Graph PowerShell for the Entra items (`plan.ps1`).
    GraphPowerShell,
    /// Graph `$batch` request bodies for the Entra items (`plan-batch.json`).
    GraphBatch,
    /// ActiveDirectory-module PowerShell for the Active Directory items (`plan-ad.ps1`).
    AdPowerShell,
    /// POSIX shell for the Linux items (`plan.sh`).
    Shell,
}

impl Rendering {
    /// Every rendering.
    pub const ALL: [Rendering; 4] =
        [Rendering::GraphPowerShell, Rendering::GraphBatch, Rendering::AdPowerShell, Rendering::Shell];

    /// The file name `--render-dir` writes it to.
    pub fn file_name(self) -> &'static str {
        match self {
            Rendering::GraphPowerShell => "plan.ps1",
            Rendering::GraphBatch => "plan-batch.json",
            Rendering::AdPowerShell => "plan-ad.ps1",
            Rendering::Shell => "plan.sh",
        }
    }
}

/// Renders `plan` as `rendering`.
pub fn render(plan: &Plan, rendering: Rendering) -> String {
    match rendering {
        Rendering::GraphPowerShell => graph::render(plan),
        Rendering::GraphBatch => batch::render(plan),
        Rendering::AdPowerShell => ad::render(plan),
        Rendering::Shell => shell::render(plan),
    }
}

/// Writes every rendering into `dir` (created if missing); returns the files written.
pub fn write_renderings(plan: &Plan, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError { path: dir.display().to_string(), source })?;
    let mut written = Vec::new();
    for r in Rendering::ALL {
        let path = dir.join(r.file_name());
        std::fs::write(&path, render(plan, r))
            .map_err(|source| ReportError { path: path.display().to_string(), source })?;
        written.push(path);
    }
    Ok(written)
}

/// The comment block every script opens with (`#` comments): what the plan is, and the mass
/// event warning when there is one. `title` names the rendering; `n` is how many items it holds.
fn header(plan: &Plan, title: &str, n: usize) -> String {
    let mut s = String::new();
    let c = quote::comment;
    let _ = writeln!(s, "# lockscope remediation plan: {title}");
    let _ = writeln!(s, "#   plan     {}", c(&plan.hash));
    let _ = writeln!(s, "#   case     {} (case.json sha256 {})", c(&plan.case.path), c(&plan.case.manifest_sha256));
    let _ = writeln!(s, "#   created  {} (the time of the case's last event)", c(&plan.created));
    let _ = writeln!(s, "#   tool     {}", c(&plan.tool));
    let _ = writeln!(
        s,
        "#   {n} of the plan's {} actions are here; {} users are excluded (no automatic action: see plan.json).",
        plan.items.len(),
        plan.excluded.len()
    );
    let _ = writeln!(s, "#   Review every line before running it: each command says why in its comment.");
    let warnings = plan.mass_warnings();
    if !warnings.is_empty() {
        let bar = "#".repeat(78);
        let _ = writeln!(s, "#\n{bar}");
        let _ = writeln!(s, "###  WARNING: THIS PLAN LOOKS LIKE A MASS EVENT");
        for w in &warnings {
            let _ = writeln!(s, "###  - {}", c(w));
        }
        let _ = writeln!(s, "###  A provider's mass false positive is cleared this way, but so is a real attack by");
        let _ = writeln!(s, "###  mistake. Check the users and the reasons below before running anything.");
        let _ = writeln!(s, "{bar}");
    }
    s
}

/// Whether the given items act on enough users at once to need the explicit switch: an action on
/// more than [`MASS_USERS`] users or more than [`MASS_SHARE_PERCENT`]% of the identities.
fn is_mass(plan: &Plan, items: &[&Item]) -> bool {
    Action::ALL.iter().any(|a| {
        let mut users: Vec<&str> = items.iter().filter(|i| i.action == *a).map(|i| i.user.as_str()).collect();
        users.sort_unstable();
        users.dedup();
        let n = users.len();
        n > MASS_USERS || (plan.identities > 0 && n * 100 > plan.identities * MASS_SHARE_PERCENT)
    })
}

/// The comment after a command: the account, the reason and the state when the plan was made.
fn why(item: &Item) -> String {
    let state = &item.current_state;
    let now = match (&state.risk_state, &state.risk_level) {
        (None, None) => String::new(),
        (s, l) => format!(
            " [risk {}/{}{}]",
            s.as_deref().unwrap_or("?"),
            l.as_deref().unwrap_or("?"),
            state.as_of.as_deref().map(|t| format!(" at {t}")).unwrap_or_default()
        ),
    };
    quote::comment(&format!("{}: {}{now}", item.user, item.reason))
}

#[cfg(test)]
mod tests;
