//! Channels that carry messages to people outside the platform (e-mail today; SMS and WeChat
//! later, through the publishing module). A domain writes its in-app messages in its own
//! transaction; a delivery worker reads them and hands each to the channel the recipient can be
//! reached on. A channel only sends: it never decides who hears what.

use std::future::Future;
use std::pin::Pin;

/// One message for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The address on the channel (an e-mail address, a phone number …).
    pub to: String,
    /// A short subject line.
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// What sending returns: `Err` with a reason worth logging (never the message's content).
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// A way to reach people.
pub trait Channel: Send + Sync {
    /// The channel's name for logs and metrics (`email`, `sms` …).
    fn name(&self) -> &'static str;

    /// Sends `message`; a failure leaves it for the next attempt.
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a>;
}

/// An in-app message waiting to go out on a channel: its id in the domain's outbox, the
/// recipient's account, and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The message's id (to mark it delivered).
    pub id: String,
    /// The account it is for.
    pub account: String,
    /// Subject line.
    pub subject: String,
    /// Plain text.
    pub body: String,
}
