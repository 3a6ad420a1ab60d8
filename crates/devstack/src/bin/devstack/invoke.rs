//! `devstack invoke FUNCTION EVENT.json`: the Docker-free `sam local invoke`, run against the
//! backends of a running `up`.

use std::path::PathBuf;

use devstack::{
    Endpoints, FunctionConfig, FunctionHost, Output, Template, function_environment, set_ca_bundle,
};
use serde_json::Value;

use crate::{BoxError, Location, cpu::CpuFlags};

#[derive(clap::Args)]
pub struct Invoke {
    /// ItemsApiFunction, StreamProcessorFunction, or its binary's name
    function: String,
    /// The event, e.g. events/create-item.json
    event: PathBuf,
    #[command(flatten)]
    cpu: CpuFlags,
}

impl Invoke {
    pub async fn run(self, location: &Location) -> Result<(), BoxError> {
        let root = location.root();
        let stack = Endpoints::read(&root)?;
        let template = Template::load(&root.join("template.yaml"))?;
        let definition = template
            .functions(&stack.names)?
            .into_iter()
            .find(|f| f.logical_id == self.function || f.binary == self.function)
            .ok_or_else(|| format!("no function {} in template.yaml", self.function))?;
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&self.event)?)?;
        // Over HTTPS when `up` serves the functions so (--tls).
        let environment = match &stack.tls {
            None => function_environment(&definition, &stack.dynamodb, &stack.moto),
            Some(tls) => {
                let mut environment = function_environment(&definition, &tls.dynamodb, &tls.moto);
                set_ca_bundle(&mut environment, &tls.ca_bundle);
                environment
            }
        };
        let host = FunctionHost::start(FunctionConfig {
            name: definition.binary.clone(),
            binary: location.binaries().join(&definition.binary),
            environment,
            timeout: definition.timeout,
            memory_mb: self.cpu.memory().unwrap_or(definition.memory_mb),
            cpu_cap: self.cpu.cap(),
            output: Output::Prefixed,
        })
        .await?;
        let result = host.invoke(event).await;
        host.stop();
        // Give the process a moment to be killed and its cgroup removed before the runtime
        // goes (as `up` does).
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let response = result?;
        println!("{}", serde_json::to_string_pretty(&response)?);
        Ok(())
    }
}
