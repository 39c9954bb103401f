//! The service's notion of "now" (`shared::clock`), injectable so expiry rules (how long a
//! revoked token must stay refused, when an access token stops verifying) are tested by moving
//! time rather than by sleeping.

pub use shared::clock::Clock;
