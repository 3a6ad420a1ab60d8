"""The README's curl flow ("Run it locally"), plus the errors a caller meets, through the
Python client openapi-python-client generates from openapi.yaml, against a running stack.

Why: the spec is only useful to callers if a mainstream generator turns every documented
response into a type. Each response here must come with the expected status and be parsed into
the model the spec declares for that status and operation (an error included), with nothing
of the body left outside the model. 405 is not exercised: a generated client only has the
methods the spec lists.

Usage (scripts/check-contract runs it): PYTHONPATH=<generated client> python readme_flow.py URL API_KEY
"""

import json
import sys
import uuid

from items_api_client import AuthenticatedClient, Client
from items_api_client.api.items import (
    batch_items,
    create_item,
    delete_item,
    get_item,
    list_items,
    update_item,
)
from items_api_client.models import (
    Attributes,
    BatchCreate,
    BatchCreateOp,
    BatchDelete,
    BatchDeleteOp,
    BatchRequest,
    BatchResults,
    BatchResultStatus,
    ErrorBadRequest,
    ErrorBadRequestCode,
    ErrorIdempotencyKeyReused,
    ErrorIdempotencyKeyReusedCode,
    ErrorNotFound,
    ErrorNotFoundCode,
    ErrorPayloadTooLarge,
    ErrorPayloadTooLargeCode,
    ErrorPreconditionFailed,
    ErrorPreconditionFailedCode,
    ErrorTransactionCanceled,
    ErrorTransactionCanceledCode,
    GatewayError,
    Item,
    ItemPage,
    ItemPatch,
    NewItem,
    OperationFailureCode,
    ProjectedItem,
    Status,
)

checked = 0


def typed(response, status, model):
    """The response's parsed body, once it is known to have come with `status` and to have
    been parsed into `model` (None: the spec declares no body) without losing any of it."""
    global checked
    checked += 1
    body = response.content.decode(errors="replace")
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {body}"
    parsed = response.parsed
    if model is None:
        assert parsed is None and response.content == b"", f"{status} has a body: {body}"
        return None
    assert isinstance(parsed, model), f"{status} parsed as {type(parsed).__name__}, not {model.__name__}"
    undeclared = getattr(parsed, "additional_properties", {})
    assert not undeclared, f"{model.__name__} lacks the fields {sorted(undeclared)}: {body}"
    assert parsed.to_dict() == json.loads(response.content), f"{model.__name__} does not hold all of {body}"
    return parsed


def main(url, key):
    client = AuthenticatedClient(
        base_url=url,
        token=key,
        prefix="",
        auth_header_name="x-api-key",
        raise_on_unexpected_status=True,
    )
    widget = NewItem(
        name="Widget",
        email="owner@example.com",
        attributes=Attributes.from_dict({"color": "blue"}),
    )

    # Create with an Idempotency-Key; a retry replays it, another body under the key is 422.
    created = create_item.sync_detailed(client=client, body=widget, idempotency_key="readme-widget")
    item = typed(created, 201, Item)
    assert (item.name, item.version, item.status) == ("Widget", 1, Status.ACTIVE)
    assert item.attributes.to_dict() == {"color": "blue"}
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith(f"/items/{item.id}")
    replay = create_item.sync_detailed(client=client, body=widget, idempotency_key="readme-widget")
    assert typed(replay, 201, Item) == item
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = NewItem(name="Gadget", email="owner@example.com")
    reused = typed(
        create_item.sync_detailed(client=client, body=other, idempotency_key="readme-widget"),
        422,
        ErrorIdempotencyKeyReused,
    )
    assert reused.code == ErrorIdempotencyKeyReusedCode.IDEMPOTENCY_KEY_REUSED

    # List by e-mail, get (and 304 for the version the caller has), list by status with a limit.
    by_email = typed(list_items.sync_detailed(client=client, email="owner@example.com"), 200, ItemPage)
    assert by_email.items == [item] and by_email.count == 1
    assert typed(get_item.sync_detailed(item.id, client=client), 200, Item) == item
    typed(get_item.sync_detailed(item.id, client=client, if_none_match='"1"'), 304, None)
    active = typed(list_items.sync_detailed(client=client, status=Status.ACTIVE, limit=5), 200, ItemPage)
    assert item in active.items and active.count == len(active.items) <= 5

    # Projection and a date range (the instant it was created, both bounds inclusive).
    projected = typed(get_item.sync_detailed(item.id, client=client, fields="name,status"), 200, ProjectedItem)
    assert (projected.id, projected.version, projected.name, projected.status) == (item.id, 1, "Widget", Status.ACTIVE)
    ranged = typed(
        list_items.sync_detailed(client=client, created_from=item.created_at, created_to=item.created_at),
        200,
        ItemPage,
    )
    assert item in ranged.items

    # A batch: a create, then a delete of it at a stale version (409, nothing written), then at its own.
    gadget = BatchCreate(op=BatchCreateOp.CREATE, item=NewItem(name="Gadget", email="gadget@example.com"))
    created = typed(batch_items.sync_detailed(client=client, body=BatchRequest(operations=[gadget])), 200, BatchResults)
    assert created.results[0].status == BatchResultStatus.VALUE_201
    gadget_id = created.results[0].item.id
    stale = BatchDelete(op=BatchDeleteOp.DELETE, id=gadget_id, if_match=7)
    canceled = typed(
        batch_items.sync_detailed(client=client, body=BatchRequest(operations=[stale])), 409, ErrorTransactionCanceled
    )
    assert canceled.code == ErrorTransactionCanceledCode.TRANSACTION_CANCELED
    assert [(f.index, f.code, f.current_version) for f in canceled.failures] == [
        (0, OperationFailureCode.PRECONDITION_FAILED, 1)
    ]
    current = BatchDelete(op=BatchDeleteOp.DELETE, id=gadget_id, if_match=1)
    deleted = typed(batch_items.sync_detailed(client=client, body=BatchRequest(operations=[current])), 200, BatchResults)
    assert deleted.results[0].status == BatchResultStatus.VALUE_204

    # Bad input: a field, a query parameter, a cursor, an empty update, a body over 256 KB.
    invalid = typed(
        create_item.sync_detailed(client=client, body=NewItem(name="Widget", email="not-an-address")),
        400,
        ErrorBadRequest,
    )
    assert invalid.code == ErrorBadRequestCode.VALIDATION_FAILED
    assert [f.field for f in invalid.fields] == ["email"]
    bad_limit = typed(list_items.sync_detailed(client=client, limit=0), 400, ErrorBadRequest)
    assert bad_limit.code == ErrorBadRequestCode.INVALID_QUERY_PARAMETER
    forged = typed(list_items.sync_detailed(client=client, last_key="forged"), 400, ErrorBadRequest)
    assert forged.code == ErrorBadRequestCode.INVALID_CURSOR
    empty = typed(update_item.sync_detailed(item.id, client=client, body=ItemPatch()), 400, ErrorBadRequest)
    assert empty.code == ErrorBadRequestCode.VALIDATION_FAILED
    huge = ItemPatch(description="d" * 300 * 1024)
    too_large = typed(update_item.sync_detailed(item.id, client=client, body=huge), 413, ErrorPayloadTooLarge)
    assert too_large.code == ErrorPayloadTooLargeCode.PAYLOAD_TOO_LARGE

    # Update at the version read; the same If-Match again is stale: 412 naming the current one.
    inactive = ItemPatch(status=Status.INACTIVE)
    updated = typed(update_item.sync_detailed(item.id, client=client, body=inactive, if_match='"1"'), 200, Item)
    assert (updated.id, updated.version, updated.status) == (item.id, 2, Status.INACTIVE)
    for stale in (
        update_item.sync_detailed(item.id, client=client, body=inactive, if_match='"1"'),
        delete_item.sync_detailed(item.id, client=client, if_match='"1"'),
    ):
        conflict = typed(stale, 412, ErrorPreconditionFailed)
        assert conflict.code == ErrorPreconditionFailedCode.PRECONDITION_FAILED
        assert conflict.current_version == 2

    # Delete at the current version; then the item is gone.
    typed(delete_item.sync_detailed(item.id, client=client, if_match='"2"'), 204, None)
    for gone in (
        get_item.sync_detailed(item.id, client=client),
        delete_item.sync_detailed(item.id, client=client),
        update_item.sync_detailed(uuid.uuid4(), client=client, body=inactive),
    ):
        assert typed(gone, 404, ErrorNotFound).code == ErrorNotFoundCode.ITEM_NOT_FOUND

    # Without the key, API Gateway answers itself.
    anonymous = Client(base_url=url, raise_on_unexpected_status=True)
    forbidden = typed(list_items.sync_detailed(client=anonymous), 403, GatewayError)
    assert forbidden.message == "Forbidden"

    print(f"contract flow (generated Python client): {checked} responses, each parsed into its declared type")


if __name__ == "__main__":
    main(*sys.argv[1:])
