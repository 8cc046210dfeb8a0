//! The vocabulary every Tongban crate shares: typed ids, time in UTC milliseconds, the acting
//! `Principal` and its `Permission`s scoped to department subtrees, paging, validated civic
//! identifiers (身份证号, 统一社会信用代码, phone numbers) and the working-day calendar.
//!
//! It depends on no crate of ours and never touches storage, the network or cryptography.

pub mod calendar;
pub mod channel;
pub mod civic;
pub mod clock;
mod coded;
pub mod egress;
pub mod error;
pub mod fresh;
pub mod fuzz;
pub mod id;
pub mod input;
pub mod locale;
pub mod page;
pub mod principal;
pub mod ratelimit;
pub mod time;
pub mod upload;
pub mod worker;

pub use calendar::{CalendarError, Recount, WorkCalendar};
pub use civic::{CreditCode, IdNumber, PhoneNumber};
pub use clock::{ClockReading, ClockState, LegalClock, Pause, PauseReason};
pub use error::{Invalid, bilingual};
pub use locale::{Arg, Lang, Msg};

catalog!("kernel");
pub use page::Page;
pub use principal::{DeptPath, Permission, Principal, PrincipalKind, Role, RoleGrant};
pub use time::{Clock, Millis};
