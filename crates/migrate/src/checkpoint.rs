//! Where a run stands, per scan segment, in a JSON file: the `LastEvaluatedKey` after which
//! the segment continues, whether it is done, and the tally of the pages before that key.
//! A page is recorded only after all its writes completed, so a rerun continues after the
//! last recorded page; the items of a page that was under way when a run stopped are read
//! again and found already there (the puts are conditional). Saved by writing a new file
//! and renaming it over the old one, so a run killed at any moment leaves a whole file.

use std::{
    collections::HashMap,
    fs, io,
    path::{Path, PathBuf},
};

use aws_sdk_dynamodb::{primitives::Blob, types::AttributeValue};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};

use crate::tally::Tally;

/// A scan position: the key attributes of the last item read.
pub type ScanKey = HashMap<String, AttributeValue>;

/// A key attribute in DynamoDB's JSON form (`{"S": "item1"}`): keys are strings, numbers
/// or binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyValue {
    S(String),
    N(String),
    /// Base64, as DynamoDB JSON has it.
    B(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentProgress {
    /// Continue after this key; `None` with `done` false: from the start.
    pub next_key: Option<HashMap<String, KeyValue>>,
    pub done: bool,
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub from_table: String,
    pub to_table: String,
    /// Each table's `TableId` (DescribeTable): a table deleted and created again under the
    /// same name (a stack deployed anew, `scripts/dev --in-memory` restarted) is another
    /// table, and resuming into it would skip every item the checkpoint counts as copied.
    /// Absent from checkpoints written before it was recorded, and where a server gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_table_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_table_id: Option<String>,
    /// One entry per segment (`--segments`).
    pub segments: Vec<SegmentProgress>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("reading the checkpoint {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("the checkpoint {path} is not one this tool wrote: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "the checkpoint {path} is of another run ({found}); pass the same --from-table, --to-table \
         and --segments, or remove the file (or give another --checkpoint) to start over"
    )]
    OtherRun { path: PathBuf, found: String },
    #[error(
        "the checkpoint {path} is of an earlier table {table} (TableId {then}); the table of that \
         name now is another one (TableId {now}), created since: remove the file (or give another \
         --checkpoint) to copy from the start"
    )]
    OtherTable {
        path: PathBuf,
        table: String,
        then: String,
        now: String,
    },
    #[error("writing the checkpoint {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("a scan key attribute {0:?} is not a string, number or binary")]
    Key(String),
}

/// A table by name, and by its `TableId` when the server gave one.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    pub name: &'a str,
    pub id: Option<&'a str>,
}

impl Checkpoint {
    pub fn new(from: Table, to: Table, segments: u32) -> Self {
        Self {
            from_table: from.name.into(),
            to_table: to.name.into(),
            from_table_id: from.id.map(str::to_string),
            to_table_id: to.id.map(str::to_string),
            segments: vec![SegmentProgress::default(); segments as usize],
        }
    }

    /// The checkpoint at `path` if there is one (it must be of the same run, and of the same
    /// tables where both it and the server name their ids), else a new one.
    pub fn load_or_new(
        path: &Path,
        from: Table,
        to: Table,
        segments: u32,
    ) -> Result<Self, CheckpointError> {
        let (from_table, to_table) = (from.name, to.name);
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(Self::new(from, to, segments));
            }
            Err(source) => {
                return Err(CheckpointError::Read {
                    path: path.into(),
                    source,
                });
            }
        };
        let mut found: Self =
            serde_json::from_str(&text).map_err(|source| CheckpointError::Parse {
                path: path.into(),
                source,
            })?;
        if found.from_table != from_table
            || found.to_table != to_table
            || found.segments.len() != segments as usize
        {
            return Err(CheckpointError::OtherRun {
                path: path.into(),
                found: format!(
                    "--from-table {} --to-table {} --segments {}",
                    found.from_table,
                    found.to_table,
                    found.segments.len()
                ),
            });
        }
        for (table, saved) in [
            (from, &mut found.from_table_id),
            (to, &mut found.to_table_id),
        ] {
            match (saved.as_deref(), table.id) {
                (Some(then), Some(now)) if then != now => {
                    return Err(CheckpointError::OtherTable {
                        path: path.into(),
                        table: table.name.into(),
                        then: then.into(),
                        now: now.into(),
                    });
                }
                (None, Some(now)) => *saved = Some(now.into()),
                _ => {}
            }
        }
        Ok(found)
    }

    /// Writes `path` whole: a temporary file beside it, synced, renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let write_error = |source| CheckpointError::Write {
            path: path.into(),
            source,
        };
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let text = serde_json::to_vec_pretty(self).map_err(io::Error::other);
        let file = fs::File::create(&temporary).map_err(write_error)?;
        io::Write::write_all(&mut &file, &text.map_err(write_error)?).map_err(write_error)?;
        file.sync_all().map_err(write_error)?;
        fs::rename(&temporary, path).map_err(write_error)
    }

    pub fn complete(&self) -> bool {
        self.segments.iter().all(|segment| segment.done)
    }

    pub fn tally(&self) -> Tally {
        Tally::sum(self.segments.iter().map(|segment| &segment.tally))
    }
}

/// A scan key in the checkpoint's form.
pub fn to_saved(key: &ScanKey) -> Result<HashMap<String, KeyValue>, CheckpointError> {
    key.iter()
        .map(|(name, value)| {
            let saved = match value {
                AttributeValue::S(text) => KeyValue::S(text.clone()),
                AttributeValue::N(number) => KeyValue::N(number.clone()),
                AttributeValue::B(bytes) => KeyValue::B(STANDARD.encode(bytes.as_ref())),
                _ => return Err(CheckpointError::Key(name.clone())),
            };
            Ok((name.clone(), saved))
        })
        .collect()
}

/// A saved scan key as the SDK takes it.
pub fn from_saved(saved: &HashMap<String, KeyValue>) -> Result<ScanKey, CheckpointError> {
    saved
        .iter()
        .map(|(name, value)| {
            let value = match value {
                KeyValue::S(text) => AttributeValue::S(text.clone()),
                KeyValue::N(number) => AttributeValue::N(number.clone()),
                KeyValue::B(text) => AttributeValue::B(Blob::new(
                    STANDARD
                        .decode(text)
                        .map_err(|_| CheckpointError::Key(name.clone()))?,
                )),
            };
            Ok((name.clone(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests;
