//! Userspace-only benchmark: parsing bulk lines into plans, encoding the requests of one
//! veth line, and parsing link replies. No kernel, no root.
//!
//! Run: `cargo bench --bench codec` (`-- --quick` for fewer iterations).

use koko::plan;
use koko_netlink::addr;
use koko_netlink::link::{self, veth, LinkInfo, LinkSettings};
use koko_netlink::message::MessageIter;
use koko_netlink::MessageBuilder;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

fn rate(what: &str, count: u64, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    println!("{what:<44} {:>12.0} per second ({count} in {seconds:.3} s)", count as f64 / seconds);
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let iterations: u64 = if quick { 20_000 } else { 200_000 };

    let lines: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "-n A,a{i},10.0.{}.{}/30 -n B,b{i},10.0.{}.{}/30",
                i / 64,
                (i % 64) * 4 + 1,
                i / 64,
                (i % 64) * 4 + 2
            )
        })
        .collect();
    let started = Instant::now();
    for i in 0..iterations {
        let line = &lines[(i % 1000) as usize];
        black_box(plan::from_line(black_box(line)).expect("valid line"));
    }
    rate("bulk lines parsed into plans", iterations, started);

    let started = Instant::now();
    let mut bytes = 0usize;
    for i in 0..iterations {
        let index = (i % 60_000) as i32 + 2;
        let end = LinkSettings {
            netns_fd: Some(3),
            index,
            group: Some(7),
            ..LinkSettings::named("a1234")
        };
        let peer = LinkSettings {
            netns_fd: Some(4),
            index,
            group: Some(7),
            ..LinkSettings::named("b1234")
        };
        let mut create = veth::create_pair(&end, &peer).expect("encodes");
        bytes += create.finish(i as u32).expect("fits").len();
        for host in [1u8, 2] {
            let address = IpAddr::V4(Ipv4Addr::new(10, 0, 0, host));
            let mut request = addr::add(index as u32, address, 30, 0).expect("encodes");
            bytes += request.finish(i as u32).expect("fits").len();
        }
    }
    rate("messages encoded (1 veth create + 2 addresses)", iterations * 3, started);
    black_box(bytes);

    // A dump datagram of 64 link replies, parsed the way the group and index dumps do.
    let mut datagram = Vec::new();
    for i in 0..64 {
        let mut reply = MessageBuilder::new(link::RTM_NEWLINK, 0);
        let header =
            link::IfInfoMsg { index: i + 2, flags: link::IFF_UP, ..link::IfInfoMsg::default() };
        reply.put_raw(&header.to_bytes());
        reply.put_str(link::IFLA_IFNAME, &format!("a{i}")).expect("fits");
        reply.put_u32(link::IFLA_MTU, 1500).expect("fits");
        reply.put_u32(link::IFLA_GROUP, 7).expect("fits");
        reply.put(link::IFLA_ADDRESS, &[2, 0, 0, 0, 0, i as u8]).expect("fits");
        datagram.extend_from_slice(reply.finish(1).expect("fits"));
    }
    let rounds = iterations / 16;
    let started = Instant::now();
    let mut seen = 0u64;
    for _ in 0..rounds {
        for message in MessageIter::new(black_box(&datagram)) {
            if let Some(info) = LinkInfo::parse(&message) {
                seen += u64::from(info.group == Some(7));
            }
        }
    }
    rate("link replies parsed", rounds * 64, started);
    black_box(seen);
}
