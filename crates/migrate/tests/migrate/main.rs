//! `scripts/migrate`'s binary against a local DynamoDB: a table filled the way the original
//! service and its tools fill it, copied into this stack's table, every item accounted for.

mod copy;
mod dry_run;
mod faults;
mod recreated;
mod support;
