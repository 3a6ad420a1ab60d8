//! A function's environment on the local stack: the template's variables (resolved), the
//! SDK's standard endpoint variables pointing at the local backends, fake credentials, and the
//! CA bundle its template names, if any (under `--tls`, with the stack's CA appended, or that
//! CA alone). The one place a function's variables are decided.

use std::path::Path;

use crate::{FunctionDefinition, aws::LOCAL_AWS_ENVIRONMENT};

/// The variable a TLS stack reads a CA file from (for these functions: extra CAs, added to
/// their compiled-in roots; `lambda_support::trust`).
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
    let bundle = local_ca_bundle(
        definition
            .environment
            .get(CA_BUNDLE_VARIABLE)
            .map(String::as_str),
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

/// The CA bundle a function gets here: the one its template names, as on Lambda, where a
/// function whose template names none reads no file (this project's functions trust
/// compiled-in roots, `SSL_CERT_FILE` adding to them). A bundle named for Lambda's
/// provided.al2023 image (/etc/pki/tls/certs) that this machine lacks becomes this machine's
/// own. Not the `SSL_CERT_FILE` devstack itself runs with: that is for the user's tools, and
/// the functions reach only local endpoints; handed on, it made every function here parse the
/// machine's whole bundle (~145 certificates, about 2.8 ms of items-api's init) that it never
/// reads on Lambda.
fn local_ca_bundle(template: Option<&str>, exists: impl Fn(&str) -> bool) -> Option<String> {
    let template = template?;
    if exists(template) {
        return Some(template.to_string());
    }
    machine_ca_bundle_among(exists).map(str::to_string)
}

/// This machine's CA bundle, where its distribution keeps it.
pub fn machine_ca_bundle() -> Option<&'static str> {
    machine_ca_bundle_among(|path| Path::new(path).is_file())
}

fn machine_ca_bundle_among(exists: impl Fn(&str) -> bool) -> Option<&'static str> {
    USUAL_CA_BUNDLES.into_iter().find(|bundle| exists(bundle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AL2023: &str = "/etc/pki/tls/certs/ca-bundle.crt";
    const DEBIAN: &str = "/etc/ssl/certs/ca-certificates.crt";

    #[test]
    fn a_ca_bundle_the_template_names_is_kept_or_becomes_this_machines() {
        let debian = |path: &str| path == DEBIAN;
        assert_eq!(
            local_ca_bundle(Some(AL2023), debian).as_deref(),
            Some(DEBIAN)
        );
        let amazon_linux = |path: &str| path == AL2023;
        assert_eq!(
            local_ca_bundle(Some(AL2023), amazon_linux).as_deref(),
            Some(AL2023),
            "a bundle that exists is kept"
        );
        let alpine = |path: &str| path == "/etc/ssl/cert.pem";
        assert_eq!(
            local_ca_bundle(Some(AL2023), alpine).as_deref(),
            Some("/etc/ssl/cert.pem")
        );
        assert_eq!(local_ca_bundle(Some(AL2023), |_| false), None);
        assert_eq!(
            local_ca_bundle(None, debian),
            None,
            "none named, none given"
        );
    }

    /// template.yaml names no bundle, so the functions get none, whatever `SSL_CERT_FILE`
    /// the machine running devstack has (the test run's own, when it has one).
    #[test]
    fn the_workspace_templates_functions_get_no_bundle() {
        let template = crate::Template::workspace().unwrap();
        let names = crate::LocalNames::new();
        for definition in template.functions(&names).unwrap() {
            let environment = function_environment(&definition, "http://d", "http://m");
            assert_eq!(
                ca_bundle(&environment),
                None,
                "{}: {environment:?}",
                definition.logical_id
            );
        }
    }
}
