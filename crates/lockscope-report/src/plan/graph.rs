//! `plan.ps1`: the Entra items as Microsoft Graph PowerShell (SDK v2, v1.0 cmdlets).

use std::fmt::Write as _;

use lockscope::Action;
use lockscope::plan::{Item, Plan, Target};

use super::quote::ps;
use super::{MAX_USER_IDS, header, is_mass, why};

/// The riskyUsers actions: the cmdlet and what it does, in the order the script runs them
/// (compromises first, clearing last).
const RISKY_USER_ACTIONS: [(Action, &str, &str); 3] = [
    (
        Action::ConfirmCompromised,
        "Confirm-MgRiskyUserCompromised",
        "someone else used these accounts: confirm them compromised (sets their risk to high)",
    ),
    (
        Action::ConfirmSafe,
        "Confirm-MgRiskyUserSafe",
        "false positives with no compromise indicator: confirm them safe (sets their risk to none); no password reset",
    ),
    (
        Action::DismissRisk,
        "Invoke-MgDismissRiskyUser",
        "false positives with no compromise indicator: dismiss their risk; no password reset",
    ),
];

/// Renders the script.
pub fn render(plan: &Plan) -> String {
    let items: Vec<&Item> = plan.items.iter().filter(|i| i.target == Target::Entra).collect();
    let mut s = header(plan, "Microsoft Entra ID (Microsoft Graph PowerShell)", items.len());
    let has = |a: Action| items.iter().any(|i| i.action == a);
    let riskyusers = [Action::ConfirmCompromised, Action::ConfirmSafe, Action::DismissRisk];
    let mut modules = vec!["Microsoft.Graph.Authentication"];
    let mut scopes = Vec::new();
    if RISKY_USER_ACTIONS.iter().any(|(a, _, _)| has(*a)) {
        modules.push("Microsoft.Graph.Identity.SignIns");
        scopes.push("IdentityRiskyUser.ReadWrite.All");
    }
    if has(Action::RevokeSessions) {
        modules.push("Microsoft.Graph.Users.Actions");
        scopes.push("User.RevokeSessions.All");
    }
    if has(Action::ResetPassword) || items.iter().any(|i| i.object_id.is_none() && riskyusers.contains(&i.action)) {
        modules.push("Microsoft.Graph.Users");
    }
    if has(Action::ResetPassword) {
        scopes.push("User-PasswordProfile.ReadWrite.All");
    }
    if items.iter().any(|i| i.object_id.is_none() && riskyusers.contains(&i.action)) {
        scopes.push("User.Read.All");
    }
    let actionable = items.iter().any(|i| i.action != Action::FixStaleCredential);
    let _ = writeln!(s, "#Requires -Modules {}", modules.join(", "));
    if is_mass(plan, &items) {
        let _ = writeln!(
            s,
            "param(\n    # This script acts on many users at once (see the warning above): say so to run it.\n    [switch]$ConfirmMassAction\n)"
        );
        let _ = writeln!(
            s,
            "if (-not $ConfirmMassAction) {{ throw 'lockscope: this plan looks like a mass event; review it, then run it again with -ConfirmMassAction' }}"
        );
    }
    let _ = writeln!(s, "$ErrorActionPreference = 'Stop'");
    if !actionable {
        let _ = writeln!(s, "\n# Nothing to run in Microsoft Entra ID.");
    } else {
        let scopes: Vec<String> = scopes.iter().map(|x| ps(x)).collect();
        let _ = writeln!(s, "Connect-MgGraph -Scopes {} -NoWelcome", scopes.join(", "));
    }
    if has(Action::ResetPassword) {
        s.push_str(PASSWORD_HELPER);
    }
    let by = |a: Action| -> Vec<&Item> { items.iter().copied().filter(|i| i.action == a).collect() };
    // Compromised accounts first: confirm, cut their sessions, change their password.
    risky_users(&mut s, &by(Action::ConfirmCompromised), RISKY_USER_ACTIONS[0]);
    let revoke = by(Action::RevokeSessions);
    if !revoke.is_empty() {
        let _ = writeln!(
            s,
            "\n# revoke-sessions: {} user(s). Invalidates their refresh tokens and session cookies: every app must sign in again.",
            revoke.len()
        );
        for i in &revoke {
            let _ = writeln!(s, "Revoke-MgUserSignInSession -UserId {} | Out-Null  # {}", user_ref(i), why(i));
        }
    }
    let reset = by(Action::ResetPassword);
    if !reset.is_empty() {
        let _ = writeln!(
            s,
            "\n# reset-password: {} user(s). A random temporary password, to be changed at the next sign-in; hand it over out of band.",
            reset.len()
        );
        for i in &reset {
            let _ = writeln!(s, "# {}", why(i));
            let _ = writeln!(s, "$password = New-LockscopeTemporaryPassword");
            let _ = writeln!(
                s,
                "Update-MgUser -UserId {} -PasswordProfile @{{ ForceChangePasswordNextSignIn = $true; Password = $password }}",
                user_ref(i)
            );
            let _ = writeln!(s, "Write-Host ('temporary password of ' + {} + ': ' + $password)", ps(&i.user));
        }
    }
    risky_users(&mut s, &by(Action::ConfirmSafe), RISKY_USER_ACTIONS[1]);
    risky_users(&mut s, &by(Action::DismissRisk), RISKY_USER_ACTIONS[2]);
    let stale = by(Action::FixStaleCredential);
    if !stale.is_empty() {
        let _ = writeln!(
            s,
            "\n# fix-stale-credential: {} device(s) or app(s) keep trying an old password. Nothing to run:",
            stale.len()
        );
        let _ = writeln!(
            s,
            "# sign the user in again on the device (or remove the account from it), then watch the sign-in log."
        );
        for i in &stale {
            let _ = writeln!(s, "#   {}", why(i));
        }
    }
    s
}

/// One riskyUsers action, in calls of at most [`MAX_USER_IDS`] ids, one id a line with its
/// reason.
fn risky_users(s: &mut String, items: &[&Item], (action, cmdlet, what): (Action, &str, &str)) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n# {action}: {} user(s), {what}.", items.len());
    let calls = items.len().div_ceil(MAX_USER_IDS);
    for (n, chunk) in items.chunks(MAX_USER_IDS).enumerate() {
        if calls > 1 {
            let _ = writeln!(s, "# call {} of {calls} (at most {MAX_USER_IDS} user ids a call)", n + 1);
        }
        let _ = writeln!(s, "{cmdlet} -UserIds @(");
        for i in chunk {
            let _ = writeln!(s, "    {}  # {}", user_id(i), why(i));
        }
        let _ = writeln!(s, ")");
    }
}

/// The user's object id, else the name (both are accepted where a user is a path segment),
/// quoted.
fn user_ref(i: &Item) -> String {
    ps(i.object_id.as_deref().unwrap_or(&i.user))
}

/// The user's object id, quoted; without one, a lookup of it by name (riskyUsers actions take
/// object ids only).
fn user_id(i: &Item) -> String {
    match &i.object_id {
        Some(id) => ps(id),
        None => format!("(Get-MgUser -UserId {} -Property Id).Id", ps(&i.user)),
    }
}

/// Defines the temporary-password generator once, before the first reset.
const PASSWORD_HELPER: &str = "
function New-LockscopeTemporaryPassword {
    # 18 random bytes from the system's cryptographic generator, base64-encoded (24 characters),
    # after one character of each class the default password policy asks for.
    $bytes = [byte[]]::new(18)
    [System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
    'Ls1!' + [Convert]::ToBase64String($bytes)
}
";
