#!/bin/sh
# One connection end to end, process start to exit: koko against the two-command ip
# equivalent. Run as root from the repository after `cargo build --release`:
#   unshare --net --mount --propagation private sh benches/one_connection.sh
# Needs hyperfine and iproute2. The prepare step deletes the pair again and is not timed.
set -e
KOKO=${KOKO:-${CARGO_TARGET_DIR:-target}/release/koko}
mount -t tmpfs tmpfs /run/netns
ip netns add A
ip netns add B
dir=$(mktemp -d)
printf 'link add name a type veth peer name b netns B\naddr add 10.0.0.1/24 dev a\nlink set dev a up\n' > "$dir/a.batch"
printf 'addr add 10.0.0.2/24 dev b\nlink set dev b up\n' > "$dir/b.batch"
# hyperfine runs each command through sh and subtracts the cost of starting sh.
hyperfine --warmup 5 --runs "${RUNS:-100}" \
    --prepare 'ip -n A link del dev a 2>/dev/null || true' \
    --command-name 'koko -n A,a,10.0.0.1/24 -n B,b,10.0.0.2/24' \
    "$KOKO -n A,a,10.0.0.1/24 -n B,b,10.0.0.2/24" \
    --command-name 'ip -n A -batch a.batch; ip -n B -batch b.batch' \
    "ip -n A -batch $dir/a.batch && ip -n B -batch $dir/b.batch"
rm -r "$dir"
