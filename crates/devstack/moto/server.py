"""moto's server (S3, SNS, SQS) as the local stack runs it: moto, with SQS sends made O(1).

moto 5.2's SendMessage reads `Queue.attributes` to learn one flag, ContentBasedDeduplication,
and that property counts the queue's messages three times (visible, in flight, delayed), each
a pass over every message, with a clock read per message. Sending was therefore O(messages
in the queue). The local stack subscribes an inbox queue to the notifications topic, and no
one has to drain it: after a few thousand changes (a `scripts/migrate` into `scripts/dev`'s
table), each SNS PublishBatch of 10 took over a second (1.2 s at 4000 messages queued) and
went on growing, past the stream processor's 2 s attempt timeout. Its batches failed, were
re-delivered (publishing their notifications again) and dead-lettered. SQS itself does not
slow down with a queue's depth.

While a message is being sent, the three counts are not computed: they read 0, and the send
discards them. Everywhere else (GetQueueAttributes, the stack's tests) they are exact. The
moto version is pinned by scripts/install-moto; if it no longer has what is patched here,
this exits at once with the reason rather than running a server that slows down unseen.
"""

import sys
import threading

from moto.server import main
from moto.sqs import models

COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_not_visible",
    "approximate_number_of_messages_delayed",
)
_sending = threading.local()


def _not_while_sending(count):
    def get(queue):
        return 0 if getattr(_sending, "active", False) else count.fget(queue)

    return property(get, doc=count.__doc__)


def _flagged(send):
    def send_message(self, *args, **kwargs):
        _sending.active = True
        try:
            return send(self, *args, **kwargs)
        finally:
            _sending.active = False

    return send_message


def patch():
    for name in COUNTS:
        count = getattr(models.Queue, name, None)
        if not isinstance(count, property):
            sys.exit(f"moto/server.py: moto.sqs.models.Queue.{name} is not a property in this moto")
        setattr(models.Queue, name, _not_while_sending(count))
    models.SQSBackend.send_message = _flagged(models.SQSBackend.send_message)


if __name__ == "__main__":
    patch()
    sys.exit(main())
