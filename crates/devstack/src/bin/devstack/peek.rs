//! `devstack peek`: what the stream processor produced on a running `up`, the notifications
//! delivered to the queue subscribed to the topic and the archive objects.

use devstack::{BUCKET_NAME, Endpoints, LocalClients};
use serde_json::Value;

use crate::{BoxError, Location};

pub async fn run(location: &Location) -> Result<(), BoxError> {
    let stack = Endpoints::read(&location.root())?;
    let clients = LocalClients::new(&stack.dynamodb, &stack.moto);
    // Notifications first: each is published only after its archive object was written,
    // so every change shown below has its object listed after it.
    println!("notifications (read from the subscribed queue, then removed from it):");
    let queue = &stack.inbox_queue_url;
    // The first wait covers a change made a moment ago (the trigger's 1 s batching window).
    let mut wait_seconds = 2;
    loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .send()
            .await?;
        wait_seconds = 1;
        let messages = received.messages();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            // SNS → SQS delivers the SNS envelope: Subject, Message, MessageAttributes.
            let envelope: Value =
                serde_json::from_str(message.body().unwrap_or_default()).unwrap_or_default();
            println!(
                "  {}  {}",
                envelope["Subject"].as_str().unwrap_or_default(),
                envelope["Message"].as_str().unwrap_or_default()
            );
            if let Some(handle) = message.receipt_handle() {
                clients
                    .sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
    }
    println!("archive (s3://{BUCKET_NAME}):");
    let listed = clients
        .s3
        .list_objects_v2()
        .bucket(BUCKET_NAME)
        .send()
        .await?;
    for object in listed.contents() {
        println!(
            "  {}  {} bytes",
            object.key().unwrap_or_default(),
            object.size().unwrap_or_default()
        );
    }
    Ok(())
}
