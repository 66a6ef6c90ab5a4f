//! Hand-built rtnetlink messages over a blocking `AF_NETLINK` socket.
