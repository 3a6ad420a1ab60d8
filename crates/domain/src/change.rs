//! What happened to an item, as the table's stream tells it. The stream processor turns
//! records into these and these into notifications and archive objects.

use std::str::FromStr;

use crate::{Item, ItemId};

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

/// One change of one item, with the images it needs.
// `Updated` holds two items: each change is built once per stream record and moved a few
// times, so boxing them would cost more (two allocations) than it saves. `allow`, not
// `expect`: the size differs with serde_json's `preserve_order`, a workspace feature.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange {
    Created(Item),
    Updated { old: Item, new: Item },
    Deleted(Item),
}

impl ItemChange {
    /// Pairs a kind with the record's images; `None` when an image the kind needs is absent.
    pub fn from_images(kind: ChangeKind, old: Option<Item>, new: Option<Item>) -> Option<Self> {
        match (kind, old, new) {
            (ChangeKind::Insert, _, Some(new)) => Some(Self::Created(new)),
            (ChangeKind::Modify, Some(old), Some(new)) => Some(Self::Updated { old, new }),
            (ChangeKind::Remove, Some(old), _) => Some(Self::Deleted(old)),
            _ => None,
        }
    }

    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::Created(_) => ChangeKind::Insert,
            Self::Updated { .. } => ChangeKind::Modify,
            Self::Deleted(_) => ChangeKind::Remove,
        }
    }

    /// The image the change is about: the new one for creates and updates, the last one
    /// for deletes (what an archive object holds and a notification describes).
    pub fn image(&self) -> &Item {
        match self {
            Self::Created(item) | Self::Deleted(item) | Self::Updated { new: item, .. } => item,
        }
    }

    pub fn item_id(&self) -> ItemId {
        self.image().id.clone()
    }

    /// Names of the client-visible fields an update changed (never their values, which
    /// may be personal data). Empty for creates and deletes.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let Self::Updated { old, new } = self else {
            return Vec::new();
        };
        [
            ("name", old.name != new.name),
            ("email", old.email != new.email),
            ("description", old.description != new.description),
            ("status", old.status != new.status),
            ("attributes", old.attributes != new.attributes),
        ]
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Email, NewItem, Status, Timestamp};

    fn item() -> Item {
        NewItem::parse(br#"{"name":"A","email":"a@example.com"}"#)
            .unwrap()
            .into_item(ItemId::new_random(), Timestamp::now())
    }

    #[test]
    fn kinds_parse_from_stream_names() {
        assert_eq!("MODIFY".parse::<ChangeKind>().unwrap(), ChangeKind::Modify);
        assert!("UPDATE".parse::<ChangeKind>().is_err());
    }

    #[test]
    fn changed_fields_lists_names_only() {
        let old = item();
        let mut new = old.clone();
        new.email = Some(Email::parse("b@example.com").unwrap());
        new.status = Status::Archived;
        new.version = 2;
        let change = ItemChange::from_images(ChangeKind::Modify, Some(old), Some(new)).unwrap();
        assert_eq!(change.changed_fields(), ["email", "status"]);
    }

    #[test]
    fn images_must_match_the_kind() {
        assert!(ItemChange::from_images(ChangeKind::Remove, None, Some(item())).is_none());
        assert!(ItemChange::from_images(ChangeKind::Modify, Some(item()), None).is_none());
        let created = ItemChange::from_images(ChangeKind::Insert, None, Some(item())).unwrap();
        assert!(created.changed_fields().is_empty());
    }

    #[test]
    fn a_change_names_its_event_type_and_image() {
        let old = item();
        let mut new = old.clone();
        new.version = 2;
        let updated =
            ItemChange::from_images(ChangeKind::Modify, Some(old.clone()), Some(new.clone()))
                .unwrap();
        assert_eq!(updated.kind().event_type(), "updated");
        assert_eq!(updated.image(), &new);
        let deleted = ItemChange::from_images(ChangeKind::Remove, Some(old.clone()), None).unwrap();
        assert_eq!(
            (deleted.kind().event_type(), deleted.image()),
            ("deleted", &old)
        );
        let created = ItemChange::from_images(ChangeKind::Insert, None, Some(new)).unwrap();
        assert_eq!(created.kind().event_type(), "created");
    }
}
