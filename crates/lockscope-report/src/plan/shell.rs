//! `plan.sh`: the Linux items as POSIX shell, one `ssh HOST sudo …` line per action, grouped by
//! host.
//!
//! `ssh` hands its command to the remote shell as one string, which that shell parses again, so
//! the remote command is quoted twice: each argument for the remote shell, then the whole command
//! for the local one. A host whose name is not a plain host name is never connected to.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lockscope::Action;
use lockscope::plan::{Item, Plan, Target};

use super::quote::{comment, is_plain_host, sh};
use super::{header, is_mass, why};

/// Renders the script.
pub fn render(plan: &Plan) -> String {
    let items: Vec<&Item> = plan.items.iter().filter(|i| i.target == Target::Linux).collect();
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(&header(plan, "Linux hosts (pam_faillock, ssh and sudo)", items.len()));
    let _ = writeln!(s, "set -eu");
    if is_mass(plan, &items) {
        let _ = writeln!(
            s,
            "[ \"${{1-}}\" = --confirm-mass-action ] || {{ echo 'lockscope: this plan looks like a mass event; review it, then run it again with --confirm-mass-action' >&2; exit 1; }}"
        );
    }
    let mut by_host: BTreeMap<Option<&str>, Vec<&Item>> = BTreeMap::new();
    for i in &items {
        by_host.entry(i.host.as_deref()).or_default().push(i);
    }
    for (host, list) in &by_host {
        match host {
            Some(h) => {
                let _ = writeln!(s, "\n# ---- {}", comment(h));
            }
            None => {
                let _ = writeln!(s, "\n# ---- host not known: run these on the host concerned");
            }
        }
        // Fix the source before clearing the lock, or it locks again.
        let order = [Action::FixStaleCredential, Action::ResetPassword, Action::ResetFaillock];
        for action in order {
            for i in list.iter().filter(|i| i.action == action) {
                line(&mut s, i);
            }
        }
    }
    if items.is_empty() {
        let _ = writeln!(s, "\n# Nothing to run on Linux hosts.");
    }
    s
}

/// One item: its reason, then the command (commented out when it cannot be run as it is).
fn line(s: &mut String, i: &Item) {
    let _ = writeln!(s, "# {}: {}", i.action, why(i));
    let remote = match i.action {
        Action::ResetFaillock => format!("sudo faillock --user {} --reset", sh(&i.user)),
        Action::ResetPassword => format!("sudo passwd -- {}", sh(&i.user)),
        Action::FixStaleCredential => {
            let _ = writeln!(
                s,
                "#   nothing to run: update or remove the old password stored there (cron jobs, scripts, .netrc, CI secrets)"
            );
            return;
        }
        _ => return,
    };
    let tty = if i.action == Action::ResetPassword { "-t " } else { "" };
    match i.host.as_deref() {
        Some(h) if is_plain_host(h) => {
            let _ = writeln!(s, "ssh {tty}-- {} {}", sh(h), sh(&remote));
        }
        Some(h) => {
            let _ = writeln!(
                s,
                "#   the host name {} is not a plain host name: check it, then run there:",
                comment(&sh(h))
            );
            let _ = writeln!(s, "#   {}", comment(&remote));
        }
        None => {
            let _ = writeln!(s, "#   {}", comment(&remote));
        }
    }
}
