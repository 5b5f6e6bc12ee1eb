//! Generates a data set with a Windows domain and reads its event logs back with `quick-xml`,
//! checking on the way that every record is a well-formed `wevtutil` event.

use lockscope_sim::{Config, Summary};
use quick_xml::Reader;
use quick_xml::events::Event as Xml;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One Windows event as read back.
#[derive(Clone, Debug)]
pub struct Rec {
    /// The file's host part (`DC01`) and channel (`Security`).
    pub file_host: String,
    pub file_channel: String,
    pub id: u32,
    pub version: u32,
    pub task: u32,
    pub keywords: String,
    pub record: u64,
    pub time_text: String,
    pub t: jiff::Timestamp,
    pub computer: String,
    pub channel: String,
    pub provider: String,
    pub data: BTreeMap<String, String>,
}

impl Rec {
    pub fn get(&self, name: &str) -> &str {
        self.data.get(name).map_or("", String::as_str)
    }

    /// `IpAddress` without the IPv4-mapped prefix.
    pub fn ip(&self) -> &str {
        let ip = self.get("IpAddress");
        ip.strip_prefix("::ffff:").unwrap_or(ip)
    }

    /// The NetBIOS name of the logging host.
    pub fn host(&self) -> &str {
        self.computer.split('.').next().unwrap_or_default()
    }
}

pub struct Win {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub summary: Summary,
    pub truth: Value,
    /// Every event, per file in file order, files sorted by name.
    pub events: Vec<Rec>,
    /// `identities.csv` rows: upn, sam, sid, object id.
    pub identities: Vec<[String; 4]>,
}

/// Parses one `<Event>` fragment strictly (end names checked, nothing but one element).
pub fn parse(fragment: &str) -> Result<Rec, String> {
    let mut r = Reader::from_str(fragment);
    r.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut rec = Rec {
        file_host: String::new(),
        file_channel: String::new(),
        id: 0,
        version: 0,
        task: 0,
        keywords: String::new(),
        record: 0,
        time_text: String::new(),
        t: jiff::Timestamp::UNIX_EPOCH,
        computer: String::new(),
        channel: String::new(),
        provider: String::new(),
        data: BTreeMap::new(),
    };
    let mut data_name: Option<String> = None;
    let mut text = String::new();
    let mut roots = 0;
    loop {
        match r.read_event().map_err(|e| format!("at {}: {e}", r.error_position()))? {
            Xml::Start(e) => {
                let name = e.name().as_ref().to_string();
                if stack.is_empty() {
                    roots += 1;
                    let ns = attr(&e, "xmlns")?;
                    if name != "Event" || ns.as_deref() != Some("http://schemas.microsoft.com/win/2004/08/events/event")
                    {
                        return Err(format!("root {name} {ns:?}"));
                    }
                }
                if name == "Data" {
                    data_name = attr(&e, "Name")?;
                }
                text.clear();
                stack.push(name);
            }
            Xml::Empty(e) => {
                let name = e.name().as_ref().to_string();
                match name.as_str() {
                    "Provider" => rec.provider = attr(&e, "Name")?.unwrap_or_default(),
                    "TimeCreated" => rec.time_text = attr(&e, "SystemTime")?.unwrap_or_default(),
                    "Data" => {
                        let n = attr(&e, "Name")?.ok_or("Data without Name")?;
                        rec.data.insert(n, String::new());
                    }
                    _ => {}
                }
            }
            Xml::Text(t) => text.push_str(&t.xml10_content()),
            Xml::GeneralRef(g) => match g.resolve_char_ref().map_err(|e| e.to_string())? {
                Some(c) => text.push(c),
                None => {
                    let s = quick_xml::escape::resolve_predefined_entity(&g).ok_or("unknown entity")?;
                    text.push_str(s);
                }
            },
            Xml::End(e) => {
                let name = e.name().as_ref().to_string();
                stack.pop();
                let value = std::mem::take(&mut text);
                let num = |v: &str| v.trim().parse::<u64>().map_err(|_| format!("{name}: {v:?}"));
                match name.as_str() {
                    "EventID" => rec.id = num(&value)? as u32,
                    "Version" => rec.version = num(&value)? as u32,
                    "Task" => rec.task = num(&value)? as u32,
                    "Keywords" => rec.keywords = value,
                    "EventRecordID" => rec.record = num(&value)?,
                    "Computer" => rec.computer = value,
                    "Channel" => rec.channel = value,
                    "Data" => {
                        rec.data.insert(data_name.take().ok_or("Data without Name")?, value);
                    }
                    _ => {}
                }
            }
            Xml::Decl(_) => return Err("XML declaration".into()),
            Xml::Eof => break,
            _ => {}
        }
    }
    if roots != 1 || !stack.is_empty() {
        return Err(format!("{roots} roots, {} open", stack.len()));
    }
    rec.t = rec.time_text.parse().map_err(|e| format!("time {:?}: {e}", rec.time_text))?;
    Ok(rec)
}

fn attr(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.as_ref() == key {
            return Ok(Some(a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| e.to_string())?.into()));
        }
    }
    Ok(None)
}

/// Reads one log file: events separated by CRLF, each parsed strictly.
pub fn read_log(path: &Path) -> Vec<Rec> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    let (host, channel) = name.trim_end_matches(".xml").rsplit_once('-').expect("HOST-Channel.xml");
    assert!(!text.starts_with("<?xml"), "{name}: no declaration");
    let mut out = Vec::new();
    for (i, fragment) in text.split_inclusive("</Event>\r\n").enumerate() {
        assert!(fragment.starts_with("<Event xmlns='") && fragment.ends_with("</Event>\r\n"), "{name} #{i}");
        let mut rec = parse(fragment.trim_end()).unwrap_or_else(|e| panic!("{name} #{i}: {e}\n{fragment}"));
        rec.file_host = host.to_string();
        rec.file_channel = channel.to_string();
        out.push(rec);
    }
    out
}

pub fn generate(cfg: &Config) -> Win {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let summary = lockscope_sim::generate(cfg, &path).expect("generate");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(path.join("windows")).expect("windows dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let events = files.iter().flat_map(|f| read_log(f)).collect();
    let truth = serde_json::from_str(&std::fs::read_to_string(path.join("truth.json")).expect("truth")).expect("json");
    let mut csv = csv::Reader::from_path(path.join("identities.csv")).expect("identities");
    let header: Vec<String> = csv.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(header, ["userPrincipalName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "id"]);
    let identities = csv
        .records()
        .map(|r| {
            let r = r.expect("row");
            [0, 1, 2, 3].map(|i| r.get(i).expect("cell").to_string())
        })
        .collect();
    Win { _dir: dir, path, summary, truth, events, identities }
}

impl Win {
    pub fn affected(&self) -> &[Value] {
        self.truth["affected"].as_array().map(Vec::as_slice).unwrap_or_default()
    }

    pub fn rows(&self, root_cause: &str) -> Vec<&Value> {
        self.affected().iter().filter(|r| r["root_cause"] == root_cause).collect()
    }

    /// The sAMAccountName of a UPN.
    pub fn sam(&self, upn: &str) -> &str {
        self.identities.iter().find(|r| r[0] == upn).map_or("", |r| r[1].as_str())
    }

    /// Events with this id whose `TargetUserName` is `sam`, in time order.
    pub fn of(&self, id: u32, sam: &str) -> Vec<&Rec> {
        let mut v: Vec<&Rec> = self.events.iter().filter(|e| e.id == id && e.get("TargetUserName") == sam).collect();
        v.sort_by_key(|e| e.t);
        v
    }

    /// The address a person's workstation has: where most of their TGTs come from.
    pub fn usual_ip(&self, sam: &str) -> String {
        let mut counts = BTreeMap::<&str, usize>::new();
        for e in self.of(4768, sam).into_iter().filter(|e| e.get("Status") == "0x0") {
            *counts.entry(e.ip()).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(ip, _)| ip.to_string()).unwrap_or_default()
    }
}
