//! Glassix enumerations. Every enum keeps values it does not know as `Unknown(String)`, matches
//! names case-insensitively, and also accepts the integer codes the C# SDK uses where they are
//! known (an unknown integer becomes `Unknown("<n>")`). Values are written as their wire string.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use std::fmt;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal $(| $alias:literal)* $(=> $code:literal)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know (kept verbatim; integers as their decimal text).
            Unknown(String),
        }

        impl $name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(s) => s,
                }
            }

            /// Read a wire string: exact spelling first, then case-insensitively, else `Unknown`.
            pub fn from_wire(s: &str) -> Self {
                $( if s == $wire $(|| s == $alias)* { return Self::$variant; } )*
                $( if s.eq_ignore_ascii_case($wire) $(|| s.eq_ignore_ascii_case($alias))* { return Self::$variant; } )*
                Self::Unknown(s.to_owned())
            }

            /// Read an integer code of the C# SDK; unknown codes become `Unknown("<n>")`.
            pub fn from_code(n: i64) -> Self {
                $( $( if n == $code { return Self::$variant; } )? )*
                Self::Unknown(n.to_string())
            }

            /// Whether the value was not recognised.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl Default for $name {
            /// The empty string, as Glassix writes "nothing".
            fn default() -> Self {
                Self::Unknown(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " name or integer code"))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_wire(v))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        Ok($name::from_code(v))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        Ok(i64::try_from(v).map_or_else(|_| $name::Unknown(v.to_string()), $name::from_code))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<$name, E> {
                        Ok($name::default())
                    }
                    fn visit_none<E: de::Error>(self) -> Result<$name, E> {
                        Ok($name::default())
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

wire_enum! {
    /// Ticket state (`state`). Codes from the C# SDK: Undefined 0, Closed 1, Open 2, Snoozed 3, Pending 4.
    TicketState {
        /// Not set.
        Undefined = "Undefined" => 0,
        /// Closed.
        Closed = "Closed" => 1,
        /// Open.
        Open = "Open" => 2,
        /// Snoozed until a time.
        Snoozed = "Snoozed" => 3,
        /// Waiting on the customer.
        Pending = "Pending" => 4,
    }
}

wire_enum! {
    /// Ticket type (`ticketType`).
    TicketType {
        /// A normal conversation.
        Regular = "Regular",
        /// A bot conversation.
        Bot = "Bot",
        /// A Glassix bot conversation.
        GlassixBot = "GlassixBot",
    }
}

wire_enum! {
    /// Channel (`protocolType`, `primaryProtocolType`, `fromProtocolType`), as the C# SDK's
    /// `EnumMember` spellings.
    ProtocolType {
        /// SMS.
        Sms = "SMS",
        /// WhatsApp.
        WhatsApp = "WhatsApp",
        /// E-mail.
        Mail = "Mail",
        /// Web chat (and every agent participant).
        Web = "Web",
        /// Facebook Messenger (note the wire casing `FBmessenger`).
        FacebookMessenger = "FBmessenger" | "FacebookMessenger",
        /// Web chat opened from an SMS link.
        WebViaSms = "WebViaSMS",
        /// Telegram bot.
        TelegramBot = "TelegramBot",
        /// Facebook page comments.
        FacebookFeed = "FacebookFeed",
        /// Instagram comments.
        InstagramFeed = "InstagramFeed",
        /// Instagram direct messages (seen in the docs' role list, not in the SDK).
        InstagramDm = "InstagramDM",
        /// Phone call.
        PhoneCall = "PhoneCall",
        /// Viber.
        Viber = "Viber",
        /// Apple Business Chat.
        AppleBusinessChat = "AppleBusinessChat",
        /// Google Business Messages.
        GoogleBusinessMessages = "GoogleBusinessMessages",
        /// Google Business Reviews.
        GoogleBusinessReviews = "GoogleBusinessReviews" | "Google Business Reviews",
        /// Twitter (third-party typings only).
        Twitter = "Twitter",
        /// Not set.
        Undefined = "Undefined",
    }
}

wire_enum! {
    /// E-mail recipient role of a participant (`subProtocolType`).
    SubProtocolType {
        /// Not set (non-e-mail channels).
        Undefined = "Undefined",
        /// To.
        MailTo = "MailTo",
        /// Cc.
        MailCc = "MailCc",
        /// Bcc.
        MailBcc = "MailBcc",
    }
}

wire_enum! {
    /// Participant kind (`participants[].type`). The C# SDK spells the zero value `Undefind`.
    ParticipantType {
        /// Not set.
        Undefined = "Undefined" | "Undefind" => 0,
        /// A customer.
        Client = "Client",
        /// An agent, bot or API user.
        User = "User",
        /// The system.
        System = "System",
        /// A bot (one third-party typing).
        Bot = "Bot",
    }
}

wire_enum! {
    /// Transaction kind (`transactions[].type`). `Message` is confirmed; `Note` (internal note)
    /// and the event types are assumptions shared with the sandbox (see the agreements).
    TransactionType {
        /// A message between customer and agent.
        Message = "Message",
        /// An internal note (UNCONFIRMED spelling).
        Note = "Note",
        /// The ticket's state changed (assumed).
        StateChange = "StateChange",
        /// The ticket's owner changed (assumed).
        OwnerChange = "OwnerChange",
        /// The ticket's tags changed (assumed).
        TagsChange = "TagsChange",
        /// A participant joined (assumed).
        ParticipantJoined = "ParticipantJoined",
    }
}

wire_enum! {
    /// Delivery status of a message (`transactions[].status`).
    MessageStatus {
        /// Read by the recipient.
        Read = "Read",
        /// Delivered.
        Delivered = "Delivered",
        /// Not yet delivered.
        Pending = "Pending",
        /// Sent (assumed).
        Sent = "Sent",
        /// Failed (assumed).
        Failed = "Failed",
    }
}

wire_enum! {
    /// Attachment kind (`attachments[].type`).
    AttachmentType {
        /// Image.
        Image = "Image",
        /// Video.
        Video = "Video",
        /// Document.
        Document = "Document",
        /// Generic file.
        File = "File",
        /// Solution.
        Solution = "Solution",
        /// Interactive document.
        InteractiveDocument = "InteractiveDocument",
        /// Audio.
        Audio = "Audio",
    }
}

wire_enum! {
    /// Malware-scan result of an attachment (`sanitizationState`, C# SDK only).
    SanitizationState {
        /// Not scanned.
        Undefined = "Undefined" => 0,
        /// Allowed.
        Allowed = "Allowed" => 1,
        /// Blocked.
        Blocked = "Blocked" => 2,
        /// Being scanned.
        Processing = "Processing" => 3,
    }
}

wire_enum! {
    /// Contact identifier kind (`identifierType`); codes 0–12 in the C# SDK's order.
    IdentifierType {
        /// Not set.
        Undefined = "Undefined" => 0,
        /// Phone number (also WhatsApp and SMS).
        PhoneNumber = "PhoneNumber" => 1,
        /// E-mail address.
        MailAddress = "MailAddress" => 2,
        /// Facebook id.
        FacebookId = "FacebookId" => 3,
        /// Instagram id.
        InstagramId = "InstagramId" => 4,
        /// Web visitor.
        Web = "Web" => 5,
        /// Instagram-scoped id.
        InstagramIgsid = "InstagramIGSID" => 6,
        /// Viber id.
        ClientViberId = "ClientViberID" => 7,
        /// Apple Business Chat id.
        ClientAppleBusinessChatId = "ClientAppleBusinessChatID" => 8,
        /// Twitter id.
        ClientTwitterId = "ClientTwitterId" => 9,
        /// Google Business Messages id.
        ClientGoogleBusinessMessagesId = "ClientGoogleBusinessMessagesId" => 10,
        /// Google Business reviewer id.
        ClientGoogleBusinessReviewerId = "ClientGoogleBusinessReviewerId" => 11,
        /// TikTok id.
        TikTokId = "TikTokId" => 12,
    }
}

wire_enum! {
    /// User kind (`type` of users and owners).
    UserType {
        /// A human agent.
        Agent = "AGENT",
        /// A bot user (cannot log in).
        Bot = "BOT",
        /// An API user (cannot log in).
        Api = "API",
        /// Not set.
        Undefined = "UNDEFINED",
    }
}

wire_enum! {
    /// Gender of a user.
    Gender {
        /// Not set.
        Undefined = "Undefined",
        /// Male.
        Male = "Male",
        /// Female.
        Female = "Female",
        /// Not applicable (C# SDK code 9).
        NotApplicable = "notApplicable" => 9,
    }
}

wire_enum! {
    /// Availability of a user (`status`). Codes from the C# SDK comment: 1 Offline, 2 Break, 10 Online.
    UserStatus {
        /// Offline.
        Offline = "Offline" => 1,
        /// On a break.
        Break = "Break" => 2,
        /// Online.
        Online = "Online" => 10,
        /// Second break kind.
        Break2 = "Break2",
        /// Third break kind.
        Break3 = "Break3",
        /// Fourth break kind.
        Break4 = "Break4",
        /// Fifth break kind.
        Break5 = "Break5",
    }
}

wire_enum! {
    /// Kind of value a chatbot collected (`dynamicParameters[].type`).
    DynamicParameterType {
        /// Text (`strValue`).
        String = "String",
        /// Number (`numValue`).
        Number = "Number",
        /// Yes/no (`boolValue`).
        Boolean = "Boolean",
        /// A location.
        Location = "Location",
        /// An attachment.
        Attachment = "Attachment",
    }
}

wire_enum! {
    /// Order of `tickets/list` by open time (`sortOrder`).
    SortOrder {
        /// Oldest first (the default).
        Ascending = "ASC",
        /// Newest first.
        Descending = "DESC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_codes_case_and_unknowns() {
        let s: TicketState = serde_json::from_str("\"Open\"").unwrap();
        assert_eq!(s, TicketState::Open);
        let s: TicketState = serde_json::from_str("3").unwrap();
        assert_eq!(s, TicketState::Snoozed);
        let s: TicketState = serde_json::from_str("\"closed\"").unwrap();
        assert_eq!(s, TicketState::Closed);
        let s: TicketState = serde_json::from_str("\"Archived\"").unwrap();
        assert_eq!(s, TicketState::Unknown("Archived".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"Archived\"");
        let s: TicketState = serde_json::from_str("42").unwrap();
        assert_eq!(s, TicketState::Unknown("42".into()));
        let p: ProtocolType = serde_json::from_str("\"FBmessenger\"").unwrap();
        assert_eq!(p, ProtocolType::FacebookMessenger);
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"FBmessenger\"");
        let t: ParticipantType = serde_json::from_str("\"Undefind\"").unwrap();
        assert_eq!(t, ParticipantType::Undefined);
        let u: UserStatus = serde_json::from_str("10").unwrap();
        assert_eq!(u, UserStatus::Online);
        let e: MessageStatus = serde_json::from_str("\"\"").unwrap();
        assert_eq!(e, MessageStatus::default());
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"\"");
        let n: MessageStatus = serde_json::from_str("null").unwrap();
        assert!(n.is_unknown());
    }
}
