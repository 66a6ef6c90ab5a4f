//! Creating a veth pair with each end named, in its namespace, addressed and up.

use super::address::{add_addresses, wait_for_dad};
use super::{find_link, require_link, End, LinkOptions};
use crate::error::{Error, Result};
use koko_netlink::link::{self, veth, LinkRef, LinkSettings};
use koko_netlink::Socket;

/// Creates a veth pair between `a` and `b`.
///
/// One `RTM_NEWLINK` creates both ends with their final names directly in their
/// namespaces, `a` already up; a second request brings `b` up, because the kernel rejects
/// `IFF_UP` on the peer. Addresses go in through a socket inside each namespace. If any
/// step fails, the pair is deleted again, so the namespaces end as they began.
pub fn create_veth(a: &End<'_>, b: &End<'_>, options: &LinkOptions) -> Result<()> {
    let mut socket_a = a.netns.socket()?;
    let mut socket_b = b.netns.socket()?;

    let end = LinkSettings {
        netns_fd: Some(a.netns.fd_u32()),
        up: true,
        mtu: options.mtu,
        mac: a.mac,
        ..LinkSettings::named(a.name)
    };
    let peer = LinkSettings {
        netns_fd: Some(b.netns.fd_u32()),
        mtu: options.mtu,
        mac: b.mac,
        ..LinkSettings::named(b.name)
    };
    let what = format_args!(
        "create veth pair \"{}\" in {} and \"{}\" in {}",
        a.name, a.netns, b.name, b.netns
    )
    .to_string();
    let mut request = veth::create_pair(&end, &peer)
        .map_err(|e| Error::new(format!("failed to encode {what}: {e}")))?;
    if let Err(error) = socket_a.request(&mut request) {
        return Err(explain_create_error(&what, &error, a, b, &mut socket_a, &mut socket_b));
    }

    let outcome = finish_veth(a, b, options, &mut socket_a, &mut socket_b);
    if let Err(error) = outcome {
        return Err(roll_back(error, a, &mut socket_a));
    }
    Ok(())
}

/// Brings the peer up and adds the addresses of both ends.
fn finish_veth(
    a: &End<'_>,
    b: &End<'_>,
    options: &LinkOptions,
    socket_a: &mut Socket,
    socket_b: &mut Socket,
) -> Result<()> {
    let mut up = link::set_flags(LinkRef::Name(b.name), link::IFF_UP, link::IFF_UP)
        .map_err(|e| Error::new(format!("failed to encode bringing up \"{}\": {e}", b.name)))?;
    socket_b.request(&mut up).map_err(|e| {
        Error::netlink(format_args!("bring up link \"{}\" in {}", b.name, b.netns), &e)
    })?;

    let mut indexes = [0i32; 2];
    for (slot, (end, socket)) in [(a, &mut *socket_a), (b, &mut *socket_b)].into_iter().enumerate()
    {
        if end.addrs.is_empty() {
            continue;
        }
        let info = require_link(socket, end.netns, end.name)?;
        indexes[slot] = info.index;
        add_addresses(socket, end.netns, end.name, info.index, end.addrs, options.nodad)?;
    }
    if !options.nodad {
        for (slot, (end, socket)) in [(a, socket_a), (b, socket_b)].into_iter().enumerate() {
            if !end.addrs.is_empty() {
                wait_for_dad(socket, end.netns, end.name, indexes[slot], end.addrs)?;
            }
        }
    }
    Ok(())
}

/// Turns a failed creation into a message that names the end at fault where the kernel
/// does not: `EEXIST` does not say which of the two names is taken.
fn explain_create_error(
    what: &str,
    error: &koko_netlink::Error,
    a: &End<'_>,
    b: &End<'_>,
    socket_a: &mut Socket,
    socket_b: &mut Socket,
) -> Error {
    if error.errno() == Some(libc::EEXIST) {
        for (end, socket) in [(a, socket_a), (b, socket_b)] {
            if let Ok(Some(_)) = find_link(socket, end.name) {
                return Error::netlink(what, error).with_note(format_args!(
                    "link \"{}\" already exists in {}",
                    end.name, end.netns
                ));
            }
        }
    }
    Error::netlink(what, error)
}

/// Deletes end `a`, which takes its peer with it, and reports the rollback's outcome
/// together with the original error.
pub(crate) fn roll_back(error: Error, a: &End<'_>, socket_a: &mut Socket) -> Error {
    let deleted = link::delete(LinkRef::Name(a.name))
        .map_err(koko_netlink::Error::from)
        .and_then(|mut request| socket_a.request(&mut request));
    match deleted {
        Ok(()) => error,
        Err(rollback) => error.with_note(format_args!(
            "removing link \"{}\" from {} also failed: {rollback}",
            a.name, a.netns
        )),
    }
}
