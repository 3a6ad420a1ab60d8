//! What happened to an item, as the table's stream tells it: the kind of a change and the
//! fields an update changed, which the stream processor's notifications and history name.

use std::str::FromStr;

use crate::Item;

/// The kind of a change: parsed from the stream's `eventName`, named to subscribers by
/// [`ChangeKind::event_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Modify,
    Remove,
}

impl ChangeKind {
    /// The name archive objects and notifications carry.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Insert => "created",
            Self::Modify => "updated",
            Self::Remove => "deleted",
        }
    }
}

impl FromStr for ChangeKind {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "INSERT" => Ok(Self::Insert),
            "MODIFY" => Ok(Self::Modify),
            "REMOVE" => Ok(Self::Remove),
            other => Err(format!("unknown stream event name {other:?}")),
        }
    }
}

/// Names of the client-visible fields that differ between two images of an item (never
/// their values, which may be personal data): what an update's notification and history
/// entry list.
pub fn changed_fields(old: &Item, new: &Item) -> Vec<&'static str> {
    [
        ("name", old.name != new.name),
        ("email", old.email != new.email),
        ("description", old.description != new.description),
        ("status", old.status != new.status),
        ("attributes", old.attributes != new.attributes),
        // Another tool's top-level attributes, shown under this name.
        (
            "stored_attributes",
            old.stored_attributes != new.stored_attributes,
        ),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Email, ItemId, NewItem, Status, Timestamp};

    fn item() -> Item {
        NewItem::parse(br#"{"name":"A","email":"a@example.com"}"#)
            .unwrap()
            .into_item(ItemId::new_random(), Timestamp::now())
    }

    #[test]
    fn kinds_parse_from_stream_names() {
        assert_eq!("MODIFY".parse::<ChangeKind>().unwrap(), ChangeKind::Modify);
        assert!("UPDATE".parse::<ChangeKind>().is_err());
        assert_eq!(ChangeKind::Remove.event_type(), "deleted");
    }

    #[test]
    fn changed_fields_lists_names_only() {
        let old = item();
        let mut new = old.clone();
        new.email = Some(Email::parse("b@example.com").unwrap());
        new.status = Status::Archived;
        new.version = 2;
        assert_eq!(changed_fields(&old, &new), ["email", "status"]);
        assert!(changed_fields(&old, &old).is_empty());
    }

    #[test]
    fn another_tools_attribute_changing_is_named_too() {
        let mut old = item();
        old.stored_attributes.insert("color".into(), "red".into());
        let mut new = old.clone();
        new.stored_attributes.insert("color".into(), "green".into());
        assert_eq!(changed_fields(&old, &new), ["stored_attributes"]);
    }
}
