//! The namespaces a bulk run touches: a bounded cache of open namespaces with their
//! netlink sockets, and a small record per namespace that outlives its cache entry.

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::plan::Namespace;
use crate::resolve::resolve;
use koko_netlink::link::{self, LinkInfo};
use koko_netlink::Socket;
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Most namespaces kept open at once. Each costs two descriptors (the namespace and its
/// socket) and the socket's 64 KiB receive buffer, so a run over thousands of namespaces
/// stays small. Lines that alternate between more namespaces than this reopen them.
const MAX_OPEN: usize = 4;

/// Identity of a namespace: the device and inode of its nsfs file. Two designators (a
/// name and a path, say) that reach one namespace share one record.
pub type NsId = (u64, u64);

/// Record of a bulk run's work in one namespace, kept until the end of the run.
#[derive(Debug)]
pub struct NsRecord {
    /// Designator to reopen the namespace with once its cache entry is gone.
    pub designator: Namespace,
    /// Interface group of the links this run created here; unused by other links.
    pub create_group: u32,
    /// Interface group of the links that delete lines named; unused by other links.
    pub delete_group: u32,
    /// Interface index for the next link this run creates here.
    pub next_index: i32,
    /// Whether koko picks the indexes of new links here; false once a picked index was
    /// taken by a link that another program created.
    pub pick_indexes: bool,
    /// Whether links in `create_group` may exist.
    pub created: bool,
    /// Links this run created here and has not yet returned to group 0.
    pub created_links: u64,
    /// Whether links in `delete_group` may exist.
    pub pending_delete: bool,
    /// Whether IPv6 addresses were added here that still go through duplicate address
    /// detection.
    pub needs_dad: bool,
    /// `net.ipv6.conf.default.disable_ipv6` is 1 here, so new links need IPv6 switched on
    /// before they take IPv6 addresses. `None` until a line adds an IPv6 address here.
    pub ipv6_off_by_default: Option<bool>,
    /// With `--atomic`, the links moved to `delete_group` whose group was not 0, with that
    /// group, so that a failure can put them back. Links in group 0 need no entry.
    pub moved: Vec<(i32, u32)>,
}

struct OpenNs {
    designator: Namespace,
    id: NsId,
    netns: Netns,
    socket: Socket,
}

/// Open namespaces (least recently used first) and the records of all touched ones.
pub struct Namespaces {
    open: Vec<OpenNs>,
    /// Records in the order their namespaces were first touched, for a stable order at
    /// the end. A vector and an index take less memory than a map of whole records, which
    /// matters with thousands of namespaces.
    records: Vec<(NsId, NsRecord)>,
    positions: HashMap<NsId, usize>,
}

fn ns_id(netns: &Netns) -> Result<NsId> {
    // SAFETY: stat is plain data, so all-zero is a valid value; fstat fills it.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the descriptor is open for the life of `netns`, and `stat` is a live struct.
    if unsafe { libc::fstat(netns.fd().as_raw_fd(), &mut stat) } != 0 {
        let error = std::io::Error::last_os_error();
        return Err(Error::io(format_args!("stat {netns}"), &error));
    }
    Ok((stat.st_dev as u64, stat.st_ino as u64))
}

/// First group at or after `start` that is not 0 and not in `used`.
fn unused_group(start: u32, used: &[u32]) -> u32 {
    let mut group = start.max(1);
    while used.contains(&group) {
        group = group.checked_add(1).unwrap_or(1);
    }
    group
}

/// Lists every link of the namespace behind `socket`, retrying a dump that changed while
/// it was read.
pub fn dump_links(
    socket: &mut Socket,
    netns: &Netns,
    mut on_link: impl FnMut(&LinkInfo),
) -> Result<()> {
    for _ in 0..5 {
        let mut request = link::dump();
        let mut seen = Vec::new();
        let outcome = socket.dump(&mut request, |message| {
            if message.header.kind == link::RTM_NEWLINK {
                if let Some(info) = LinkInfo::parse(message) {
                    seen.push(info);
                }
            }
            Ok(())
        });
        match outcome {
            Ok(()) => {
                seen.iter().for_each(&mut on_link);
                return Ok(());
            }
            Err(koko_netlink::Error::DumpInterrupted) => continue,
            Err(error) => {
                return Err(Error::netlink(format_args!("list the links in {netns}"), &error))
            }
        }
    }
    Err(Error::new(format!(
        "failed to list the links in {netns}: the list kept changing while it was read"
    )))
}

impl Namespaces {
    pub fn new() -> Namespaces {
        Namespaces { open: Vec::new(), records: Vec::new(), positions: HashMap::new() }
    }

    /// Opens `designator` (or finds it open) and returns its identity. The first time a
    /// namespace is seen, its links are listed to pick unused groups and indexes.
    pub fn open(&mut self, designator: &Namespace, wait: Option<Duration>) -> Result<NsId> {
        let cached = self.open.iter().position(|entry| &entry.designator == designator);
        let mut entry = match cached {
            Some(position) => self.open.remove(position),
            None => {
                let netns = resolve(designator, wait)?;
                let id = ns_id(&netns)?;
                let socket = netns.socket()?;
                if self.open.len() >= MAX_OPEN {
                    self.open.remove(0);
                }
                OpenNs { designator: designator.clone(), id, netns, socket }
            }
        };
        let id = entry.id;
        if !self.positions.contains_key(&id) {
            let record = first_record(designator, &entry.netns, &mut entry.socket);
            match record {
                Ok(record) => {
                    self.positions.insert(id, self.records.len());
                    self.records.push((id, record));
                }
                Err(error) => {
                    self.open.push(entry);
                    return Err(error);
                }
            }
        }
        self.open.push(entry);
        Ok(id)
    }

    /// Number of namespaces with a record.
    pub fn recorded(&self) -> usize {
        self.records.len()
    }

    /// Drops every record, after [`super::finish::finish`] left nothing pending in any of
    /// them. A namespace used again gets a new record, with its links listed again.
    pub fn forget(&mut self) {
        self.records.clear();
        self.positions.clear();
    }

    /// Reopens a touched namespace by its recorded designator, without waiting.
    pub fn reopen(&mut self, id: NsId) -> Result<()> {
        if self.open.iter().any(|entry| entry.id == id) {
            return Ok(());
        }
        let designator = self.record(id).designator.clone();
        let reopened = self.open(&designator, None)?;
        if reopened != id {
            return Err(Error::new(format!(
                "{designator} is no longer the namespace koko changed earlier in this run"
            )));
        }
        Ok(())
    }

    fn entry(&mut self, id: NsId) -> &mut OpenNs {
        self.open
            .iter_mut()
            .find(|entry| entry.id == id)
            .expect("callers open a namespace before they use it")
    }

    pub fn socket(&mut self, id: NsId) -> &mut Socket {
        &mut self.entry(id).socket
    }

    pub fn netns(&mut self, id: NsId) -> &Netns {
        &self.entry(id).netns
    }

    /// Returns the socket and namespace of `id` together, for calls that need both.
    pub fn socket_and_netns(&mut self, id: NsId) -> (&mut Socket, &Netns) {
        let entry = self.entry(id);
        (&mut entry.socket, &entry.netns)
    }

    pub fn record(&mut self, id: NsId) -> &mut NsRecord {
        let position = *self.positions.get(&id).expect("every opened namespace has a record");
        &mut self.records[position].1
    }

    pub fn any_pending_delete(&self) -> bool {
        self.records.iter().any(|(_, record)| record.pending_delete)
    }

    /// Identities of every touched namespace, in the order they were first opened.
    pub fn touched(&self) -> Vec<NsId> {
        self.records.iter().map(|(id, _)| *id).collect()
    }
}

/// Builds the record of a namespace seen for the first time: two groups that no link
/// uses yet, and the index after the highest one in use.
fn first_record(designator: &Namespace, netns: &Netns, socket: &mut Socket) -> Result<NsRecord> {
    let mut groups = Vec::new();
    let mut max_index = 0;
    dump_links(socket, netns, |info| {
        max_index = max_index.max(info.index);
        if let Some(group) = info.group.filter(|&group| group != 0) {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    })?;
    // Starting from the process id keeps two bulk runs at once in one namespace apart in
    // the common case. The dump above rules out groups that links already use.
    // NOTE: a link that another program moves into one of these groups during the run
    // would be brought up, regrouped or deleted with koko's own links.
    let start = 0x4b4b_0000 | (std::process::id() & 0x7fff) << 1;
    let create_group = unused_group(start, &groups);
    groups.push(create_group);
    let delete_group = unused_group(create_group, &groups);
    Ok(NsRecord {
        designator: designator.clone(),
        create_group,
        delete_group,
        next_index: max_index.saturating_add(1),
        pick_indexes: true,
        created: false,
        created_links: 0,
        pending_delete: false,
        needs_dad: false,
        ipv6_off_by_default: None,
        moved: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::unused_group;

    #[test]
    fn unused_group_skips_used_and_zero() {
        assert_eq!(unused_group(5, &[]), 5);
        assert_eq!(unused_group(5, &[5, 6]), 7);
        assert_eq!(unused_group(0, &[1]), 2);
        assert_eq!(unused_group(u32::MAX, &[u32::MAX]), 1);
    }
}
