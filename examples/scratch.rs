use koko::netns::Netns;
use koko::ops::{veth::create_veth, End, LinkOptions};
fn main() {
    let a = Netns::named("A").unwrap();
    let b = Netns::named("B").unwrap();
    let aa = ["10.0.0.1".parse().unwrap(), "fd00::1".parse().unwrap()].map(|x| (x, 24u8));
    let bb = [("10.0.0.2".parse().unwrap(), 24u8), ("fd00::2".parse().unwrap(), 64u8)];
    let t = std::time::Instant::now();
    let r = create_veth(&End { netns: &a, name: "a", addrs: &aa[..1], mac: None }, &End { netns: &b, name: "b", addrs: &bb, mac: None }, &LinkOptions::default());
    println!("{r:?} {:?}", t.elapsed());
    let r = create_veth(&End { netns: &a, name: "a", addrs: &aa[..1], mac: None }, &End { netns: &b, name: "b2", addrs: &bb, mac: None }, &LinkOptions::default());
    println!("{}", r.unwrap_err());
}
