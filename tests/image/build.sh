#!/bin/bash
# Build the Docker image koko-test:latest that container tests run, without a registry.
#
# The image is a static busybox and its applet links, nothing else: enough for
# `sleep`, `ip` and `ping` inside a container. If the image already exists the script
# does nothing unless the image lacks a required applet. Pass --force to rebuild it
# anyway.
set -euo pipefail

IMAGE=koko-test:latest
BUSYBOX=/bin/busybox
REQUIRED_APPLETS=(sh sleep ip ping ping6 cat ls)

force=false
case "${1-}" in
    "") ;;
    --force) force=true ;;
    *)
        echo "build.sh: unknown argument \"$1\" (expected nothing or --force)" >&2
        exit 2
        ;;
esac

# Runs the image once and checks that every required applet is linked in /bin.
image_is_complete() {
    docker run --rm --network none "$IMAGE" sh -c '
        for applet in "$@"; do [ -e "/bin/$applet" ] || exit 1; done' \
        check "${REQUIRED_APPLETS[@]}" >/dev/null 2>&1
}

old_image_id=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
if ! $force && [ -n "$old_image_id" ]; then
    if image_is_complete; then
        echo "build.sh: $IMAGE already exists, nothing to do"
        exit 0
    fi
    echo "build.sh: $IMAGE exists but lacks some of ${REQUIRED_APPLETS[*]}, rebuilding it"
fi

if [ ! -x "$BUSYBOX" ]; then
    echo "build.sh: $BUSYBOX is missing, installing busybox-static"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends busybox-static
fi

# A dynamically linked busybox would fail inside an image that has no libc. ldd exits
# with an error for a static executable.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    echo "build.sh: $BUSYBOX is dynamically linked; install busybox-static" >&2
    exit 1
fi

applets=$("$BUSYBOX" --list)
for applet in "${REQUIRED_APPLETS[@]}"; do
    if ! grep -qx "$applet" <<<"$applets"; then
        echo "build.sh: $BUSYBOX has no \"$applet\" applet (required: ${REQUIRED_APPLETS[*]})" >&2
        exit 1
    fi
done

rootfs=$(mktemp -d /tmp/koko-test-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,root}
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"

# chroot so that --install writes its links into the rootfs, pointing at /bin/busybox.
chroot "$rootfs" /bin/busybox --install -s /bin
for applet in "${REQUIRED_APPLETS[@]}"; do
    if [ ! -L "$rootfs/bin/$applet" ]; then
        echo "build.sh: busybox --install -s created no link for \"$applet\"" >&2
        exit 1
    fi
done

echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
echo "root:x:0:" >"$rootfs/etc/group"

tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/bin' \
    --message "koko integration-test image: static busybox" \
    - "$IMAGE"

# Prove the image runs and has working applets before any test relies on it.
docker run --rm --network none "$IMAGE" sh -c 'ip link show lo >/dev/null && ping -c 1 -W 1 127.0.0.1 >/dev/null'
echo "build.sh: built $IMAGE"

# The replaced image has lost its tag. Docker refuses to remove it while a container
# still uses it, and then it stays until `docker image prune`.
if [ -n "$old_image_id" ]; then
    docker image rm "$old_image_id" >/dev/null 2>&1 || echo "build.sh: kept the replaced image $old_image_id, a container still uses it"
fi
