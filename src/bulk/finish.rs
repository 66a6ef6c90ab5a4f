//! The end of a bulk run, once per touched namespace: delete the links that delete lines
//! named, bring the created links up and return them to group 0, or, for `--atomic`,
//! undo everything.

use super::namespaces::{dump_links, Namespaces, NsId};
use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::ops::address::{dad_timeout, DAD_POLL_INTERVAL};
use crate::ops::mirror::{self, MirrorFilter};
use koko_netlink::addr::{self, AddressInfo, IFA_F_DADFAILED, IFA_F_TENTATIVE};
use koko_netlink::link::{self, LinkInfo, LinkRef, IFF_UP};
use koko_netlink::{MessageBuilder, Socket};
use std::thread;
use std::time::{Duration, Instant};

/// `RT_SCOPE_UNIVERSE`: the scope of the addresses that lines add (link-local ones have
/// `RT_SCOPE_LINK`).
const SCOPE_UNIVERSE: u8 = 0;

/// Failures of several namespaces folded into one error: the first, and how many more.
#[derive(Default)]
struct Failures {
    first: Option<Error>,
    more: usize,
}

impl Failures {
    fn add(&mut self, error: Error) {
        if self.first.is_none() {
            self.first = Some(error);
        } else {
            self.more += 1;
        }
    }

    fn into_result(self) -> Result<()> {
        match self.first {
            None => Ok(()),
            Some(error) if self.more == 0 => Err(error),
            Some(error) => {
                Err(error
                    .with_note(format_args!("{} more namespaces failed the same step", self.more)))
            }
        }
    }
}

/// Sends a group request; a group with no links left (`ENODEV`) is no error, because a
/// veth peer goes away with its other end.
fn request_group(
    socket: &mut Socket,
    request: Result<MessageBuilder, koko_netlink::EncodeError>,
) -> Result<(), koko_netlink::Error> {
    let mut request = request?;
    match socket.request(&mut request) {
        Err(error) if error.errno() == Some(libc::ENODEV) => Ok(()),
        outcome => outcome,
    }
}

/// Finds koko's mirror filters in namespace `id` that target a link for which `doomed`
/// holds, or a veth peer of one in the same namespace, or a link that is gone. Call it
/// before deleting those links: a filter shows its target's index only while it exists.
/// A namespace without any hook qdisc costs one qdisc dump.
fn mirrors_to(
    spaces: &mut Namespaces,
    id: NsId,
    doomed: impl Fn(&LinkInfo) -> bool,
) -> Result<Vec<MirrorFilter>> {
    let (socket, netns) = spaces.socket_and_netns(id);
    if !mirror::any_hook_qdisc(netns, socket)? {
        return Ok(Vec::new());
    }
    let mut targets = Vec::new();
    dump_links(socket, netns, |info| {
        if doomed(info) {
            targets.push(info.index);
            let local_peer = match (info.kind.as_deref(), info.link, info.link_netnsid) {
                (Some("veth"), Some(peer), None) => i32::try_from(peer).ok(),
                _ => None,
            };
            targets.extend(local_peer);
        }
    })?;
    targets.sort_unstable();
    mirror::find_mirrors_to_any(netns, socket, &targets)
}

/// Removes the mirror filters that [`mirrors_to`] found, after their targets went.
fn remove_mirrors(spaces: &mut Namespaces, id: NsId, filters: &[MirrorFilter]) -> Result<()> {
    if filters.is_empty() {
        return Ok(());
    }
    let (socket, netns) = spaces.socket_and_netns(id);
    mirror::remove_filters(netns, socket, filters)
        .map_err(|error| error.with_note("the links they mirrored to were deleted"))
}

/// Deletes the delete group of every namespace that has one, each with one request that
/// the kernel tears down in one batch.
pub fn flush_deletes(spaces: &mut Namespaces) -> Result<()> {
    let mut failures = Failures::default();
    for id in spaces.touched() {
        if !spaces.record(id).pending_delete {
            continue;
        }
        if let Err(error) = spaces.reopen(id) {
            failures.add(error);
            continue;
        }
        let group = spaces.record(id).delete_group;
        let mirrors = match mirrors_to(spaces, id, |info| info.group == Some(group)) {
            Ok(mirrors) => mirrors,
            Err(error) => {
                failures.add(error);
                continue;
            }
        };
        let (socket, netns) = spaces.socket_and_netns(id);
        match request_group(socket, link::delete_group(group)) {
            Ok(()) => {
                let record = spaces.record(id);
                record.pending_delete = false;
                record.moved.clear();
                if let Err(error) = remove_mirrors(spaces, id, &mirrors) {
                    failures.add(error);
                }
            }
            Err(error) => failures.add(Error::netlink(
                format_args!("delete the links marked for deletion in {netns}"),
                &error,
            )),
        }
    }
    failures.into_result()
}

/// Links of each namespace that the end phase returned to group 0, kept by `--atomic`
/// runs so that a late failure can remove them. The only record that grows with the
/// number of links, and only in `--atomic` runs.
pub type Regrouped = Vec<(NsId, Vec<(i32, String)>)>;

/// Finishes a run: in every namespace the created links come up, return to group 0 and
/// pass duplicate address detection, and pending deletes go.
///
/// A link whose address failed duplicate address detection, or did not finish it in time,
/// is removed again with its veth peer, and `removed` counts those links. When
/// `regrouped` is given (`--atomic`), it gets every created link before the link leaves
/// its group, and deletes go only after everything else worked, so that the caller can
/// undo the run on an error.
pub fn finish(
    spaces: &mut Namespaces,
    mut regrouped: Option<&mut Regrouped>,
    removed: &mut u64,
) -> Result<()> {
    let mut failures = Failures::default();
    if regrouped.is_none() {
        if let Err(error) = flush_deletes(spaces) {
            failures.add(error);
        }
    }

    // Changing an up link that has a carrier makes the kernel walk the namespace's IPv6
    // routes (seen with perf on Linux 6.18), and the table grows with every link that
    // gets a carrier. A veth end has no carrier while its peer is down. So the namespace
    // with the most new links comes up first, with one request for its whole group, and
    // is regrouped while the peers elsewhere are still down. In every later namespace
    // the links are regrouped while down, which sends no notification, and then come up one
    // by one. Each of those walks the table only as far as it has grown, whereas a group
    // "up" followed by regrouping would walk the full table for every link.
    let mut created: Vec<(u64, NsId)> = Vec::new();
    for id in spaces.touched() {
        let record = spaces.record(id);
        if record.created {
            created.push((record.created_links, id));
        }
    }
    created.sort_by_key(|&(count, _)| std::cmp::Reverse(count));

    // Duplicate address detection needs every peer up, so it is waited for at the end.
    let mut waiting = Vec::new();
    for (position, &(_, id)) in created.iter().enumerate() {
        let outcome = spaces.reopen(id).and_then(|()| {
            if let Some(regrouped) = regrouped.as_deref_mut() {
                let group = spaces.record(id).create_group;
                let (socket, netns) = spaces.socket_and_netns(id);
                regrouped.push((id, members_of(socket, netns, group)?));
            }
            if position == 0 {
                up_by_group(spaces, id)
            } else {
                up_one_by_one(spaces, id)
            }
        });
        match outcome {
            Ok(members) => {
                let record = spaces.record(id);
                record.created = false;
                record.created_links = 0;
                if record.needs_dad {
                    waiting.push((id, members));
                }
            }
            Err(error) => failures.add(error),
        }
    }
    for (id, mut members) in waiting {
        let waited = spaces.reopen(id).and_then(|()| {
            let (socket, netns) = spaces.socket_and_netns(id);
            // New links take the namespace's `default` settings; reading them once per
            // namespace costs less than once per link.
            let timeout = dad_timeout(netns, "default");
            wait_for_dad(socket, netns, &mut members, timeout, removed)
        });
        spaces.record(id).needs_dad = false;
        if let Err(error) = waited {
            failures.add(error);
        }
    }
    if regrouped.is_some() && failures.first.is_none() {
        // The deletes of an --atomic run cannot be undone once done, so a signal that
        // arrived while the run finished still undoes the file here.
        crate::signals::check_end()?;
        flush_deletes(spaces)?;
    }
    failures.into_result()
}

/// Removes the links that [`finish`] returned to group 0 in an `--atomic` run that then
/// failed. A link counts only if its index still has the recorded name, and one that is
/// gone already (a veth peer) is no error.
pub fn remove_regrouped(spaces: &mut Namespaces, regrouped: &Regrouped) -> Result<()> {
    let mut failures = Failures::default();
    for (id, members) in regrouped {
        if let Err(error) = spaces.reopen(*id) {
            failures.add(error);
            continue;
        }
        let mirrors = match mirrors_to(spaces, *id, |info| {
            members.binary_search(&(info.index, info.name.clone())).is_ok()
        }) {
            Ok(mirrors) => mirrors,
            Err(error) => {
                failures.add(error);
                continue;
            }
        };
        let (socket, netns) = spaces.socket_and_netns(*id);
        let mut present = Vec::new();
        let listed = dump_links(socket, netns, |info| {
            if members.binary_search(&(info.index, info.name.clone())).is_ok() {
                present.push((info.index, info.name.clone()));
            }
        });
        if let Err(error) = listed {
            failures.add(error);
            continue;
        }
        for (index, name) in present {
            let outcome = link::delete(LinkRef::Index(index))
                .map_err(koko_netlink::Error::from)
                .and_then(|mut request| socket.request(&mut request));
            match outcome {
                Err(error) if error.errno() != Some(libc::ENODEV) => failures.add(Error::netlink(
                    format_args!("remove link \"{name}\" from {netns}"),
                    &error,
                )),
                _ => {}
            }
        }
        if let Err(error) = remove_mirrors(spaces, *id, &mirrors) {
            failures.add(error);
        }
    }
    failures.into_result()
}

/// Brings the create group of `id` up with one request and returns its links to group
/// 0. Returns the links, sorted by index.
fn up_by_group(spaces: &mut Namespaces, id: NsId) -> Result<Vec<(i32, String)>> {
    let group = spaces.record(id).create_group;
    let (socket, netns) = spaces.socket_and_netns(id);
    request_group(socket, link::set_group_flags(group, IFF_UP, IFF_UP))
        .map_err(|e| Error::netlink(format_args!("bring up the new links in {netns}"), &e))?;
    let members = members_of(socket, netns, group)?;
    reset_groups(socket, netns, &members)?;
    Ok(members)
}

/// Returns the links of the create group of `id` to group 0 while they are down, then
/// brings each up. Returns the links, sorted by index.
fn up_one_by_one(spaces: &mut Namespaces, id: NsId) -> Result<Vec<(i32, String)>> {
    let group = spaces.record(id).create_group;
    let (socket, netns) = spaces.socket_and_netns(id);
    let members = members_of(socket, netns, group)?;
    reset_groups(socket, netns, &members)?;

    let mut requests = Vec::with_capacity(members.len());
    for (index, name) in &members {
        let request = link::set_flags(LinkRef::Index(*index), IFF_UP, IFF_UP).map_err(|e| {
            Error::new(format!("failed to encode bringing up link \"{name}\": {e}"))
        })?;
        requests.push(request);
    }
    if let Err((position, error)) = socket.request_all(&mut requests) {
        let name = members.get(position).map_or("", |(_, name)| name.as_str());
        return Err(Error::netlink(format_args!("bring up link \"{name}\" in {netns}"), &error));
    }
    Ok(members)
}

/// Lists the links in `group`, sorted by index.
fn members_of(socket: &mut Socket, netns: &Netns, group: u32) -> Result<Vec<(i32, String)>> {
    let mut members = Vec::new();
    dump_links(socket, netns, |info| {
        if info.group == Some(group) {
            members.push((info.index, info.name.clone()));
        }
    })?;
    members.sort_unstable();
    Ok(members)
}

fn reset_groups(socket: &mut Socket, netns: &Netns, members: &[(i32, String)]) -> Result<()> {
    let mut requests = Vec::with_capacity(members.len());
    for (index, name) in members {
        let request = link::set_group(LinkRef::Index(*index), 0).map_err(|e| {
            Error::new(format!("failed to encode the group change of link \"{name}\": {e}"))
        })?;
        requests.push(request);
    }
    if let Err((position, error)) = socket.request_all(&mut requests) {
        let name = members.get(position).map_or("", |(_, name)| name.as_str());
        return Err(Error::netlink(
            format_args!("return link \"{name}\" in {netns} to interface group 0"),
            &error,
        ));
    }
    Ok(())
}

/// Most link names that an error lists; the rest are counted.
const NAMES_SHOWN: usize = 8;

/// Waits until no global IPv6 address of the links in `members` is tentative, for at most
/// `timeout`. Links whose address failed duplicate address detection or was still
/// tentative at the deadline are deleted (with their veth peers), dropped from `members`
/// and counted in `removed`, and the error names them.
// NOTE: the error cannot name the file lines of those links: a bulk run keeps no per-link
// record, so that its memory does not grow with the file.
fn wait_for_dad(
    socket: &mut Socket,
    netns: &Netns,
    members: &mut Vec<(i32, String)>,
    timeout: Duration,
    removed: &mut u64,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    // Links whose DAD failed, with one failed address each, and links still tentative.
    let mut failed: Vec<(i32, std::net::IpAddr)> = Vec::new();
    let mut pending: Vec<i32> = Vec::new();
    loop {
        pending.clear();
        let mut request = addr::dump(libc::AF_INET6 as u8, 0);
        let outcome = socket.dump(&mut request, |message| {
            let Some(info) = AddressInfo::parse(message) else { return Ok(()) };
            if info.scope != SCOPE_UNIVERSE {
                return Ok(());
            }
            let index = info.index as i32;
            if members.binary_search_by_key(&index, |(index, _)| *index).is_err() {
                return Ok(());
            }
            if info.flags & IFA_F_DADFAILED != 0 {
                if let Some(addr) = info.addr {
                    if !failed.iter().any(|(known, _)| *known == index) {
                        failed.push((index, addr));
                    }
                }
            } else if info.flags & IFA_F_TENTATIVE != 0 && !pending.contains(&index) {
                pending.push(index);
            }
            Ok(())
        });
        match outcome {
            Ok(()) | Err(koko_netlink::Error::DumpInterrupted) => {}
            Err(e) => {
                return Err(Error::netlink(format_args!("list the IPv6 addresses in {netns}"), &e))
            }
        }
        pending.retain(|index| !failed.iter().any(|(known, _)| known == index));
        if pending.is_empty() || Instant::now() >= deadline {
            break;
        }
        thread::sleep(DAD_POLL_INTERVAL);
    }
    if failed.is_empty() && pending.is_empty() {
        return Ok(());
    }

    let name_of = |index: i32| -> String {
        members
            .binary_search_by_key(&index, |(index, _)| *index)
            .map_or_else(|_| String::new(), |at| members[at].1.clone())
    };
    let mut error = match failed.first() {
        Some(&(index, addr)) => Error::new(format!(
            "duplicate address detection failed for {addr} on link \"{}\" in {netns}: another host uses it",
            name_of(index)
        )),
        None => Error::new(format!(
            "timed out after {} s waiting for duplicate address detection in {netns} (use --nodad to skip it)",
            timeout.as_secs()
        )),
    };
    if failed.len() > 1 {
        error = error.with_note(format_args!("{} more links failed it", failed.len() - 1));
    }
    if !failed.is_empty() && !pending.is_empty() {
        error = error.with_note(format_args!(
            "{} links timed out after {} s waiting for it (use --nodad to skip it)",
            pending.len(),
            timeout.as_secs()
        ));
    }
    let doomed: Vec<i32> = failed.iter().map(|(index, _)| *index).chain(pending).collect();
    let mut gone = Vec::new();
    for &index in &doomed {
        let name = name_of(index);
        let outcome = link::delete(LinkRef::Index(index))
            .map_err(koko_netlink::Error::from)
            .and_then(|mut request| socket.request(&mut request));
        match outcome {
            Ok(()) => {
                *removed += 1;
                gone.push(name);
            }
            // The veth peer of a link removed before.
            Err(e) if e.errno() == Some(libc::ENODEV) => {}
            Err(e) => {
                error = error.with_note(format_args!("removing link \"{name}\" also failed: {e}"))
            }
        }
    }
    members.retain(|(index, _)| !doomed.contains(index));
    if !gone.is_empty() {
        let shown: Vec<String> =
            gone.iter().take(NAMES_SHOWN).map(|name| format!("\"{name}\"")).collect();
        let more = gone.len().saturating_sub(NAMES_SHOWN);
        let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
        error = error.with_note(format_args!(
            "removed link{} {}{tail} from {netns} again (a veth end takes its peer along)",
            if gone.len() == 1 { "" } else { "s" },
            shown.join(", ")
        ));
    }
    Err(error)
}

/// Undoes a whole run for `--atomic`: the create group of every namespace is deleted in
/// one request each, and links marked for deletion return to their groups.
pub fn roll_back(spaces: &mut Namespaces) -> Result<()> {
    let mut failures = Failures::default();
    for id in spaces.touched() {
        let (created, pending_delete) = {
            let record = spaces.record(id);
            (record.created, record.pending_delete)
        };
        if !created && !pending_delete {
            continue;
        }
        if let Err(error) = spaces.reopen(id) {
            failures.add(error);
            continue;
        }
        if created {
            let group = spaces.record(id).create_group;
            let mirrors = match mirrors_to(spaces, id, |info| info.group == Some(group)) {
                Ok(mirrors) => mirrors,
                Err(error) => {
                    failures.add(error);
                    Vec::new()
                }
            };
            let (socket, netns) = spaces.socket_and_netns(id);
            match request_group(socket, link::delete_group(group)) {
                Ok(()) => {
                    spaces.record(id).created = false;
                    if let Err(error) = remove_mirrors(spaces, id, &mirrors) {
                        failures.add(error);
                    }
                }
                Err(e) => failures
                    .add(Error::netlink(format_args!("remove the new links from {netns}"), &e)),
            }
        }
        if pending_delete {
            if let Err(error) = restore_groups(spaces, id) {
                failures.add(error);
            }
        }
    }
    failures.into_result()
}

/// Returns the links in the delete group of `id` to the groups they had.
fn restore_groups(spaces: &mut Namespaces, id: NsId) -> Result<()> {
    let record = spaces.record(id);
    let group = record.delete_group;
    let moved = std::mem::take(&mut record.moved);
    let (socket, netns) = spaces.socket_and_netns(id);
    let mut members = Vec::new();
    dump_links(socket, netns, |info| {
        if info.group == Some(group) {
            members.push((info.index, info.name.clone()));
        }
    })?;
    let mut requests = Vec::with_capacity(members.len());
    for (index, name) in &members {
        let previous = moved
            .iter()
            .find(|(moved_index, _)| moved_index == index)
            .map_or(0, |(_, group)| *group);
        let request = link::set_group(LinkRef::Index(*index), previous).map_err(|e| {
            Error::new(format!("failed to encode the group change of link \"{name}\": {e}"))
        })?;
        requests.push(request);
    }
    if let Err((position, error)) = socket.request_all(&mut requests) {
        let name = members.get(position).map_or("", |(_, name)| name.as_str());
        return Err(Error::netlink(
            format_args!("restore the interface group of link \"{name}\" in {netns}"),
            &error,
        ));
    }
    spaces.record(id).pending_delete = false;
    Ok(())
}
