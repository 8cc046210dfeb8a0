//! The Open311 GeoReport v2 model: the API keys of the systems that file through it, the typed
//! attributes of each service (a service is a category), a submission with its location,
//! attribute values and reporter, and service requests as anyone may read them. The web layer
//! only encodes these as XML or JSON.
//!
//! Privacy: a service request is readable by anyone only when its item is public (Open311
//! submissions are, as the GeoReport v2 model expects); its text is the redacted public text,
//! its position is rounded to about a hundred metres and its address withheld, as on the public
//! board. The system that filed a request (its key) also reads its own requests, private ones
//! included, with the address and the exact position it sent.
//!
//! `keys` issues and checks the API keys, `definitions` holds each service's attributes, and
//! `requests` takes submissions and shows service requests.

mod definitions;
mod keys;
mod requests;

pub use definitions::{AttributeType, AttributeValues, ServiceAttribute, ServiceChoice, ServiceDefinition};
pub use keys::Open311Key;
pub use requests::{MAX_OPEN311_PAGE, Open311Submission, RequestQuery, ServiceRequest, ServiceRequestNote};
pub(crate) use requests::{Open311Record, insert_record};
