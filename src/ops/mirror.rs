//! Mirroring the traffic of a source interface to a new link with tc: a `clsact` qdisc on
//! the source and, per direction, one match-all `u32` filter whose `mirred` action sends a
//! copy of every packet out of the target link.
//!
//! koko finds its own filters again by priority, because a later `koko -D` runs in another
//! process and has nothing else to go by. The priority also records whether koko added
//! the source's `clsact` qdisc:
//!
//! | priority | hook    | the `clsact` qdisc was |
//! |----------|---------|------------------------|
//! | 19279    | ingress | there before koko      |
//! | 19280    | egress  | there before koko      |
//! | 19281    | ingress | added by koko          |
//! | 19282    | egress  | added by koko          |
//!
//! 19279 is "KO" in ASCII. These values stay clear of the small numbers people type and of
//! 49152 and the numbers below it that the kernel picks for filters added without a
//! priority. Filters with smaller numbers run first, so a foreign filter at priority 1
//! that drops a packet hides it from the mirror.
//!
//! Removing a mirror removes its filters. It also removes the `clsact` qdisc when koko
//! added it and no filter at all is left on it. So a source that had no `clsact` ends with
//! none, and one that had a `clsact` keeps it, with its own filters, even when it was empty.

use super::{find_link, require_link};
use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::plan::{Mirror, MirrorDirection};
use koko_netlink::link::{self, LinkInfo, LinkRef};
use koko_netlink::tc::{
    self, Direction, FilterInfo, QdiscInfo, TcMsg, ETH_P_ALL, RTM_DELTFILTER, RTM_NEWQDISC,
    RTM_NEWTFILTER, TCA_EGRESS_MIRROR, TCA_KIND, TC_H_INGRESS,
};
use koko_netlink::{MessageBuilder, Socket};

/// Priority of koko's ingress filter on a `clsact` qdisc that koko did not add.
pub const PRIO_INGRESS: u16 = 19279;
/// Priority of koko's egress filter on a `clsact` qdisc that koko did not add.
pub const PRIO_EGRESS: u16 = 19280;
/// Priority of koko's ingress filter on a `clsact` qdisc that koko added.
pub const PRIO_INGRESS_OWNED: u16 = 19281;
/// Priority of koko's egress filter on a `clsact` qdisc that koko added.
pub const PRIO_EGRESS_OWNED: u16 = 19282;

/// Returns koko's filter priority for `direction`. `owned` is true when koko added the
/// `clsact` qdisc.
pub fn filter_prio(direction: Direction, owned: bool) -> u16 {
    match (direction, owned) {
        (Direction::Ingress, false) => PRIO_INGRESS,
        (Direction::Egress, false) => PRIO_EGRESS,
        (Direction::Ingress, true) => PRIO_INGRESS_OWNED,
        (Direction::Egress, true) => PRIO_EGRESS_OWNED,
    }
}

/// Returns the hook and the ownership flag that koko's priority `prio` encodes, or
/// `None` for a priority koko does not use.
pub fn parse_prio(prio: u16) -> Option<(Direction, bool)> {
    match prio {
        PRIO_INGRESS => Some((Direction::Ingress, false)),
        PRIO_EGRESS => Some((Direction::Egress, false)),
        PRIO_INGRESS_OWNED => Some((Direction::Ingress, true)),
        PRIO_EGRESS_OWNED => Some((Direction::Egress, true)),
        _ => None,
    }
}

fn directions(direction: MirrorDirection) -> &'static [Direction] {
    match direction {
        MirrorDirection::Ingress => &[Direction::Ingress],
        MirrorDirection::Egress => &[Direction::Egress],
        MirrorDirection::Both => &[Direction::Ingress, Direction::Egress],
    }
}

/// One of koko's mirror filters: a `u32` node on a hook of a source interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorFilter {
    pub source: String,
    pub source_index: i32,
    pub direction: Direction,
    pub prio: u16,
    /// Handle of the `u32` node, such as `0x8000_0800` for `800::800`.
    pub handle: u32,
}

/// Record of the filters that [`attach`] added, so that a command that fails later can
/// remove them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorUndo {
    filters: Vec<MirrorFilter>,
}

impl MirrorUndo {
    /// Removes the filters that [`attach`] added, and the `clsact` qdisc if koko added
    /// it and nothing else uses it.
    pub fn undo(&self, netns: &Netns, socket: &mut Socket) -> Result<()> {
        remove_filters(netns, socket, &self.filters)
    }
}

/// Mirrors the traffic of `mirror.source` to the link `target`, both in `netns`.
///
/// The source gets a `clsact` qdisc unless it has one, and one filter per requested
/// direction. koko never replaces the root qdisc. A source with an `ingress` qdisc can
/// mirror only its ingress traffic, because that qdisc has no egress hook. On failure,
/// whatever this call added is removed again.
pub fn attach(
    netns: &Netns,
    socket: &mut Socket,
    mirror: &Mirror,
    target: &str,
) -> Result<MirrorUndo> {
    let target_index = require_link(socket, netns, target)?.index;
    let source = match find_link(socket, &mirror.source) {
        Ok(Some(info)) => info,
        Ok(None) => {
            return Err(Error::new(format!(
                "mirror source \"{}\" not found in {netns} (the source must be in the same namespace as \"{target}\")",
                mirror.source
            )))
        }
        Err(error) => {
            return Err(Error::netlink(format_args!("look up mirror source \"{}\" in {netns}", mirror.source), &error))
        }
    };
    let requested = directions(mirror.direction);

    let owned = match hook_qdisc(netns, socket, source.index)? {
        None => {
            add_clsact(netns, socket, &source)?;
            true
        }
        Some(qdisc) => {
            check_hooks(&qdisc, &source.name, requested)?;
            clsact_is_owned(netns, socket, &source, &qdisc)?
        }
    };

    let mut undo = MirrorUndo { filters: Vec::new() };
    for &direction in requested {
        match add_filter(netns, socket, &source, direction, owned, target, target_index) {
            Ok(Some(filter)) => undo.filters.push(filter),
            Ok(None) => {}
            Err(error) => return Err(roll_back(error, netns, socket, &undo, &source, owned)),
        }
    }
    Ok(undo)
}

/// Removes the filters and the `clsact` qdisc that a failed [`attach`] added, including a
/// `clsact` that got no filter yet.
fn roll_back(
    error: Error,
    netns: &Netns,
    socket: &mut Socket,
    undo: &MirrorUndo,
    source: &LinkInfo,
    owned: bool,
) -> Error {
    let outcome = if undo.filters.is_empty() && owned {
        remove_clsact_if_empty(netns, socket, &source.name, source.index)
    } else {
        undo.undo(netns, socket)
    };
    match outcome {
        Ok(()) => error,
        Err(rollback) => error.with_note(format_args!(
            "removing the mirror filters from \"{}\" also failed: {rollback}",
            source.name
        )),
    }
}

/// Rejects hooks that the source's qdisc at `ffff:fff1` does not have.
fn check_hooks(qdisc: &QdiscInfo, source: &str, requested: &[Direction]) -> Result<()> {
    for &direction in requested {
        if qdisc.has_hook(direction) {
            continue;
        }
        if qdisc.kind == "ingress" {
            return Err(Error::new(format!(
                "cannot mirror the {} traffic of \"{source}\": it has an ingress qdisc, which has no egress hook \
                 (mirror ingress only, or replace it with a clsact qdisc)",
                direction.as_str()
            )));
        }
        return Err(Error::new(format!(
            "cannot mirror the {} traffic of \"{source}\": its qdisc at ffff:fff1 is of kind \"{}\" \
             (expected clsact or ingress)",
            direction.as_str(),
            qdisc.kind
        )));
    }
    Ok(())
}

fn add_clsact(netns: &Netns, socket: &mut Socket, source: &LinkInfo) -> Result<()> {
    let what = format!("add a clsact qdisc to mirror source \"{}\" in {netns}", source.name);
    let mut request = tc::add_clsact(source.index)
        .map_err(|e| Error::new(format!("failed to encode: {what}: {e}")))?;
    socket.request(&mut request).map_err(|e| Error::netlink(&what, &e))
}

/// Returns whether koko added the existing `clsact` on `source`: one of its filters has
/// an owned priority. An `ingress` qdisc is never koko's.
fn clsact_is_owned(
    netns: &Netns,
    socket: &mut Socket,
    source: &LinkInfo,
    qdisc: &QdiscInfo,
) -> Result<bool> {
    if qdisc.kind != "clsact" {
        return Ok(false);
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        let filters = list_filters(netns, socket, &source.name, source.index, direction)?;
        if filters.iter().any(|filter| parse_prio(filter.prio).is_some_and(|(_, owned)| owned)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Adds the filter that mirrors `direction` of `source` to the target, unless an
/// identical one exists: the kernel would add a second copy. Returns the new filter.
fn add_filter(
    netns: &Netns,
    socket: &mut Socket,
    source: &LinkInfo,
    direction: Direction,
    owned: bool,
    target: &str,
    target_index: i32,
) -> Result<Option<MirrorFilter>> {
    let prio = filter_prio(direction, owned);
    let target_u32 = u32::try_from(target_index).map_err(|_| {
        Error::new(format!("link \"{target}\" has the invalid index {target_index}"))
    })?;
    let before = list_filters(netns, socket, &source.name, source.index, direction)?;
    for filter in before.iter().filter(|filter| filter.prio == prio) {
        if filter.kind != "u32" || filter.protocol != ETH_P_ALL {
            return Err(Error::new(format!(
                "cannot mirror the {} traffic of \"{}\": priority {prio} of that hook holds a {} filter \
                 that koko did not add (koko needs priorities {PRIO_INGRESS} to {PRIO_EGRESS_OWNED})",
                direction.as_str(),
                source.name,
                if filter.kind.is_empty() { "nameless" } else { &filter.kind }
            )));
        }
        if is_mirror_to(filter, target_u32) {
            return Ok(None);
        }
    }

    let what = format!(
        "add a filter that mirrors the {} traffic of \"{}\" to \"{target}\" in {netns}",
        direction.as_str(),
        source.name
    );
    let mut request = tc::add_mirror_filter(source.index, direction, prio, None, target_u32)
        .map_err(|e| Error::new(format!("failed to encode: {what}: {e}")))?;
    socket.request(&mut request).map_err(|e| Error::netlink(&what, &e))?;

    // The kernel chose the node's handle; the dump shows it, and it is the one node
    // with this target that was not there before.
    let after = list_filters(netns, socket, &source.name, source.index, direction)?;
    let added = after.iter().find(|filter| {
        filter.prio == prio && is_mirror_to(filter, target_u32) && !before.contains(filter)
    });
    let handle = match added {
        Some(filter) => filter.handle,
        None => {
            return Err(Error::new(format!(
                "failed to {what}: the kernel accepted the filter but does not list it"
            )))
        }
    };
    Ok(Some(MirrorFilter {
        source: source.name.clone(),
        source_index: source.index,
        direction,
        prio,
        handle,
    }))
}

/// Checks whether `filter` is a `u32` node (a key), not the filter itself (handle 0) or
/// a hash table (`800:`). The low 12 bits of a `u32` handle number the node.
fn is_u32_node(filter: &FilterInfo) -> bool {
    filter.kind == "u32" && filter.handle & 0xfff != 0
}

/// Checks whether `filter` is a `u32` node whose action mirrors to the egress of
/// `target_index`.
fn is_mirror_to(filter: &FilterInfo, target_index: u32) -> bool {
    filter
        .mirred
        .is_some_and(|mirred| mirred.eaction == TCA_EGRESS_MIRROR && mirred.ifindex == target_index)
}

/// Finds koko's filters in `netns` that mirror to the link with `target_index`, and
/// those whose target is gone: the kernel reports a deleted target as index 0.
///
/// Call it before deleting the target, whose index the filters show only while it exists.
pub fn find_mirrors_to(
    netns: &Netns,
    socket: &mut Socket,
    target_index: i32,
) -> Result<Vec<MirrorFilter>> {
    find_mirrors_to_any(netns, socket, &[target_index])
}

/// Returns whether any link in the socket's namespace has a `clsact` or `ingress` qdisc,
/// which every mirror filter needs: a cheap test before a search for filters.
pub fn any_hook_qdisc(netns: &Netns, socket: &mut Socket) -> Result<bool> {
    Ok(!hook_qdiscs(netns, socket)?.is_empty())
}

/// Finds koko's filters in `netns` that mirror to a link whose index is in `targets`
/// (sorted), and those whose target is gone, as [`find_mirrors_to`] does for one link.
pub fn find_mirrors_to_any(
    netns: &Netns,
    socket: &mut Socket,
    targets: &[i32],
) -> Result<Vec<MirrorFilter>> {
    let is_target = |filter: &FilterInfo| {
        filter.mirred.is_some_and(|mirred| {
            mirred.eaction == TCA_EGRESS_MIRROR
                && (mirred.ifindex == 0
                    || i32::try_from(mirred.ifindex)
                        .is_ok_and(|index| targets.binary_search(&index).is_ok()))
        })
    };
    let mut found = Vec::new();
    for qdisc in hook_qdiscs(netns, socket)? {
        let name = link_name(socket, qdisc.ifindex);
        for direction in [Direction::Ingress, Direction::Egress] {
            if !qdisc.has_hook(direction) {
                continue;
            }
            for filter in list_filters(netns, socket, &name, qdisc.ifindex, direction)? {
                if parse_prio(filter.prio).map(|(hook, _)| hook) != Some(direction) {
                    continue;
                }
                if !is_target(&filter) {
                    continue;
                }
                found.push(MirrorFilter {
                    source: name.clone(),
                    source_index: qdisc.ifindex,
                    direction,
                    prio: filter.prio,
                    handle: filter.handle,
                });
            }
        }
    }
    Ok(found)
}

/// Removes `filters`, and then each `clsact` qdisc that koko added and that has no
/// filters left. A filter that is already gone is not an error.
pub fn remove_filters(netns: &Netns, socket: &mut Socket, filters: &[MirrorFilter]) -> Result<()> {
    let mut groups: Vec<(&MirrorFilter, Vec<u32>)> = Vec::new();
    for filter in filters {
        let same_group = groups.iter_mut().find(|(first, _)| {
            first.source_index == filter.source_index
                && first.direction == filter.direction
                && first.prio == filter.prio
        });
        match same_group {
            Some((_, handles)) => handles.push(filter.handle),
            None => groups.push((filter, vec![filter.handle])),
        }
    }

    let mut owned_sources: Vec<(&str, i32)> = Vec::new();
    for (first, handles) in &groups {
        remove_nodes(netns, socket, first, handles)?;
        let owned = parse_prio(first.prio).is_some_and(|(_, owned)| owned);
        if owned && !owned_sources.iter().any(|&(_, index)| index == first.source_index) {
            owned_sources.push((&first.source, first.source_index));
        }
    }
    for (name, index) in owned_sources {
        remove_clsact_if_empty(netns, socket, name, index)?;
    }
    Ok(())
}

/// Deletes the `u32` nodes `handles` at `first.prio` on one hook. When they are all the
/// nodes at that priority, the whole filter goes, because deleting its last node by
/// handle leaves an empty `u32` filter behind (seen on Linux 6.18).
fn remove_nodes(
    netns: &Netns,
    socket: &mut Socket,
    first: &MirrorFilter,
    handles: &[u32],
) -> Result<()> {
    let what = format!(
        "remove the filter at priority {} from the {} hook of \"{}\" in {netns}",
        first.prio,
        first.direction.as_str(),
        first.source
    );
    let present = match hook_qdisc(netns, socket, first.source_index)? {
        Some(qdisc) if qdisc.has_hook(first.direction) => {
            list_filters(netns, socket, &first.source, first.source_index, first.direction)?
        }
        _ => return Ok(()),
    };
    let nodes: Vec<&FilterInfo> =
        present.iter().filter(|filter| filter.prio == first.prio && is_u32_node(filter)).collect();
    if nodes.is_empty() {
        return Ok(());
    }

    let requests: Vec<MessageBuilder> = if nodes.iter().all(|node| handles.contains(&node.handle)) {
        vec![tc::delete_filter(first.source_index, first.direction, first.prio)]
    } else {
        let mut requests = Vec::new();
        for node in nodes.iter().filter(|node| handles.contains(&node.handle)) {
            let request = delete_node(first.source_index, first.direction, first.prio, node.handle)
                .map_err(|e| Error::new(format!("failed to encode: {what}: {e}")))?;
            requests.push(request);
        }
        requests
    };
    for mut request in requests {
        match socket.request(&mut request) {
            Ok(()) => {}
            Err(error) if error.errno() == Some(libc::ENOENT) => {}
            Err(error) => return Err(Error::netlink(&what, &error)),
        }
    }
    Ok(())
}

/// Builds `RTM_DELTFILTER` for one `u32` node, as `tc filter del dev SRC ingress prio P
/// handle 800::800 u32` does: with a handle the kernel deletes only that node.
fn delete_node(
    ifindex: i32,
    direction: Direction,
    prio: u16,
    handle: u32,
) -> Result<MessageBuilder, koko_netlink::EncodeError> {
    let header = TcMsg {
        ifindex,
        handle,
        parent: direction.parent(),
        info: TcMsg::filter_info(prio, ETH_P_ALL),
        ..TcMsg::default()
    };
    let mut msg = MessageBuilder::new(RTM_DELTFILTER, 0);
    msg.put_raw(&header.to_bytes());
    msg.put_str(TCA_KIND, "u32")?;
    Ok(msg)
}

/// Deletes the `clsact` qdisc of the link `index` if neither hook has a filter left.
fn remove_clsact_if_empty(
    netns: &Netns,
    socket: &mut Socket,
    name: &str,
    index: i32,
) -> Result<()> {
    match hook_qdisc(netns, socket, index)? {
        Some(qdisc) if qdisc.kind == "clsact" => {}
        _ => return Ok(()),
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        if !list_filters(netns, socket, name, index, direction)?.is_empty() {
            return Ok(());
        }
    }
    let what = format!("remove the clsact qdisc that koko added to \"{name}\" in {netns}");
    let mut request = tc::delete_clsact(index)
        .map_err(|e| Error::new(format!("failed to encode: {what}: {e}")))?;
    socket.request(&mut request).map_err(|e| Error::netlink(&what, &e))
}

/// Returns every `clsact` or `ingress` qdisc in the socket's namespace.
fn hook_qdiscs(netns: &Netns, socket: &mut Socket) -> Result<Vec<QdiscInfo>> {
    let mut qdiscs = Vec::new();
    let mut request = tc::dump_qdiscs(0);
    socket
        .dump(&mut request, |message| {
            if message.header.kind == RTM_NEWQDISC {
                if let Some(qdisc) = QdiscInfo::parse(message) {
                    if qdisc.parent == TC_H_INGRESS {
                        qdiscs.push(qdisc);
                    }
                }
            }
            Ok(())
        })
        .map_err(|e| Error::netlink(format_args!("list the qdiscs in {netns}"), &e))?;
    Ok(qdiscs)
}

/// Returns the qdisc at `ffff:fff1` (`clsact` or `ingress`) of the link `index`, if any.
/// The kernel dumps the qdiscs of every link, whatever index the request names.
fn hook_qdisc(netns: &Netns, socket: &mut Socket, index: i32) -> Result<Option<QdiscInfo>> {
    Ok(hook_qdiscs(netns, socket)?.into_iter().find(|qdisc| qdisc.ifindex == index))
}

/// Returns the filters on `direction`'s hook of the link `index`, which must have a
/// `clsact` or `ingress` qdisc.
fn list_filters(
    netns: &Netns,
    socket: &mut Socket,
    name: &str,
    index: i32,
    direction: Direction,
) -> Result<Vec<FilterInfo>> {
    let mut filters = Vec::new();
    let mut request = tc::dump_filters(index, direction.parent());
    socket
        .dump(&mut request, |message| {
            if message.header.kind == RTM_NEWTFILTER {
                if let Some(filter) = FilterInfo::parse(message) {
                    filters.push(filter);
                }
            }
            Ok(())
        })
        .map_err(|e| {
            Error::netlink(
                format_args!("list the {} filters of \"{name}\" in {netns}", direction.as_str()),
                &e,
            )
        })?;
    Ok(filters)
}

/// Returns the name of the link `index` for messages, or `index N` if the lookup fails.
fn link_name(socket: &mut Socket, index: i32) -> String {
    let mut name = None;
    if let Ok(mut request) = link::get(LinkRef::Index(index)) {
        let _ = socket.request_with(&mut request, |message| {
            if message.header.kind == link::RTM_NEWLINK {
                name = LinkInfo::parse(message).map(|info| info.name);
            }
            Ok(())
        });
    }
    name.unwrap_or_else(|| format!("index {index}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prio_round_trips() {
        for direction in [Direction::Ingress, Direction::Egress] {
            for owned in [false, true] {
                assert_eq!(parse_prio(filter_prio(direction, owned)), Some((direction, owned)));
            }
        }
        assert_eq!(parse_prio(49152), None);
        assert_eq!(parse_prio(1), None);
    }

    #[test]
    fn delete_node_names_handle_and_kind() {
        let request = delete_node(7, Direction::Egress, PRIO_EGRESS, 0x8000_0801).unwrap();
        let bytes = request.as_bytes();
        let header = TcMsg::parse(&bytes[16..]).unwrap();
        assert_eq!(header.ifindex, 7);
        assert_eq!(header.handle, 0x8000_0801);
        assert_eq!(header.parent, 0xffff_fff3);
        assert_eq!(header.prio(), PRIO_EGRESS);
        assert_eq!(header.protocol(), ETH_P_ALL);
        assert_eq!(&bytes[16 + 20 + 4..16 + 20 + 8], b"u32\0");
    }
}
