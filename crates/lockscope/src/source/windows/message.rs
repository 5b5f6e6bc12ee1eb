//! Best-effort recovery of the named fields of a Windows event from its rendered (English)
//! `Message` text, for `Get-WinEvent | ConvertTo-Json`, which loses the fields themselves.
//!
//! The message is a list of `Label:<tabs>value` lines grouped under section headers
//! (`Subject:`, `Account For Which Logon Failed:`, `Network Information:` …). The same label
//! means the subject or the target depending on its section, so lines are read with their
//! section and filed under the `EventData` names the XML would carry; [`super::map`] then reads
//! them like any other record. Localised (non-English) messages yield nothing.

use super::Record;

/// The part of the message a line is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Subject,
    Target,
    Other,
}

/// Classifies a section header (without its colon).
fn section_of(header: &str) -> Section {
    match header.trim().to_ascii_lowercase().as_str() {
        "subject" => Section::Subject,
        "new logon"
        | "account for which logon failed"
        | "target account"
        | "new account"
        | "account information"
        | "account whose credentials were used"
        | "account that was locked out" => Section::Target,
        _ => Section::Other,
    }
}

/// The `EventData` names a labelled value is filed under, given its section.
fn names_of(label: &str, section: Section) -> &'static [&'static str] {
    match (label, section) {
        ("security id", Section::Subject) => &["SubjectUserSid"],
        ("account name", Section::Subject) => &["SubjectUserName"],
        ("account domain", Section::Subject) => &["SubjectDomainName"],
        ("security id" | "user id", Section::Target) => &["TargetUserSid", "TargetSid"],
        ("account name", Section::Target) => &["TargetUserName"],
        ("account domain" | "supplied realm name", Section::Target) => &["TargetDomainName"],
        ("logon type", _) => &["LogonType"],
        ("failure reason", _) => &["FailureReason"],
        ("status" | "failure code" | "result code" | "error code", _) => &["Status"],
        ("sub status", _) => &["SubStatus"],
        ("source network address" | "client address" | "network address", _) => &["IpAddress"],
        ("source port" | "client port" | "port", _) => &["IpPort"],
        ("workstation name", _) => &["WorkstationName"],
        ("source workstation", _) => &["Workstation"],
        ("logon account", _) => &["TargetUserName"],
        // 4740 names the caller computer where the XML has `TargetDomainName`.
        ("caller computer name", _) => &["TargetDomainName"],
        ("process name" | "caller process name", _) => &["ProcessName"],
        ("logon process", _) => &["LogonProcessName"],
        ("authentication package", _) => &["AuthenticationPackageName"],
        ("service name", _) => &["ServiceName"],
        ("service file name", _) => &["ImagePath", "ServiceFileName"],
        ("service account", _) => &["AccountName", "ServiceAccount"],
        ("target server name", _) => &["TargetServerName"],
        ("task name", _) => &["TaskName"],
        _ => &[],
    }
}

/// Splits `Label:  value` at the first colon followed by white space or the end of the line
/// (so IPv6 addresses and times in values stay whole).
fn split_label(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let at =
        (0..bytes.len()).find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()))?;
    Some((line[..at].trim(), line[at + 1..].trim()))
}

/// Files the labelled values of a message into `rec` (fields already set win).
pub(super) fn fields_into(_id: u32, message: &str, rec: &mut Record) {
    let mut section = Section::Other;
    let mut lines = message.split('\n').map(|l| l.trim_end_matches('\r'));
    while let Some(line) = lines.next() {
        let Some((label, value)) = split_label(line) else { continue };
        let label = label.to_ascii_lowercase();
        if label == "task content" || label == "task new content" {
            // The task definition is XML spread over the rest of the message.
            let rest: Vec<&str> = std::iter::once(value).chain(lines.by_ref()).collect();
            rec.set("TaskContent", rest.join("\n"));
            break;
        }
        if value.is_empty() {
            section = section_of(&label);
            continue;
        }
        for name in names_of(&label, section) {
            rec.set(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_decide_subject_and_target() {
        let msg = "An account failed to log on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tDC01$\r\n\
                   \tAccount Domain:\t\tCONTOSO\r\n\r\nLogon Type:\t\t\t3\r\n\r\nAccount For Which Logon Failed:\r\n\
                   \tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:\t\tAuditor\r\n\tAccount Domain:\t\tCONTOSO\r\n\r\n\
                   Failure Information:\r\n\tFailure Reason:\t\tUnknown user name or bad password.\r\n\tStatus:\t\t\t0xC000006D\r\n\
                   \tSub Status:\t\t0xC000006A\r\n\r\nNetwork Information:\r\n\tWorkstation Name:\tWIN81\r\n\
                   \tSource Network Address:\t::ffff:10.0.0.5\r\n\tSource Port:\t\t49180";
        let mut rec = Record::default();
        fields_into(4625, msg, &mut rec);
        assert_eq!(rec.get("SubjectUserName"), Some("DC01$"));
        assert_eq!(rec.get("TargetUserName"), Some("Auditor"));
        assert_eq!(rec.get("TargetDomainName"), Some("CONTOSO"));
        assert_eq!(rec.get("Status"), Some("0xC000006D"));
        assert_eq!(rec.get("SubStatus"), Some("0xC000006A"));
        assert_eq!(rec.get("IpAddress"), Some("::ffff:10.0.0.5"));
        assert_eq!(rec.get("LogonType"), Some("3"));
        assert_eq!(rec.get("WorkstationName"), Some("WIN81"));
    }

    #[test]
    fn task_content_takes_the_rest() {
        let msg = "A scheduled task was created.\n\nTask Information:\n\tTask Name: \t\t\\Backup\n\tTask Content: \t\t<?xml version=\"1.0\"?>\n<Task>\n<Principals><Principal><UserId>CONTOSO\\svc</UserId></Principal></Principals>\n</Task>";
        let mut rec = Record::default();
        fields_into(4698, msg, &mut rec);
        assert_eq!(rec.get("TaskName"), Some("\\Backup"));
        assert!(rec.get("TaskContent").is_some_and(|c| c.contains("<UserId>CONTOSO\\svc</UserId>")));
    }
}
