//! A function's environment on the local stack: the template's variables (resolved), the
//! SDK's standard endpoint variables pointing at the local backends, fake credentials, and a
//! CA bundle that exists on this machine (with a TLS stack's CA appended, under `--tls`). The one
//! place a function's variables are decided.

use std::path::Path;

use crate::{FunctionDefinition, aws::LOCAL_AWS_ENVIRONMENT};

/// The variable rustls-native-certs (the SDK's trust roots) reads the CA bundle from.
const CA_BUNDLE_VARIABLE: &str = "SSL_CERT_FILE";

/// Where Linux distributions keep their CA bundle (the list Go's crypto/x509 probes), Debian's
/// first.
const USUAL_CA_BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

pub fn function_environment(
    definition: &FunctionDefinition,
    dynamo_endpoint: &str,
    moto_endpoint: &str,
) -> Vec<(String, String)> {
    let mut environment: Vec<(String, String)> = definition
        .environment
        .iter()
        .filter(|(name, _)| *name != CA_BUNDLE_VARIABLE)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    environment.extend(
        LOCAL_AWS_ENVIRONMENT
            .into_iter()
            .chain([
                ("AWS_ENDPOINT_URL_DYNAMODB", dynamo_endpoint),
                ("AWS_ENDPOINT_URL_S3", moto_endpoint),
                ("AWS_ENDPOINT_URL_SNS", moto_endpoint),
                ("AWS_ENDPOINT_URL_SQS", moto_endpoint),
                // On AWS the template derives it from the stack id.
                ("CURSOR_SECRET", "local-cursor-secret"),
            ])
            .map(|(name, value)| (name.to_string(), value.to_string())),
    );
    if let Some(level) = &definition.log_level {
        environment.push(("AWS_LAMBDA_LOG_LEVEL".to_string(), level.clone()));
    }
    let users = std::env::var(CA_BUNDLE_VARIABLE)
        .ok()
        .filter(|v| !v.is_empty());
    let bundle = local_ca_bundle(
        definition
            .environment
            .get(CA_BUNDLE_VARIABLE)
            .map(String::as_str),
        users.as_deref(),
        |path| Path::new(path).is_file(),
    );
    if let Some(bundle) = bundle {
        environment.push((CA_BUNDLE_VARIABLE.to_string(), bundle));
    }
    environment
}

/// The CA bundle `environment` names.
pub(crate) fn ca_bundle(environment: &[(String, String)]) -> Option<&str> {
    environment
        .iter()
        .find(|(name, _)| name == CA_BUNDLE_VARIABLE)
        .map(|(_, value)| value.as_str())
}

/// Makes `environment` name `bundle` as its CA bundle (a TLS stack's, which trusts its CA).
pub fn set_ca_bundle(environment: &mut Vec<(String, String)>, bundle: &Path) {
    environment.retain(|(name, _)| name != CA_BUNDLE_VARIABLE);
    environment.push((CA_BUNDLE_VARIABLE.to_string(), bundle.display().to_string()));
}

/// The CA bundle a function gets here. template.yaml names the bundle of Lambda's
/// provided.al2023 image, which other machines lack (Debian keeps it in /etc/ssl/certs), and
/// the SDK's rustls setup fails on a bundle that is not there: a bundle missing on this
/// machine is replaced by this machine's own. A bundle the user set for devstack itself
/// (`SSL_CERT_FILE`, e.g. with a company CA) is what the functions get.
fn local_ca_bundle(
    template: Option<&str>,
    users: Option<&str>,
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    if let Some(users) = users {
        return Some(users.to_string());
    }
    let template = template?;
    if exists(template) {
        return Some(template.to_string());
    }
    USUAL_CA_BUNDLES
        .into_iter()
        .find(|bundle| exists(bundle))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AL2023: &str = "/etc/pki/tls/certs/ca-bundle.crt";
    const DEBIAN: &str = "/etc/ssl/certs/ca-certificates.crt";

    #[test]
    fn a_ca_bundle_missing_here_becomes_this_machines_and_the_users_own_wins() {
        let debian = |path: &str| path == DEBIAN;
        assert_eq!(
            local_ca_bundle(Some(AL2023), None, debian).as_deref(),
            Some(DEBIAN)
        );
        let amazon_linux = |path: &str| path == AL2023;
        assert_eq!(
            local_ca_bundle(Some(AL2023), None, amazon_linux).as_deref(),
            Some(AL2023),
            "a bundle that exists is kept"
        );
        let alpine = |path: &str| path == "/etc/ssl/cert.pem";
        assert_eq!(
            local_ca_bundle(Some(AL2023), None, alpine).as_deref(),
            Some("/etc/ssl/cert.pem")
        );
        assert_eq!(
            local_ca_bundle(Some(AL2023), Some("/home/me/company-ca.pem"), debian).as_deref(),
            Some("/home/me/company-ca.pem"),
            "the user's SSL_CERT_FILE is kept"
        );
        assert_eq!(local_ca_bundle(Some(AL2023), None, |_| false), None);
        assert_eq!(local_ca_bundle(None, None, debian), None);
    }

    #[test]
    fn the_workspace_templates_functions_get_a_bundle_that_exists_here() {
        let template = crate::Template::workspace().unwrap();
        let names = crate::LocalNames::new();
        for definition in template.functions(&names).unwrap() {
            let environment = function_environment(&definition, "http://d", "http://m");
            let bundles: Vec<&String> = environment
                .iter()
                .filter(|(name, _)| name == CA_BUNDLE_VARIABLE)
                .map(|(_, value)| value)
                .collect();
            match bundles.as_slice() {
                [bundle] => assert!(Path::new(bundle).is_file(), "{bundle}"),
                other => panic!("{}: {other:?}", definition.logical_id),
            }
        }
    }
}
