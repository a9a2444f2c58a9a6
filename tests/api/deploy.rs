//! The deployment files: the Kubernetes manifests under `deploy/k8s/` parse, and
//! their facts agree with the service (probes on the port it listens on, readiness
//! on `/readyz`, liveness on `/healthz`, a Job that runs `careflow migrate`, a
//! disruption budget and a Service that select the Deployment's pods); the image's
//! health check and the release build follow the same rules.

use std::path::PathBuf;

use careflow::config::Settings;
use serde_yaml::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every document of every manifest, by kind.
fn manifests() -> Vec<Value> {
    let dir = repo().join("deploy/k8s");
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("deploy/k8s exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let value = serde::Deserialize::deserialize(doc)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                docs.push(value);
            }
        }
    }
    docs
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "expected one {kind}");
    found[0]
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// Whether every label of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let selector = selector.as_mapping().expect("a selector");
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The environment a container gets from the ConfigMap, with a placeholder for
/// the database secret.
fn container_env(config_map: &Value, container: &Value) -> Vec<(String, String)> {
    assert_eq!(
        container["envFrom"][0]["configMapRef"]["name"], config_map["metadata"]["name"],
        "the container reads the ConfigMap"
    );
    let mut env: Vec<(String, String)> = config_map["data"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (str_of(k).to_string(), str_of(v).to_string()))
        .collect();
    let db = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "DATABASE_URL")
        .expect("DATABASE_URL is set");
    assert!(
        db["valueFrom"]["secretKeyRef"].is_mapping(),
        "the database address comes from a Secret"
    );
    env.push((
        "DATABASE_URL".into(),
        "postgres://db.invalid/careflow".into(),
    ));
    // The image's working directory holds config/: here, the repository's.
    env.push((
        "CAREFLOW_CONFIG_DIR".into(),
        repo().join("config").display().to_string(),
    ));
    env
}

/// The container port a probe or Service names, by name or number.
fn port_number(container: &Value, port: &Value) -> u64 {
    if let Some(n) = port.as_u64() {
        return n;
    }
    let name = str_of(port);
    container["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no container port named {name}"))["containerPort"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_kubernetes_manifests_agree_with_the_service() {
    let docs = manifests();
    let config_map = of_kind(&docs, "ConfigMap");
    let deployment = of_kind(&docs, "Deployment");
    let pod = &deployment["spec"]["template"];
    let labels = &pod["metadata"]["labels"];
    assert!(
        selects(&deployment["spec"]["selector"]["matchLabels"], labels),
        "the Deployment selects its own pods"
    );
    let container = &pod["spec"]["containers"][0];

    // The port the service listens on, read as the service reads its settings.
    let settings = Settings::from_vars(&container_env(config_map, container))
        .expect("the ConfigMap's settings load");
    assert_eq!(
        settings.server.host, "0.0.0.0",
        "reachable from the kubelet"
    );
    let listens = u64::from(settings.server.port);

    let ready = &container["readinessProbe"]["httpGet"];
    assert_eq!(ready["path"], "/readyz");
    assert_eq!(port_number(container, &ready["port"]), listens);
    let live = &container["livenessProbe"]["httpGet"];
    assert_eq!(live["path"], "/healthz");
    assert_eq!(port_number(container, &live["port"]), listens);
    let resources = &container["resources"];
    assert!(
        resources["requests"]["cpu"].is_string() && resources["requests"]["memory"].is_string()
    );
    assert!(resources["limits"]["memory"].is_string());

    let service = of_kind(&docs, "Service");
    assert!(selects(&service["spec"]["selector"], labels));
    assert_eq!(
        port_number(container, &service["spec"]["ports"][0]["targetPort"]),
        listens
    );

    let pdb = of_kind(&docs, "PodDisruptionBudget");
    assert!(
        selects(&pdb["spec"]["selector"]["matchLabels"], labels),
        "the budget protects the Deployment's pods"
    );
    let replicas = deployment["spec"]["replicas"].as_u64().unwrap();
    let min = pdb["spec"]["minAvailable"].as_u64().unwrap();
    assert!(min >= 1 && min < replicas, "a drain can still proceed");

    let job = of_kind(&docs, "Job");
    let migrate = &job["spec"]["template"]["spec"]["containers"][0];
    let argv: Vec<&str> = ["command", "args"]
        .iter()
        .filter_map(|k| migrate[*k].as_sequence())
        .flatten()
        .map(str_of)
        .collect();
    assert!(
        argv == ["careflow", "migrate"] || argv == ["migrate"],
        "the Job runs `careflow migrate`: {argv:?}"
    );
    assert_eq!(
        migrate["image"], container["image"],
        "the same image migrates"
    );
    Settings::from_vars(&container_env(config_map, migrate)).expect("the Job's settings load");
    let job_labels = &job["spec"]["template"]["metadata"]["labels"];
    assert!(
        !selects(&deployment["spec"]["selector"]["matchLabels"], job_labels),
        "the Job's pod is not counted as a replica"
    );
}

#[test]
fn the_image_checks_readiness_on_the_configured_port() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let check = dockerfile
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .nth(1)
        .expect("a HEALTHCHECK with its command");
    assert!(check.contains("${PORT}/readyz"), "{check}");
    assert!(
        dockerfile
            .lines()
            .any(|l| l.starts_with("ENV ") && l.contains("PORT=")),
        "PORT has a default in the image"
    );
}

#[test]
fn compose_builds_the_image_once() {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    let compose: Value = serde_yaml::from_str(&text).unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let careflow: Vec<_> = services
        .iter()
        .filter(|(name, _)| str_of(name) != "postgres" && str_of(name) != "nginx")
        .collect();
    assert!(careflow.len() >= 3, "migrate and two replicas");
    let built = careflow
        .iter()
        .filter(|(_, s)| s.get("build").is_some())
        .count();
    assert_eq!(built, 1, "one build");
    let image = &careflow[0].1["image"];
    assert!(
        careflow.iter().all(|(_, s)| &s["image"] == image),
        "one image"
    );
}

#[test]
fn release_builds_are_stripped() {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let release: Vec<&str> = manifest
        .lines()
        .skip_while(|l| l.trim() != "[profile.release]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .map(str::trim)
        .collect();
    assert!(release.contains(&"strip = true"), "{release:?}");
}

#[test]
fn nginx_skips_a_stopped_replica() {
    let conf = std::fs::read_to_string(repo().join("config/nginx.conf")).unwrap();
    let servers: Vec<&str> = conf
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("server careflow-"))
        .collect();
    assert_eq!(servers.len(), 2);
    assert!(
        servers
            .iter()
            .all(|s| s.contains("max_fails=") && s.contains("fail_timeout=")),
        "{servers:?}"
    );
    let locations = conf.matches("proxy_pass http://careflow;").count();
    let next: Vec<&str> = conf
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("proxy_next_upstream "))
        .collect();
    assert_eq!(
        next.len(),
        locations,
        "every location moves on to the next replica"
    );
    assert!(
        next.iter()
            .all(|l| l.contains("error") && l.contains("timeout") && !l.contains("non_idempotent")),
        "{next:?}"
    );
}

#[test]
fn nginx_keeps_metrics_off_the_public_port() {
    let conf = std::fs::read_to_string(repo().join("config/nginx.conf")).unwrap();
    let block: String = conf
        .split("location = /metrics {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or_else(|| panic!("no exact location for /metrics in {conf}"))
        .to_string();
    assert_eq!(block.trim(), "return 404;", "{block}");
}
