//! What both Lambda functions set up the same way at start: JSON logs and the AWS SDK
//! configuration (retries, timeouts, endpoints from the standard environment), and the
//! connections opened during init.
//!
//! Both use mimalloc as their allocator: glibc's malloc and free were about a tenth of a
//! warm request's CPU, and mimalloc cut a warm `GET /items/{id}`'s instructions by 14 %
//! (654k → 561k, callgrind; issue #13).

pub mod aws;
pub mod logs;
pub mod trust;
pub mod warm;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
