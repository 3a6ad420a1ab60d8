"""Tests of server.py's patch, in-process (moto's mock_aws), run by `cargo test -p devstack`.

A send must not read the clock of the messages already queued (what made sending O(queue
depth)), whether a client sends or SNS delivers to a subscribed queue, and the counts
GetQueueAttributes answers must stay exact.
"""

import os
import sys
import unittest

os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.sqs import models  # noqa: E402

import server  # noqa: E402

server.patch()


class ClockReads:
    """Counts `Message.visible` and `Message.delayed` reads, the per-message work of a count."""

    def __enter__(self):
        self.reads = 0
        self.saved = {name: getattr(models.Message, name) for name in ("visible", "delayed")}
        for name, prop in self.saved.items():
            setattr(models.Message, name, property(self._counted(prop)))
        return self

    def _counted(self, prop):
        def get(message):
            self.reads += 1
            return prop.fget(message)

        return get

    def __exit__(self, *_):
        for name, prop in self.saved.items():
            setattr(models.Message, name, prop)


def counts(sqs, url):
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return tuple(int(attributes[name]) for name in names)


class SendsDoNotCountTheQueue(unittest.TestCase):
    def setUp(self):
        self.mock = mock_aws()
        self.mock.start()
        self.sqs = boto3.client("sqs")
        self.sns = boto3.client("sns")
        self.url = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        for batch in range(20):
            entries = [{"Id": str(i), "MessageBody": f"{batch}-{i}"} for i in range(10)]
            self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)

    def tearDown(self):
        self.mock.stop()

    def test_a_send_reads_no_queued_message(self):
        with ClockReads() as clock:
            self.sqs.send_message(QueueUrl=self.url, MessageBody="one more")
        self.assertEqual(clock.reads, 0)

    def test_an_sns_delivery_reads_no_queued_message(self):
        topic = self.sns.create_topic(Name="notifications")["TopicArn"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        entries = [{"Id": str(i), "Message": f"change {i}"} for i in range(10)]
        with ClockReads() as clock:
            self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        self.assertEqual(clock.reads, 0)
        self.assertEqual(counts(self.sqs, self.url), (210, 0, 0))

    def test_counts_stay_exact(self):
        self.sqs.send_message(QueueUrl=self.url, MessageBody="later", DelaySeconds=60)
        received = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=5, VisibilityTimeout=60)
        self.assertEqual(len(received["Messages"]), 5)
        self.assertEqual(counts(self.sqs, self.url), (195, 5, 1))


if __name__ == "__main__":
    unittest.main()
