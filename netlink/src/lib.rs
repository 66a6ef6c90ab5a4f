//! Hand-built rtnetlink messages over a blocking `AF_NETLINK` socket.
//!
//! One module per wire concept: [`attr`] (attributes and alignment), [`message`] (headers,
//! the request builder, the reply iterator), [`error`] (errors and extended ACKs),
//! [`socket`] (sending and matching replies), and one per rtnetlink family: [`link`],
//! [`addr`]. Nothing here panics on bytes the kernel or anyone else sends.

pub mod addr;
pub mod attr;
pub mod debug;
pub mod error;
pub mod link;
pub mod message;
pub mod socket;
pub mod tc;

pub use error::{Error, KernelError};
pub use message::{EncodeError, Message, MessageBuilder};
pub use socket::Socket;
