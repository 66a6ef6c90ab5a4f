//! Adding addresses to a link, and waiting until its IPv6 addresses are usable.

use crate::error::{Error, Result};
use crate::netns::Netns;
use koko_netlink::addr::{self, AddressInfo, IFA_F_DADFAILED, IFA_F_NODAD, IFA_F_TENTATIVE};
use koko_netlink::Socket;
use std::fs;
use std::net::IpAddr;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// Shortest limit for the wait for duplicate address detection. The kernel's defaults
/// (one probe, `dad_transmits`, with a one-second reply window, `retrans_time_ms`, after a
/// random delay of up to `router_solicitation_delay`, one second) finish in about two
/// seconds.
const MIN_DAD_TIMEOUT: Duration = Duration::from_secs(15);
/// Room on top of what the link's DAD settings need, for a loaded machine.
const DAD_TIMEOUT_MARGIN: Duration = Duration::from_secs(10);
pub(crate) const DAD_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Adds `addrs` to link `name` (index `index`) through `socket`, which must belong to
/// `netns`. IPv6 is switched on for the link first if the namespace turned it off.
pub fn add_addresses(
    socket: &mut Socket,
    netns: &Netns,
    name: &str,
    index: i32,
    addrs: &[(IpAddr, u8)],
    nodad: bool,
) -> Result<()> {
    if addrs.iter().any(|(addr, _)| addr.is_ipv6()) {
        enable_ipv6(netns, name)?;
    }
    for &(addr, prefix_len) in addrs {
        let flags = if addr.is_ipv6() && nodad { IFA_F_NODAD } else { 0 };
        let mut request = addr::add(index as u32, addr, prefix_len, flags).map_err(|e| {
            Error::new(format!("failed to encode address {addr}/{prefix_len}: {e}"))
        })?;
        socket.request(&mut request).map_err(|e| {
            Error::netlink(
                format_args!("add address {addr}/{prefix_len} to link \"{name}\" in {netns}"),
                &e,
            )
        })?;
    }
    Ok(())
}

/// Sets `disable_ipv6` to 0 for link `name` if it is 1, as it is in namespaces whose
/// `net.ipv6.conf.default.disable_ipv6` is set. The kernel rejects IPv6 addresses otherwise.
fn enable_ipv6(netns: &Netns, name: &str) -> Result<()> {
    let _inside = netns.enter()?;
    let path = format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6");
    let current = match fs::read_to_string(&path) {
        Ok(value) => value,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(no_ipv6_state(netns, name, &path))
        }
        Err(e) => return Err(Error::io(format_args!("read {path} in {netns}"), &e)),
    };
    if current.trim() == "0" {
        return Ok(());
    }
    fs::write(&path, "0").map_err(|e| {
        Error::io(format_args!("enable IPv6 on link \"{name}\" in {netns} ({path})"), &e)
    })
}

/// Explains why link `name` has no `/proc/sys/net/ipv6/conf/NAME` directory.
///
/// With IPv6 in the kernel, the directory is missing when the kernel keeps no IPv6 state
/// for the link. For a veth that means an MTU below the IPv6 minimum of 1280 bytes.
fn no_ipv6_state(netns: &Netns, name: &str, path: &str) -> Error {
    let reason = if Path::new("/proc/sys/net/ipv6/conf/all").exists() {
        "the kernel keeps no IPv6 state for it, which happens when its MTU is below the IPv6 minimum of 1280 bytes".to_owned()
    } else {
        format!("the kernel has IPv6 turned off ({path} is missing)")
    };
    Error::new(format!("cannot add IPv6 addresses to link \"{name}\" in {netns}: {reason}"))
}

/// Waits until none of the IPv6 `addrs` on link `index` is tentative. An address whose
/// duplicate address detection failed is an error.
pub fn wait_for_dad(
    socket: &mut Socket,
    netns: &Netns,
    name: &str,
    index: i32,
    addrs: &[(IpAddr, u8)],
) -> Result<()> {
    let wanted: Vec<IpAddr> = addrs.iter().map(|(addr, _)| *addr).filter(IpAddr::is_ipv6).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let timeout = dad_timeout(netns, name);
    let deadline = Instant::now() + timeout;
    loop {
        let mut found: Vec<AddressInfo> = Vec::new();
        let mut request = addr::dump(libc::AF_INET6 as u8, index as u32);
        let outcome = socket.dump(&mut request, |message| {
            if let Some(info) = AddressInfo::parse(message) {
                if info.index == index as u32 {
                    found.push(info);
                }
            }
            Ok(())
        });
        match outcome {
            Ok(()) | Err(koko_netlink::Error::DumpInterrupted) => {}
            Err(e) => {
                return Err(Error::netlink(
                    format_args!("list the addresses of link \"{name}\" in {netns}"),
                    &e,
                ))
            }
        }

        let mut pending = false;
        for addr in &wanted {
            let Some(info) = found.iter().find(|info| info.addr == Some(*addr)) else {
                return Err(Error::new(format!(
                    "address {addr} disappeared from link \"{name}\" in {netns} during duplicate address detection"
                )));
            };
            if info.flags & IFA_F_DADFAILED != 0 {
                return Err(Error::new(format!(
                    "duplicate address detection failed for {addr} on link \"{name}\" in {netns}: another host uses it"
                )));
            }
            if info.flags & IFA_F_TENTATIVE != 0 {
                pending = true;
            }
        }
        if !pending {
            return Ok(());
        }
        crate::signals::check_during(format_args!(
            "waiting for duplicate address detection on link \"{name}\" in {netns}"
        ))?;
        if Instant::now() >= deadline {
            return Err(Error::new(format!(
                "timed out after {} s waiting for duplicate address detection on link \"{name}\" in {netns} (use --nodad to skip it)",
                timeout.as_secs()
            )));
        }
        thread::sleep(DAD_POLL_INTERVAL);
    }
}

/// Works out how long DAD may take on link `name` from its `dad_transmits`,
/// `retrans_time_ms` and `router_solicitation_delay` settings, plus a margin, and never less than
/// [`MIN_DAD_TIMEOUT`]. Settings that cannot be read count as the kernel's defaults.
pub(crate) fn dad_timeout(netns: &Netns, name: &str) -> Duration {
    let read = |path: String| -> Option<u64> { fs::read_to_string(path).ok()?.trim().parse().ok() };
    let Ok(_inside) = netns.enter() else {
        return MIN_DAD_TIMEOUT;
    };
    let transmits = read(format!("/proc/sys/net/ipv6/conf/{name}/dad_transmits")).unwrap_or(1);
    let retrans_ms =
        read(format!("/proc/sys/net/ipv6/neigh/{name}/retrans_time_ms")).unwrap_or(1000);
    let delay_seconds =
        read(format!("/proc/sys/net/ipv6/conf/{name}/router_solicitation_delay")).unwrap_or(1);
    let delay_ms = delay_seconds.saturating_mul(1000);
    let needed_ms = transmits.saturating_mul(retrans_ms).saturating_add(delay_ms);
    let needed = Duration::from_millis(needed_ms).saturating_add(DAD_TIMEOUT_MARGIN);
    needed.max(MIN_DAD_TIMEOUT)
}
