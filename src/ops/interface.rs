//! Creating a vxlan, macvlan or vlan interface inside an endpoint's namespace.

use super::{End, LinkOptions};
use crate::error::{Error, Result};
use crate::plan::LinkKind;

/// Creates the interface `kind` named `end.name` in `end.netns`, over a parent interface
/// in koko's own namespace, with its addresses.
pub fn create_interface(end: &End<'_>, kind: &LinkKind, options: &LinkOptions) -> Result<()> {
    let _ = (end, kind, options);
    Err(Error::new("vxlan, macvlan and vlan links are not implemented yet"))
}
