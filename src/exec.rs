//! Runs a validated [`Plan`] against the kernel.

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::ops::{self, End, LinkOptions};
use crate::plan::{Action, Endpoint, Options, Plan};
use crate::resolve::{check_still_running, resolve, resolve_until, Deadline};
use std::net::IpAddr;

/// Carries out `plan`. `Help` and `Version` print nothing here: `main` handles them.
pub fn run(plan: &Plan) -> Result<()> {
    let options = &plan.options;
    match &plan.action {
        Action::Veth { a, b } => connect_veth(a, b, options),
        Action::Interface { endpoint, kind } => {
            let netns = resolve(&endpoint.namespace, options.wait)?;
            let addrs = addresses(endpoint);
            let end = end(&netns, endpoint, &addrs);
            ops::interface::create_interface(&end, kind, &link_options(options))?;
            attach_mirrors(&[(endpoint, &netns)], || {
                ops::delete::delete_link(&netns, &endpoint.link)
            })?;
            check_still_running(&endpoint.namespace, &netns)
                .map_err(|error| undo(error, &netns, &endpoint.link, "link"))
        }
        Action::Delete { namespace, link } => {
            let netns = resolve(namespace, options.wait)?;
            delete_with_mirrors(&netns, link)
        }
        Action::Bulk { source, on_error } => crate::bulk::run(source, *on_error, options),
        Action::Help | Action::Version => Ok(()),
    }
}

fn link_options(options: &Options) -> LinkOptions {
    LinkOptions { mtu: options.mtu, nodad: options.nodad }
}

fn addresses(endpoint: &Endpoint) -> Vec<(IpAddr, u8)> {
    endpoint.addrs.iter().map(|net| (net.addr, net.prefix)).collect()
}

fn connect_veth(a: &Endpoint, b: &Endpoint, options: &Options) -> Result<()> {
    let deadline = options.wait.map(Deadline::after);
    let netns_a = resolve_until(&a.namespace, deadline.as_ref())?;
    let netns_b = resolve_until(&b.namespace, deadline.as_ref())?;
    if netns_a.same_as(&netns_b) {
        check_shared_namespace(a, b, &netns_a, &netns_b)?;
    }

    let addrs_a = addresses(a);
    let addrs_b = addresses(b);
    let end_a = end(&netns_a, a, &addrs_a);
    let end_b = end(&netns_b, b, &addrs_b);
    ops::veth::create_veth(&end_a, &end_b, &link_options(options))?;
    // Deleting end a takes end b with it.
    attach_mirrors(&[(a, &netns_a), (b, &netns_b)], || {
        ops::delete::delete_link(&netns_a, &a.link)
    })?;
    check_still_running(&a.namespace, &netns_a)
        .and_then(|()| check_still_running(&b.namespace, &netns_b))
        .map_err(|error| undo(error, &netns_a, &a.link, "veth pair"))
}

/// Rejects what the plan could not see when two different designators name one namespace:
/// the same link name twice, and a mirror of the new link's own peer.
fn check_shared_namespace(
    a: &Endpoint,
    b: &Endpoint,
    netns_a: &Netns,
    netns_b: &Netns,
) -> Result<()> {
    if a.link == b.link {
        return Err(Error::new(format!(
            "both ends are named \"{}\" and {} and {} are the same namespace",
            a.link, netns_a, netns_b
        )));
    }
    for (end, peer) in [(a, b), (b, a)] {
        if let Some(mirror) = end.mirror.as_ref().filter(|mirror| mirror.source == peer.link) {
            return Err(Error::new(format!(
                "mirror source \"{}\" is the peer of \"{}\" ({} and {} are the same namespace), so mirrored packets would loop between the two ends forever",
                mirror.source, end.link, netns_a, netns_b
            )));
        }
    }
    Ok(())
}

/// Deletes `link` after a check failed, so that a failed run leaves nothing behind. The
/// namespace is still reachable through koko's descriptor even when its container has
/// exited, and deleting one veth end removes its peer too.
fn undo(error: Error, netns: &Netns, link: &str, kind: &str) -> Error {
    match delete_with_mirrors(netns, link) {
        Ok(()) => error.with_note(format_args!("deleted the new {kind} \"{link}\" again")),
        Err(undo_error) => error.with_note(format_args!(
            "removing the new {kind} \"{link}\" also failed: {undo_error}"
        )),
    }
}

/// Sets up the mirrors that `endpoints` request, once their links exist. If one fails,
/// the mirrors already set up are removed and `delete_link` removes the new link, so the
/// command leaves nothing behind.
fn attach_mirrors(
    endpoints: &[(&Endpoint, &Netns)],
    delete_link: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let mut attached: Vec<(ops::mirror::MirrorUndo, &Netns)> = Vec::new();
    for &(endpoint, netns) in endpoints {
        let Some(mirror) = &endpoint.mirror else {
            continue;
        };
        let outcome = netns
            .socket()
            .and_then(|mut socket| ops::mirror::attach(netns, &mut socket, mirror, &endpoint.link));
        let mut error = match outcome {
            Ok(undo) => {
                attached.push((undo, netns));
                continue;
            }
            Err(error) => error,
        };
        for (undo, netns) in attached.iter().rev() {
            let undone = netns.socket().and_then(|mut socket| undo.undo(netns, &mut socket));
            if let Err(undo_error) = undone {
                error = error.with_note(format_args!(
                    "removing an earlier mirror also failed: {undo_error}"
                ));
            }
        }
        if let Err(delete_error) = delete_link() {
            error =
                error.with_note(format_args!("removing the new link also failed: {delete_error}"));
        }
        return Err(error);
    }
    Ok(())
}

/// Deletes link `name` in `netns` together with koko's filters that mirror traffic to it
/// (or to a link that is already gone), and the `clsact` qdiscs that koko added for them.
/// A veth peer in the same namespace goes with the link, so filters that mirror to the
/// peer are removed too.
///
/// The filters are found first, because the kernel stops reporting the target's index
/// once the target is deleted. They are removed after the link, so a failed deletion
/// changes nothing.
///
/// NOTE: deleting one veth end also deletes its peer in another namespace, and filters
/// there that mirror to the peer stay, with no target, until a later delete in that
/// namespace removes them.
fn delete_with_mirrors(netns: &Netns, name: &str) -> Result<()> {
    let mut socket = netns.socket()?;
    let target = ops::require_link(&mut socket, netns, name)?;
    let mut mirrors = ops::mirror::find_mirrors_to(netns, &mut socket, target.index)?;
    let local_peer = match (target.kind.as_deref(), target.link, target.link_netnsid) {
        (Some("veth"), Some(peer), None) => {
            i32::try_from(peer).ok().filter(|&peer| peer != target.index)
        }
        _ => None,
    };
    if let Some(peer) = local_peer {
        for filter in ops::mirror::find_mirrors_to(netns, &mut socket, peer)? {
            if !mirrors.contains(&filter) {
                mirrors.push(filter);
            }
        }
    }
    ops::delete::delete_link(netns, name)?;
    ops::mirror::remove_filters(netns, &mut socket, &mirrors)
        .map_err(|error| error.with_note(format_args!("link \"{name}\" itself was deleted")))
}

fn end<'a>(netns: &'a Netns, endpoint: &'a Endpoint, addrs: &'a [(IpAddr, u8)]) -> End<'a> {
    End { netns, name: &endpoint.link, addrs, mac: endpoint.mac }
}
