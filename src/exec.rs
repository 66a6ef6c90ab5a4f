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
            check_still_running(&endpoint.namespace, &netns)
                .map_err(|error| undo(error, &netns, &endpoint.link, "link"))
        }
        Action::Delete { namespace, link } => {
            let netns = resolve(namespace, options.wait)?;
            ops::delete::delete_link(&netns, link)
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
    if a.link == b.link && netns_a.same_as(&netns_b) {
        return Err(Error::new(format!(
            "both ends are named \"{}\" and {} and {} are the same namespace",
            a.link, netns_a, netns_b
        )));
    }
    let addrs_a = addresses(a);
    let addrs_b = addresses(b);
    let end_a = end(&netns_a, a, &addrs_a);
    let end_b = end(&netns_b, b, &addrs_b);
    ops::veth::create_veth(&end_a, &end_b, &link_options(options))?;
    check_still_running(&a.namespace, &netns_a)
        .and_then(|()| check_still_running(&b.namespace, &netns_b))
        .map_err(|error| undo(error, &netns_a, &a.link, "veth pair"))
}

/// Deletes `link` after a check failed, so that a failed run leaves nothing behind. The
/// namespace is still reachable through koko's descriptor even when its container has
/// exited, and deleting one veth end removes its peer too.
fn undo(error: Error, netns: &Netns, link: &str, kind: &str) -> Error {
    match ops::delete::delete_link(netns, link) {
        Ok(()) => error.with_note(format_args!("deleted the new {kind} \"{link}\" again")),
        Err(undo_error) => error.with_note(format_args!("removing the new {kind} \"{link}\" also failed: {undo_error}")),
    }
}

fn end<'a>(netns: &'a Netns, endpoint: &'a Endpoint, addrs: &'a [(IpAddr, u8)]) -> End<'a> {
    End { netns, name: &endpoint.link, addrs, mac: endpoint.mac }
}
