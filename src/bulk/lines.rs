//! One bulk line against the kernel: the veth fast path, deletes, and the one-by-one path
//! for every other kind of line. Each function either completes its line or leaves the
//! namespaces as they were.

use super::finish::flush_deletes;
use super::namespaces::{Namespaces, NsId};
use crate::error::{Error, Result};
use crate::exec;
use crate::ops::{find_link, mirror};
use crate::plan::{Action, Endpoint, Namespace, Options, Plan};
use koko_netlink::addr;
use koko_netlink::link::{self, veth, LinkRef, LinkSettings};
use std::fs;

/// Links created and deleted so far.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub created: u64,
    pub deleted: u64,
}

/// Runs one line. In `atomic` runs, links made by the one-by-one path join the
/// namespace's create group, so that a later failure can remove them with the rest.
pub fn run_line(
    spaces: &mut Namespaces,
    plan: &Plan,
    options: &Options,
    atomic: bool,
    counts: &mut Counts,
) -> Result<()> {
    match &plan.action {
        Action::Veth { a, b } if a.mirror.is_none() && b.mirror.is_none() => {
            create_veth(spaces, a, b, options, atomic)?;
            counts.created += 2;
        }
        Action::Delete { namespace, link } => {
            delete(spaces, namespace, link, options, atomic)?;
            counts.deleted += 1;
        }
        action => {
            exec::run(&Plan { action: action.clone(), options: options.clone() })?;
            let (created, endpoint) = match action {
                Action::Veth { a, .. } => (2, a),
                Action::Interface { endpoint, .. } => (1, endpoint),
                _ => return Ok(()),
            };
            counts.created += created;
            if atomic {
                if let Err(error) = join_create_group(spaces, endpoint, options) {
                    return Err(remove_link(spaces, endpoint, error));
                }
            }
        }
    }
    Ok(())
}

/// Creates a veth pair down, in each namespace's create group and with interface indexes
/// picked by koko, then adds the addresses of both ends. The ends come up at the end of
/// the run, all of a namespace's links with one request.
fn create_veth(
    spaces: &mut Namespaces,
    a: &Endpoint,
    b: &Endpoint,
    options: &Options,
    atomic: bool,
) -> Result<()> {
    let id_a = spaces.open(&a.namespace, options.wait)?;
    let id_b = spaces.open(&b.namespace, options.wait)?;
    spaces.reopen(id_a)?;
    if id_a == id_b && a.link == b.link {
        return Err(Error::new(format!(
            "both ends are named \"{}\" and {} and {} are the same namespace",
            a.link, a.namespace, b.namespace
        )));
    }

    let mut refreshed = false;
    let mut flushed = false;
    let (index_a, index_b) = loop {
        let index_a = take_index(spaces, id_a);
        let index_b = take_index(spaces, id_b);
        let end = settings(spaces, id_a, a, index_a, options);
        let peer = settings(spaces, id_b, b, index_b, options);
        let what = format!(
            "create veth pair \"{}\" in {} and \"{}\" in {}",
            a.link, a.namespace, b.link, b.namespace
        );
        let mut request = veth::create_pair(&end, &peer)
            .map_err(|e| Error::new(format!("failed to encode {what}: {e}")))?;
        let error = match spaces.socket(id_a).request(&mut request) {
            Ok(()) => break (index_a, index_b),
            Err(error) => error,
        };
        match error.errno() {
            // A link that koko did not create through this path took an index koko
            // picked. The kernel reports that as EBUSY or, when neither name is taken, as
            // EEXIST. Another program may be creating links here right now, so the kernel
            // picks the indexes in both namespaces for the rest of the run.
            Some(libc::EBUSY | libc::EEXIST)
                if !refreshed && !names_taken(spaces, (id_a, a), (id_b, b)) =>
            {
                refreshed = true;
                spaces.record(id_a).pick_indexes = false;
                spaces.record(id_b).pick_indexes = false;
            }
            // With --atomic the marked links stay until the end, because deleting them
            // cannot be undone. So the line fails, and the file is undone as a whole.
            Some(libc::EEXIST) if atomic && spaces.any_pending_delete() => {
                if let Some(end) = held_by_delete(spaces, (id_a, a), (id_b, b)) {
                    return Err(Error::new(format!(
                        "link \"{}\" in {} is deleted earlier in this file; --atomic cannot recreate it in the same run",
                        end.link, end.namespace
                    )));
                }
                let failure = explain_create_error(spaces, &what, &error, (id_a, a), (id_b, b));
                if !names_taken(spaces, (id_a, a), (id_b, b)) {
                    return Err(failure);
                }
                return Err(failure.with_note(
                    "if that link is the peer of a veth end that an earlier line deletes, --atomic cannot recreate it in the same run",
                ));
            }
            // An earlier delete line may still hold the name until its group is deleted.
            // Any pending delete counts, because the peer of a marked veth end stays in
            // its own group.
            Some(libc::EEXIST) if !atomic && !flushed && spaces.any_pending_delete() => {
                flushed = true;
                flush_deletes(spaces)?;
                spaces.reopen(id_a)?;
                spaces.reopen(id_b)?;
            }
            _ => return Err(explain_create_error(spaces, &what, &error, (id_a, a), (id_b, b))),
        }
    };
    for id in [id_a, id_b] {
        let record = spaces.record(id);
        record.created = true;
        record.created_links += 1;
    }
    let index_a = index_of(spaces, id_a, a, index_a)?;
    let index_b = match index_of(spaces, id_b, b, index_b) {
        Ok(index) => index,
        Err(error) => return Err(remove_link(spaces, a, error)),
    };

    let added = add_addresses(spaces, id_a, a, index_a, options)
        .and_then(|()| add_addresses(spaces, id_b, b, index_b, options));
    if let Err(error) = added {
        let target = if index_a != 0 { LinkRef::Index(index_a) } else { LinkRef::Name(&a.link) };
        let mut request = link::delete(target).map_err(|e| {
            Error::new(format!("failed to encode the deletion of link \"{}\": {e}", a.link))
        })?;
        if let Err(rollback) = spaces.socket(id_a).request(&mut request) {
            return Err(error.with_note(format_args!(
                "removing link \"{}\" from {} also failed: {rollback}",
                a.link, a.namespace
            )));
        }
        return Err(error);
    }
    Ok(())
}

/// Returns whether either name of the new pair exists, or cannot be checked.
fn names_taken(
    spaces: &mut Namespaces,
    (id_a, a): (NsId, &Endpoint),
    (id_b, b): (NsId, &Endpoint),
) -> bool {
    for (id, end) in [(id_a, a), (id_b, b)] {
        if spaces.reopen(id).is_err() {
            return true;
        }
        if !matches!(find_link(spaces.socket(id), &end.link), Ok(None)) {
            return true;
        }
    }
    false
}

/// Returns the end of the new pair whose name a link in its namespace's delete group
/// holds, which an earlier delete line marked.
fn held_by_delete<'e>(
    spaces: &mut Namespaces,
    (id_a, a): (NsId, &'e Endpoint),
    (id_b, b): (NsId, &'e Endpoint),
) -> Option<&'e Endpoint> {
    for (id, end) in [(id_a, a), (id_b, b)] {
        let delete_group = spaces.record(id).delete_group;
        if spaces.reopen(id).is_err() {
            continue;
        }
        if let Ok(Some(info)) = find_link(spaces.socket(id), &end.link) {
            if info.group == Some(delete_group) {
                return Some(end);
            }
        }
    }
    None
}

/// Returns `index`, or, when the kernel picked the index (0), the index of the new link
/// of `end`, which its addresses need.
fn index_of(spaces: &mut Namespaces, id: NsId, end: &Endpoint, index: i32) -> Result<i32> {
    if index != 0 || end.addrs.is_empty() {
        return Ok(index);
    }
    spaces.reopen(id)?;
    let (socket, netns) = spaces.socket_and_netns(id);
    match find_link(socket, &end.link) {
        Ok(Some(info)) => Ok(info.index),
        Ok(None) => Err(Error::new(format!(
            "link \"{}\" not found in {netns} right after koko created it",
            end.link
        ))),
        Err(error) => {
            Err(Error::netlink(format_args!("look up link \"{}\" in {netns}", end.link), &error))
        }
    }
}

/// Returns the interface index for the next new link in `id`, or 0 to let the kernel
/// pick one after an index that koko picked was taken.
fn take_index(spaces: &mut Namespaces, id: NsId) -> i32 {
    let record = spaces.record(id);
    if !record.pick_indexes {
        return 0;
    }
    let index = record.next_index;
    record.next_index = index.saturating_add(1);
    index
}

fn settings(
    spaces: &mut Namespaces,
    id: NsId,
    endpoint: &Endpoint,
    index: i32,
    options: &Options,
) -> LinkSettings {
    let group = spaces.record(id).create_group;
    LinkSettings {
        netns_fd: Some(spaces.netns(id).fd_u32()),
        index,
        mtu: options.mtu,
        mac: endpoint.mac,
        group: Some(group),
        ..LinkSettings::named(&endpoint.link)
    }
}

/// Adds to an `EEXIST` error the end whose name is taken, which the errno alone lacks.
fn explain_create_error(
    spaces: &mut Namespaces,
    what: &str,
    error: &koko_netlink::Error,
    (id_a, a): (NsId, &Endpoint),
    (id_b, b): (NsId, &Endpoint),
) -> Error {
    let failure = Error::netlink(what, error);
    if error.errno() != Some(libc::EEXIST) {
        return failure;
    }
    for (id, end) in [(id_a, a), (id_b, b)] {
        if spaces.reopen(id).is_err() {
            continue;
        }
        if let Ok(Some(_)) = find_link(spaces.socket(id), &end.link) {
            return failure.with_note(format_args!(
                "link \"{}\" already exists in {}",
                end.link, end.namespace
            ));
        }
    }
    failure
}

/// Adds the addresses of `endpoint`, whose link has interface index `index`, with their
/// requests sent together.
fn add_addresses(
    spaces: &mut Namespaces,
    id: NsId,
    endpoint: &Endpoint,
    index: i32,
    options: &Options,
) -> Result<()> {
    if endpoint.addrs.is_empty() {
        return Ok(());
    }
    let has_ipv6 = endpoint.addrs.iter().any(|net| net.addr.is_ipv6());
    if has_ipv6 {
        enable_ipv6(spaces, id, endpoint)?;
    }
    let mut requests = Vec::with_capacity(endpoint.addrs.len());
    for net in &endpoint.addrs {
        let flags = if net.addr.is_ipv6() && options.nodad { addr::IFA_F_NODAD } else { 0 };
        let request = addr::add(index as u32, net.addr, net.prefix, flags)
            .map_err(|e| Error::new(format!("failed to encode address {net}: {e}")))?;
        requests.push(request);
    }
    spaces.reopen(id)?;
    if let Err((position, error)) = spaces.socket(id).request_all(&mut requests) {
        let net = endpoint.addrs[position.min(endpoint.addrs.len() - 1)];
        return Err(Error::netlink(
            format_args!(
                "add address {net} to link \"{}\" in {}",
                endpoint.link, endpoint.namespace
            ),
            &error,
        ));
    }
    if has_ipv6 && !options.nodad {
        spaces.record(id).needs_dad = true;
    }
    Ok(())
}

/// Switches IPv6 on for the new link of `endpoint` when the namespace creates links with
/// IPv6 off (`net.ipv6.conf.default.disable_ipv6` = 1); the kernel rejects IPv6 addresses
/// otherwise. The default is read once per namespace.
fn enable_ipv6(spaces: &mut Namespaces, id: NsId, endpoint: &Endpoint) -> Result<()> {
    let known = spaces.record(id).ipv6_off_by_default;
    let netns = spaces.netns(id);
    let off = match known {
        Some(off) => off,
        None => {
            let path = "/proc/sys/net/ipv6/conf/default/disable_ipv6";
            let value = {
                let _inside = netns.enter()?;
                fs::read_to_string(path)
            };
            let off = match value {
                Ok(value) => value.trim() != "0",
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::new(format!(
                        "cannot add IPv6 addresses to link \"{}\" in {netns}: the kernel has IPv6 turned off ({path} is missing)",
                        endpoint.link
                    )))
                }
                Err(e) => return Err(Error::io(format_args!("read {path} in {netns}"), &e)),
            };
            spaces.record(id).ipv6_off_by_default = Some(off);
            off
        }
    };
    if !off {
        return Ok(());
    }
    let netns = spaces.netns(id);
    let path = format!("/proc/sys/net/ipv6/conf/{}/disable_ipv6", endpoint.link);
    let _inside = netns.enter()?;
    fs::write(&path, "0").map_err(|e| {
        Error::io(format_args!("enable IPv6 on link \"{}\" in {netns} ({path})", endpoint.link), &e)
    })
}

/// Marks link `name` in `namespace` for deletion by moving it to the namespace's delete
/// group; the group goes in one request later. A link this run created is deleted now.
///
/// Without `--atomic` the link also goes down in the same request. A group change on an
/// up link makes the kernel walk the namespace's IPv6 routes, and the table is largest
/// before any link goes. On a down link the change sends no notification. `--atomic` leaves
/// the link up, so that undoing the line needs no record of its flags.
fn delete(
    spaces: &mut Namespaces,
    namespace: &Namespace,
    name: &str,
    options: &Options,
    atomic: bool,
) -> Result<()> {
    let id = spaces.open(namespace, options.wait)?;
    let (create_group, delete_group) = {
        let record = spaces.record(id);
        (record.create_group, record.delete_group)
    };
    let (socket, netns) = spaces.socket_and_netns(id);
    let info = match find_link(socket, name) {
        Ok(Some(info)) => info,
        Ok(None) => return Err(Error::new(format!("link \"{name}\" not found in {netns}"))),
        Err(error) => {
            return Err(Error::netlink(format_args!("look up link \"{name}\" in {netns}"), &error))
        }
    };
    let group = info.group.unwrap_or(0);
    if group == delete_group {
        return Err(Error::new(format!(
            "link \"{name}\" not found in {netns} (an earlier line of this file deletes it)"
        )));
    }

    let (encoded, what) = if group == create_group {
        (link::delete(LinkRef::Index(info.index)), "delete")
    } else if atomic {
        (link::set_group(LinkRef::Index(info.index), delete_group), "mark for deletion")
    } else {
        let marked =
            link::set_flags(LinkRef::Index(info.index), 0, link::IFF_UP).and_then(|mut request| {
                request.put_u32(link::IFLA_GROUP, delete_group)?;
                Ok(request)
            });
        (marked, "mark for deletion")
    };
    let mut request = encoded.map_err(|e| {
        Error::new(format!("failed to encode the deletion of link \"{name}\": {e}"))
    })?;
    // A link that this run created goes now, so the mirrors to it go with it. The group
    // deletes at the end remove the mirrors to the marked links.
    let mirrors = if group == create_group {
        mirror::find_mirrors_to(netns, socket, info.index)?
    } else {
        Vec::new()
    };
    socket
        .request(&mut request)
        .map_err(|e| Error::netlink(format_args!("{what} link \"{name}\" in {netns}"), &e))?;
    if !mirrors.is_empty() {
        mirror::remove_filters(netns, socket, &mirrors)
            .map_err(|error| error.with_note(format_args!("link \"{name}\" itself was deleted")))?;
    }
    if group != create_group {
        let record = spaces.record(id);
        record.pending_delete = true;
        if atomic && group != 0 {
            record.moved.push((info.index, group));
        }
    }
    Ok(())
}

/// Moves the link that a one-by-one line created into its namespace's create group.
fn join_create_group(
    spaces: &mut Namespaces,
    endpoint: &Endpoint,
    options: &Options,
) -> Result<()> {
    let id = spaces.open(&endpoint.namespace, options.wait)?;
    let group = spaces.record(id).create_group;
    let (socket, netns) = spaces.socket_and_netns(id);
    let name = &endpoint.link;
    let info = match find_link(socket, name) {
        Ok(Some(info)) => info,
        Ok(None) => {
            return Err(Error::new(format!(
                "link \"{name}\" not found in {netns} right after koko created it"
            )))
        }
        Err(error) => {
            return Err(Error::netlink(format_args!("look up link \"{name}\" in {netns}"), &error))
        }
    };
    let mut request = link::set_group(LinkRef::Index(info.index), group).map_err(|e| {
        Error::new(format!("failed to encode the group change of link \"{name}\": {e}"))
    })?;
    socket.request(&mut request).map_err(|e| {
        Error::netlink(format_args!("set the interface group of link \"{name}\" in {netns}"), &e)
    })?;
    let record = spaces.record(id);
    record.created = true;
    record.created_links += 1;
    Ok(())
}

/// Deletes the link of `endpoint` after `error`, which takes a veth peer with it, and
/// returns `error` with the outcome when that fails too.
fn remove_link(spaces: &mut Namespaces, endpoint: &Endpoint, error: Error) -> Error {
    let removed = spaces
        .open(&endpoint.namespace, None)
        .and_then(|id| crate::ops::delete::delete_link(spaces.netns(id), &endpoint.link));
    match removed {
        Ok(()) => error,
        Err(rollback) => error
            .with_note(format_args!("removing link \"{}\" also failed: {rollback}", endpoint.link)),
    }
}
