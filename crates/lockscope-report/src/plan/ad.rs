//! `plan-ad.ps1`: the Active Directory items as ActiveDirectory-module PowerShell.

use std::fmt::Write as _;

use lockscope::Action;
use lockscope::plan::{Item, Plan, Target};

use super::quote::ps;
use super::{header, is_mass, why};

/// Renders the script.
pub fn render(plan: &Plan) -> String {
    let items: Vec<&Item> = plan.items.iter().filter(|i| i.target == Target::Ad).collect();
    let mut s = header(plan, "Active Directory (ActiveDirectory PowerShell module)", items.len());
    let _ = writeln!(s, "#Requires -Modules ActiveDirectory");
    if is_mass(plan, &items) {
        let _ = writeln!(
            s,
            "param(\n    # This script acts on many accounts at once (see the warning above): say so to run it.\n    [switch]$ConfirmMassAction\n)"
        );
        let _ = writeln!(
            s,
            "if (-not $ConfirmMassAction) {{ throw 'lockscope: this plan looks like a mass event; review it, then run it again with -ConfirmMassAction' }}"
        );
    }
    let _ = writeln!(s, "$ErrorActionPreference = 'Stop'");
    let by = |a: Action| -> Vec<&Item> { items.iter().copied().filter(|i| i.action == a).collect() };
    let stale = by(Action::FixStaleCredential);
    if !stale.is_empty() {
        let _ = writeln!(
            s,
            "\n# fix-stale-credential: {} account(s). Do this FIRST: unlocking an account whose old password is still",
            stale.len()
        );
        let _ = writeln!(
            s,
            "# stored somewhere only locks it again. On the host named, look at the services and scheduled"
        );
        let _ = writeln!(
            s,
            "# tasks that run as the account, mapped drives, Credential Manager, IIS application pools and phones."
        );
        for i in &stale {
            let _ = writeln!(s, "#   {}", why(i));
        }
    }
    let reset = by(Action::ResetPassword);
    if !reset.is_empty() {
        let _ = writeln!(
            s,
            "\n# reset-password: {} account(s) someone else used. Prompts for each new password.",
            reset.len()
        );
        for i in &reset {
            let _ = writeln!(s, "# {}", why(i));
            let id = identity(i, &mut s);
            let _ = writeln!(
                s,
                "Set-ADAccountPassword -Identity {id} -Reset -NewPassword (Read-Host -AsSecureString -Prompt ('new password for ' + {}))",
                ps(&i.user)
            );
            let _ = writeln!(s, "Set-ADUser -Identity {id} -ChangePasswordAtLogon $true");
        }
    }
    let unlock = by(Action::UnlockAd);
    if !unlock.is_empty() {
        let _ = writeln!(
            s,
            "\n# unlock-ad: {} account(s) still locked out. Stop the source of the bad passwords first.",
            unlock.len()
        );
        for i in &unlock {
            let _ = writeln!(s, "# {}", why(i));
            let id = identity(i, &mut s);
            let _ = writeln!(s, "Unlock-ADAccount -Identity {id}");
        }
    }
    if items.is_empty() {
        let _ = writeln!(s, "\n# Nothing to run in Active Directory.");
    }
    s
}

/// The `-Identity` of an account: the sAMAccountName of `DOMAIN\sam` (or a bare name), quoted;
/// for a UPN, the account found by its `userPrincipalName` (a filter that reads the value from a
/// variable, so the name is never parsed as filter syntax), written to `$account` first.
fn identity(i: &Item, s: &mut String) -> String {
    let user = i.user.as_str();
    if let Some((_, sam)) = user.rsplit_once('\\') {
        return ps(sam);
    }
    if user.contains('@') {
        let _ = writeln!(s, "$upn = {}", ps(user));
        let _ = writeln!(s, "$account = Get-ADUser -Filter 'UserPrincipalName -eq $upn'");
        return "$account".to_string();
    }
    ps(user)
}
