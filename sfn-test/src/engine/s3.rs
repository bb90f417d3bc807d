//! The virtual Amazon S3 a scenario provides: the objects a Distributed Map's `ItemReader`
//! reads and a `ResultWriter` writes. In memory, per execution: every run starts from the
//! scenario's objects, so runs stay deterministic.

use std::collections::BTreeMap;

use md5::Digest as _;
use serde_json::{Value, json};

use crate::clock::Millis;

/// One object in the virtual S3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Object {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The body, as text.
    pub body: String,
    /// When it was put, on the virtual clock (milliseconds since the epoch).
    pub last_modified: Millis,
}

impl S3Object {
    /// The object's ETag as S3 gives it for a single-part upload: the MD5 of the body in hex,
    /// in double quotes.
    pub fn etag(&self) -> String {
        let digest = md5::Md5::digest(self.body.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    }

    /// The item an `s3:listObjectsV2` reader gives for this object (AWS docs, "ItemReader
    /// (Map)", listing objects: `Etag`, `Key`, `LastModified` in epoch seconds, `Size`,
    /// `StorageClass`; conformance `scenarios...test_map_item_reader_base_list_objects_v2`).
    pub(crate) fn list_item(&self) -> Value {
        json!({
            "Etag": self.etag(),
            "Key": self.key,
            "LastModified": self.last_modified.div_euclid(1000),
            "Size": self.body.len(),
            "StorageClass": "STANDARD",
        })
    }
}

/// Objects by (bucket, key): S3 lists keys in UTF-8 byte order, which is `String`'s order.
pub(crate) type S3Objects = BTreeMap<(String, String), S3Object>;
