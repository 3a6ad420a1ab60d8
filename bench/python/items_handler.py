"""The Python CRUD handler this product replaces (docs 000 of the original design), trimmed to
what `scripts/bench --vs` exercises: boto3 against DynamoDB, an SNS notification and an S3
backup on create. SES e-mail is left out (no local SES endpoint is involved in the Rust
service either). Run under awslambdaric by bench/python/bootstrap."""

import json
import logging
import os
import uuid
from datetime import datetime
from decimal import Decimal

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.resource("dynamodb")
s3 = boto3.client("s3")
sns = boto3.client("sns")

TABLE_NAME = os.environ["DYNAMODB_TABLE"]
BUCKET_NAME = os.environ["S3_BUCKET"]
SNS_TOPIC_ARN = os.environ["SNS_TOPIC_ARN"]


class DecimalEncoder(json.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, Decimal):
            return float(obj)
        return super().default(obj)


def lambda_handler(event, context):
    try:
        logger.info(f"Event: {json.dumps(event)}")
        method = event.get("httpMethod", "")
        if method == "GET":
            return handle_get(event)
        if method == "POST":
            return handle_post(event)
        if method == "PUT":
            return handle_put(event)
        if method == "DELETE":
            return handle_delete(event)
        return response(405, {"error": "Method not allowed"})
    except Exception as e:
        logger.exception(f"Error processing request: {e}")
        return response(500, {"error": "Internal server error"})


def handle_get(event):
    path_parameters = event.get("pathParameters") or {}
    query = event.get("queryStringParameters") or {}
    table = dynamodb.Table(TABLE_NAME)
    if "id" in path_parameters:
        found = table.get_item(Key={"id": path_parameters["id"]})
        if "Item" not in found:
            return response(404, {"error": "Item not found"})
        return response(200, found["Item"])
    scan = table.scan(Limit=int(query.get("limit", 20)))
    return response(200, {"items": scan["Items"], "count": len(scan["Items"])})


def handle_post(event):
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return response(400, {"error": "Invalid JSON in request body"})
    for field in ("name", "email"):
        if field not in body:
            return response(400, {"error": f"Missing required field: {field}"})
    now = datetime.utcnow().isoformat()
    item = {
        "id": str(uuid.uuid4()),
        "name": body["name"],
        "email": body["email"],
        "description": body.get("description", ""),
        "created_at": now,
        "updated_at": now,
        "status": "active",
    }
    dynamodb.Table(TABLE_NAME).put_item(Item=item)
    try:
        sns.publish(TopicArn=SNS_TOPIC_ARN, Message=f"New item created: {item['name']}", Subject="Lambda Function Notification")
    except Exception as e:
        logger.error(f"Failed to send notification: {e}")
    try:
        key = f"backups/{datetime.utcnow().strftime('%Y/%m/%d')}/{item['id']}.json"
        s3.put_object(Bucket=BUCKET_NAME, Key=key, Body=json.dumps(item, cls=DecimalEncoder), ContentType="application/json")
    except Exception as e:
        logger.error(f"Failed to backup to S3: {e}")
    return response(201, item)


def handle_put(event):
    item_id = (event.get("pathParameters") or {}).get("id")
    if item_id is None:
        return response(400, {"error": "Missing item ID"})
    body = json.loads(event.get("body") or "{}")
    table = dynamodb.Table(TABLE_NAME)
    if "Item" not in table.get_item(Key={"id": item_id}):
        return response(404, {"error": "Item not found"})
    expression = "SET updated_at = :timestamp"
    values = {":timestamp": datetime.utcnow().isoformat()}
    names = {}
    for key, value in body.items():
        if key not in ("id", "created_at"):
            expression += f", #{key} = :{key}"
            names[f"#{key}"] = key
            values[f":{key}"] = value
    updated = table.update_item(
        Key={"id": item_id},
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )
    return response(200, updated["Attributes"])


def handle_delete(event):
    item_id = (event.get("pathParameters") or {}).get("id")
    if item_id is None:
        return response(400, {"error": "Missing item ID"})
    table = dynamodb.Table(TABLE_NAME)
    if "Item" not in table.get_item(Key={"id": item_id}):
        return response(404, {"error": "Item not found"})
    table.delete_item(Key={"id": item_id})
    return response(200, {"message": "Item deleted successfully"})


def response(status_code, body):
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
        "body": json.dumps(body, cls=DecimalEncoder),
    }
