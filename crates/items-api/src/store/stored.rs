//! Reading what the table holds, whatever wrote it, by domain's
//! [`StoredItem`](domain::StoredItem) rules ([`super::attributes::decode`]).

use domain::{Item, UnrepresentableItem};

use super::{
    AttributeMap,
    attributes::{decode as read, to_stored},
};
use crate::{
    ApiError,
    projection::{ItemView, ProjectedItem, Projection},
};

/// A stored item as clients see it; one that cannot be shown is logged (id and attribute
/// names only) and refused with `UNREPRESENTABLE_ITEM`.
pub(super) fn decode(attributes: AttributeMap) -> Result<Item, ApiError> {
    read(attributes).map_err(|unrepresentable| {
        warn(&unrepresentable);
        unrepresentable.into()
    })
}

fn warn(unrepresentable: &UnrepresentableItem) {
    tracing::warn!(
        item_id = unrepresentable.id.as_deref().unwrap_or_default(),
        attributes = unrepresentable.attributes.join(","),
        "stored item cannot be represented"
    );
}

/// A read item as the projection shows it: a full read by [`decode`]'s rules, a projected
/// one by [`ProjectedItem::read`]; one that cannot be shown is logged and refused alike.
pub(super) fn decode_view(
    attributes: AttributeMap,
    projection: &Projection,
) -> Result<ItemView, ApiError> {
    read_view(attributes, projection).map_err(|unrepresentable| {
        warn(&unrepresentable);
        unrepresentable.into()
    })
}

/// A page's items as the projection shows them, and how many were left out (each logged).
pub(super) fn decode_views(
    stored: Vec<AttributeMap>,
    projection: &Projection,
) -> (Vec<ItemView>, usize) {
    let total = stored.len();
    let items: Vec<ItemView> = stored
        .into_iter()
        .filter_map(|attributes| {
            read_view(attributes, projection)
                .map_err(|item| warn(&item))
                .ok()
        })
        .collect();
    let left_out = total - items.len();
    (items, left_out)
}

fn read_view(
    attributes: AttributeMap,
    projection: &Projection,
) -> Result<ItemView, UnrepresentableItem> {
    let Projection::Only(fields) = projection else {
        return read(attributes).map(ItemView::Full);
    };
    let stored = to_stored(attributes)?;
    let id = stored.id().map(str::to_owned);
    ProjectedItem::read(stored.into_attributes(), fields)
        .map(ItemView::Projected)
        .map_err(|attributes| UnrepresentableItem { id, attributes })
}
