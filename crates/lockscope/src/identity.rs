//! Identity resolution: which names and ids in the logs are the same person.
//!
//! Entra records name a user by UPN (case varies between exports), object id, or both; risky-user
//! rows carry only the object id; some sign-in categories put a GUID where the UPN belongs. Every
//! record that names both a UPN and an id links them, and an optional mapping file adds links the
//! logs cannot show (UPN ⇄ sAMAccountName ⇄ `DOMAIN\user` ⇄ Linux user). Linked names form one
//! identity, named by its UPN when one is known.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use crate::event::{Event, Principal};

/// An index into [`Resolver::identities`].
pub type UserId = usize;

/// One resolved person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The name shown in outputs: the smallest UPN (an `@` name), else the smallest name, else the
    /// object id.
    pub user: String,
    /// Every other name and id this identity was seen under, sorted.
    pub aliases: Vec<String>,
    /// The directory object id, when known.
    pub object_id: Option<String>,
}

/// Maps every name and id seen to one identity.
#[derive(Debug, Default)]
pub struct Resolver {
    /// Union-find parent of each key index.
    parent: Vec<usize>,
    keys: BTreeMap<String, usize>,
    /// Resolved identities, after [`Resolver::finish`].
    identities: Vec<Identity>,
    key_to_user: BTreeMap<String, UserId>,
}

/// A problem in the identity mapping file.
#[derive(Debug, thiserror::Error)]
#[error("identity mapping: line {line}: {reason}")]
pub struct MappingError {
    /// 1-based line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Normalises a name or id for matching: trimmed and lowercased; `DOMAIN\user` kept whole.
pub fn normalise(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Resolver {
    /// An empty resolver.
    pub fn new() -> Self {
        Self::default()
    }

    fn key(&mut self, k: &str) -> usize {
        let k = normalise(k);
        if let Some(&i) = self.keys.get(&k) {
            return i;
        }
        let i = self.parent.len();
        self.parent.push(i);
        self.keys.insert(k, i);
        i
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller root wins so the result does not depend on insertion order.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }

    /// Records the names of one principal, linking them.
    pub fn observe(&mut self, p: &Principal) {
        let ids: Vec<usize> = [&p.name, &p.id].into_iter().flatten().map(|k| self.key(k)).collect();
        if let [a, b] = ids[..] {
            self.union(a, b);
        }
    }

    /// Links names given together (a row of the mapping file).
    pub fn link(&mut self, names: &[&str]) {
        let ids: Vec<usize> = names.iter().filter(|n| !n.trim().is_empty()).map(|n| self.key(n)).collect();
        for w in ids.windows(2) {
            self.union(w[0], w[1]);
        }
    }

    /// Reads a mapping CSV: each row lists names of one person (UPN, object id, sAMAccountName,
    /// `DOMAIN\user`, Linux user…), in any columns; a header row is allowed.
    pub fn load_mapping(&mut self, reader: impl Read) -> Result<usize, MappingError> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
        let mut rows = 0;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| MappingError { line: i as u64 + 1, reason: e.to_string() })?;
            let names: Vec<&str> = rec.iter().collect();
            if i == 0
                && names.iter().any(|n| {
                    matches!(
                        normalise(n).as_str(),
                        "upn" | "userprincipalname" | "object_id" | "objectid" | "sam" | "samaccountname"
                    )
                })
            {
                continue;
            }
            self.link(&names);
            rows += 1;
        }
        Ok(rows)
    }

    /// Links the names one Windows account goes by across sources: `DOMAIN\sam` with a bare
    /// `sam` seen elsewhere (a Linux or mapping-file name) when only one domain has that
    /// sAMAccountName, and with `sam@domain.tld` when the UPN's first domain label is the NetBIOS
    /// domain. Machine accounts (`HOST$`) are left alone.
    fn link_windows_names(&mut self) {
        let keys: Vec<String> = self.keys.keys().cloned().collect();
        let mut domains_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for k in &keys {
            if let Some((dom, sam)) = k.split_once('\\')
                && !sam.is_empty()
                && !sam.ends_with('$')
            {
                domains_of.entry(sam.to_string()).or_default().push(dom.to_string());
            }
        }
        for (sam, domains) in &domains_of {
            if domains.len() == 1 && self.keys.contains_key(sam) {
                let (a, b) = (self.keys[sam], self.keys[&format!("{}\\{sam}", domains[0])]);
                self.union(a, b);
            }
            for dom in domains {
                let windows = self.keys[&format!("{dom}\\{sam}")];
                let upns: Vec<usize> = keys
                    .iter()
                    .filter_map(|k| {
                        let (local, upn_domain) = k.split_once('@')?;
                        let first = upn_domain.split('.').next()?;
                        (local == sam && first == dom).then(|| self.keys[k])
                    })
                    .collect();
                for upn in upns {
                    self.union(windows, upn);
                }
            }
        }
    }

    /// Builds the identities from everything observed. Call once, after all observations.
    pub fn finish(&mut self) {
        self.link_windows_names();
        let keys: Vec<(String, usize)> = self.keys.iter().map(|(k, &i)| (k.clone(), i)).collect();
        let mut groups: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for (k, i) in &keys {
            let root = self.find(*i);
            groups.entry(root).or_default().insert(k.clone());
        }
        // Order identities by their display name so ids are stable across runs.
        let mut built: Vec<(Identity, BTreeSet<String>)> = groups
            .into_values()
            .map(|names| {
                let upn = names.iter().find(|n| n.contains('@') && !is_guid(n)).cloned();
                let object_id = names.iter().find(|n| is_guid(n)).cloned();
                let plain = names.iter().find(|n| !is_guid(n) && !is_sid(n)).cloned();
                let user = upn.or(plain).or_else(|| object_id.clone()).unwrap_or_default();
                let aliases = names.iter().filter(|n| **n != user).cloned().collect();
                (Identity { user, aliases, object_id }, names)
            })
            .collect();
        built.sort_by(|a, b| a.0.user.cmp(&b.0.user));
        self.identities.clear();
        self.key_to_user.clear();
        for (uid, (identity, names)) in built.into_iter().enumerate() {
            for n in names {
                self.key_to_user.insert(n, uid);
            }
            self.identities.push(identity);
        }
    }

    /// The identity of a principal, after [`Resolver::finish`].
    pub fn resolve(&self, p: &Principal) -> Option<UserId> {
        [&p.name, &p.id].into_iter().flatten().find_map(|k| self.key_to_user.get(&normalise(k)).copied())
    }

    /// The identity a single name or id belongs to.
    pub fn lookup(&self, name: &str) -> Option<UserId> {
        self.key_to_user.get(&normalise(name)).copied()
    }

    /// All identities, indexed by [`UserId`].
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// Resolves every event's user; returns, per event, its user id (or `None`).
    pub fn resolve_all(events: &[Event], mapping: Option<&mut Resolver>) -> (Resolver, Vec<Option<UserId>>) {
        let mut r = match mapping {
            Some(m) => std::mem::take(m),
            None => Resolver::new(),
        };
        for e in events {
            if let Some(p) = &e.user {
                r.observe(p);
            }
        }
        r.finish();
        let ids = events.iter().map(|e| e.user.as_ref().and_then(|p| r.resolve(p))).collect();
        (r, ids)
    }
}

/// Whether `s` is a Windows security identifier (`S-1-5-21-…`), compared lowercased.
pub fn is_sid(s: &str) -> bool {
    // Bytes, not `str` slices: byte 4 of a name that starts with non-ASCII letters (`山田太郎`) is
    // inside a character.
    let b = s.as_bytes();
    b.len() > 4 && b[..4].eq_ignore_ascii_case(b"s-1-") && b[4..].iter().all(|c| c.is_ascii_digit() || *c == b'-')
}

/// Whether `s` is a GUID in text form.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: Option<&str>, id: Option<&str>) -> Principal {
        Principal { name: name.map(str::to_lowercase), id: id.map(str::to_string), display: None }
    }

    #[test]
    fn upn_and_object_id_join_case_insensitively() {
        let oid = "11033cf6-328f-4a1a-b66d-82807b0f2acb";
        let mut r = Resolver::new();
        r.observe(&p(Some("Ana.Silva@contoso.com"), None));
        r.observe(&p(None, Some(oid)));
        r.observe(&p(Some("ana.silva@contoso.com"), Some(oid)));
        r.observe(&p(Some("bob@contoso.com"), None));
        r.link(&["ana.silva@contoso.com", "CONTOSO\\asilva", "asilva"]);
        r.finish();
        let ids = r.identities();
        assert_eq!(ids.len(), 2);
        let ana = r.lookup(oid).expect("resolved");
        assert_eq!(ids[ana].user, "ana.silva@contoso.com");
        assert_eq!(ids[ana].aliases, vec![oid.to_string(), "asilva".into(), "contoso\\asilva".into()]);
        assert_eq!(ids[ana].object_id.as_deref(), Some(oid));
        assert_eq!(r.lookup("ANA.SILVA@CONTOSO.COM"), Some(ana));
    }

    #[test]
    fn windows_names_join_bare_and_upn_forms() {
        let mut r = Resolver::new();
        r.observe(&p(Some("contoso\\asilva"), Some("S-1-5-21-1-2-3-1104")));
        r.observe(&p(Some("asilva"), None));
        r.observe(&p(Some("asilva@contoso.com"), Some("11033cf6-328f-4a1a-b66d-82807b0f2acb")));
        r.observe(&p(Some("contoso\\ws01$"), None));
        r.observe(&p(Some("ws01$"), None));
        // Two domains with the same sAMAccountName: a bare name is ambiguous and stays apart.
        r.observe(&p(Some("contoso\\bob"), None));
        r.observe(&p(Some("fabrikam\\bob"), None));
        r.observe(&p(Some("bob"), None));
        r.finish();
        let ana = r.lookup("asilva").expect("known");
        assert_eq!(r.lookup("contoso\\asilva"), Some(ana));
        assert_eq!(r.lookup("S-1-5-21-1-2-3-1104"), Some(ana));
        assert_eq!(r.lookup("asilva@contoso.com"), Some(ana));
        assert_eq!(r.identities()[ana].user, "asilva@contoso.com");
        assert_ne!(r.lookup("ws01$"), r.lookup("contoso\\ws01$"));
        assert_ne!(r.lookup("bob"), r.lookup("contoso\\bob"));
        assert_ne!(r.lookup("contoso\\bob"), r.lookup("fabrikam\\bob"));
    }

    #[test]
    fn mapping_file_with_header() {
        let mut r = Resolver::new();
        let n = r.load_mapping("upn,sam,domain\nana@contoso.com,asilva,CONTOSO\\asilva\n".as_bytes()).expect("mapping");
        assert_eq!(n, 1);
        r.finish();
        assert_eq!(r.lookup("asilva"), r.lookup("contoso\\asilva"));
    }
}
