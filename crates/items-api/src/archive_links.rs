//! `archive_url` of `GET /items/{id}/versions/{version}`: a presigned S3 GET of the version's
//! archive object, valid for 15 minutes. Signed here with `aws-sigv4` (SigV4, query-string
//! signature, `UNSIGNED-PAYLOAD`), as the S3 SDK's presigner does, without linking the S3
//! client into the function for one URL. The role's `s3:GetObject` on `backups/*` is what the
//! URL carries; signing itself calls nothing.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::{
    http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
        SigningSettings, UriPathNormalizationMode, sign,
    },
    sign::v4,
};
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ApiError;

/// How long an `archive_url` works.
pub const EXPIRES_IN: Duration = Duration::from_secs(15 * 60);

/// RFC 3986's unreserved characters stay, everything else is %XX: SigV4's encoding.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Signs archive URLs for one bucket. Built once at start.
#[derive(Clone)]
pub struct ArchiveLinks {
    bucket: String,
    region: String,
    /// `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`): a local S3 (moto), addressed path style.
    endpoint: Option<String>,
    identity: Identity,
}

impl std::fmt::Debug for ArchiveLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveLinks")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl ArchiveLinks {
    pub fn new(
        bucket: impl Into<String>,
        region: impl Into<String>,
        endpoint: Option<String>,
        credentials: Credentials,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            region: region.into(),
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_string()),
            identity: credentials.into(),
        }
    }

    /// The S3 endpoint override by the SDK's own variables, service-specific first.
    pub fn endpoint_from(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
        ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .into_iter()
            .find_map(|name| lookup(name).filter(|url| !url.is_empty()))
    }

    /// A GET of `key`, signed at `now`, valid for [`EXPIRES_IN`].
    pub fn url(&self, key: &str, now: SystemTime) -> Result<String, ApiError> {
        let path: Vec<String> = key
            .split('/')
            .map(|segment| utf8_percent_encode(segment, UNRESERVED).to_string())
            .collect();
        let path = path.join("/");
        let object = match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/{}/{path}", self.bucket),
            None => format!(
                "https://{}.s3.{}.amazonaws.com/{path}",
                self.bucket, self.region
            ),
        };
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(EXPIRES_IN);
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| ApiError::Internal(format!("presigning: {e}")))?
            .into();
        let request = SignableRequest::new(
            "GET",
            &object,
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| ApiError::Internal(format!("presigning: {e}")))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| ApiError::Internal(format!("presigning: {e}")))?
            .into_parts();
        let query: Vec<String> = instructions
            .params()
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, UNRESERVED)))
            .collect();
        Ok(format!("{object}?{}", query.join("&")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(endpoint: Option<&str>, token: Option<&str>) -> ArchiveLinks {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
            None,
            "test",
        );
        ArchiveLinks::new(
            "archive",
            "eu-west-1",
            endpoint.map(str::to_owned),
            credentials,
        )
    }

    #[test]
    fn aws_urls_are_virtual_hosted_and_signed_in_the_query() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let url = links(None, None)
            .url("backups/2023/11/14/a b/v2.json", at)
            .unwrap();
        let (object, query) = url.split_once('?').unwrap();
        assert_eq!(
            object,
            "https://archive.s3.eu-west-1.amazonaws.com/backups/2023/11/14/a%20b/v2.json"
        );
        let params: Vec<(&str, &str)> = query
            .split('&')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-Expires",
                "X-Amz-SignedHeaders",
                "X-Amz-Signature"
            ]
        );
        assert!(params.contains(&("X-Amz-Expires", "900")));
        assert!(params.contains(&(
            "X-Amz-Credential",
            "AKIDEXAMPLE%2F20231114%2Feu-west-1%2Fs3%2Faws4_request"
        )));
        assert!(params.contains(&("X-Amz-SignedHeaders", "host")));
    }

    #[test]
    fn a_local_endpoint_is_path_style_and_a_session_token_is_signed_along() {
        let url = links(Some("http://127.0.0.1:5000/"), Some("token/+="))
            .url("backups/k.json", SystemTime::now())
            .unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:5000/archive/backups/k.json?"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Security-Token=token%2F%2B%3D"), "{url}");
    }

    #[test]
    fn the_endpoint_follows_the_sdk_variables() {
        let only = |name: &'static str, value: &'static str| {
            move |n: &str| (n == name).then(|| value.to_string())
        };
        assert_eq!(
            ArchiveLinks::endpoint_from(only("AWS_ENDPOINT_URL_S3", "http://s3")),
            Some("http://s3".into())
        );
        assert_eq!(
            ArchiveLinks::endpoint_from(only("AWS_ENDPOINT_URL", "http://all")),
            Some("http://all".into())
        );
        assert_eq!(
            ArchiveLinks::endpoint_from(only("AWS_ENDPOINT_URL", "")),
            None
        );
    }
}
