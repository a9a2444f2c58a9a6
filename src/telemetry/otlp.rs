//! Span export over OTLP/HTTP with JSON bodies, off unless `[telemetry]
//! otlp_endpoint` is set.
//!
//! Each service holds its own tracer provider (not a process-wide one), like its
//! metrics registry, so several services in one process export apart. Spans are
//! queued and sent in batches by the SDK's batch processor: recording a span never
//! waits for the collector, the queue is bounded (spans past it are dropped and
//! counted by the SDK, never held), and [`SpanExport::shutdown`] sends what is
//! queued before the service exits.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider,
};

use crate::config::TelemetrySettings;

/// Spans waiting for export at most; past it new spans are dropped, so a
/// collector that is down costs bounded memory.
const MAX_QUEUED_SPANS: usize = 4096;
/// Spans in one export request at most.
const MAX_BATCH: usize = 512;
/// How long one export request may take, connection included.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The service's span export: a tracer when an endpoint is configured, else none.
pub struct SpanExport {
    provider: Option<SdkTracerProvider>,
    tracer: Option<SdkTracer>,
}

impl SpanExport {
    /// No export: no tracer, no background task.
    pub fn disabled() -> Self {
        Self {
            provider: None,
            tracer: None,
        }
    }

    /// Starts export to `settings.otlp_endpoint`, or nothing when it is empty. Must
    /// be called within the Tokio runtime, which carries the export requests. The
    /// error names the setting at fault.
    pub fn start(settings: &TelemetrySettings) -> Result<Self, String> {
        let base = settings.otlp_endpoint.trim();
        if base.is_empty() {
            return Ok(Self::disabled());
        }
        let url = traces_url(base)?;
        let http = reqwest::Client::builder()
            .timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| format!("telemetry.otlp_endpoint: no HTTP client: {e}"))?;
        let client = RuntimeClient {
            http,
            runtime: tokio::runtime::Handle::try_current()
                .map_err(|_| "telemetry: span export needs the Tokio runtime".to_string())?,
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(url.as_str())
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(client)
            .build()
            .map_err(|e| format!("telemetry.otlp_endpoint: {e}"))?;
        let batches = BatchConfigBuilder::default()
            .with_max_queue_size(MAX_QUEUED_SPANS)
            .with_max_export_batch_size(MAX_BATCH)
            .with_scheduled_delay(settings.otlp_export_interval)
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(
                BatchSpanProcessor::builder(exporter)
                    .with_batch_config(batches)
                    .build(),
            )
            .with_resource(
                Resource::builder_empty()
                    .with_service_name("careflow")
                    .build(),
            )
            .build();
        let tracer = provider.tracer("careflow");
        tracing::info!(endpoint = %url, "exporting spans over OTLP");
        Ok(Self {
            provider: Some(provider),
            tracer: Some(tracer),
        })
    }

    /// The tracer spans are made with, when export is on.
    pub fn tracer(&self) -> Option<&SdkTracer> {
        self.tracer.as_ref()
    }

    /// Sends the spans still queued and stops the export task. The SDK blocks the
    /// calling thread while it flushes, so that runs off the async workers.
    pub async fn shutdown(&self) {
        let Some(provider) = self.provider.clone() else {
            return;
        };
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "spans still queued were not all exported"),
            Err(e) => tracing::warn!(error = %e, "the span flush did not finish"),
        }
    }
}

/// `base` with the OTLP traces path, after checking it is an http(s) URL.
fn traces_url(base: &str) -> Result<String, String> {
    let parsed =
        url::Url::parse(base).map_err(|e| format!("telemetry.otlp_endpoint: not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("telemetry.otlp_endpoint: must be an http or https URL".into());
    }
    Ok(format!("{}/v1/traces", base.trim_end_matches('/')))
}

/// The exporter's HTTP client: the project's `reqwest`, its requests carried by
/// the service's Tokio runtime. The SDK's batch processor runs on a thread of its
/// own, outside the runtime, so each request is spawned onto it and awaited.
#[derive(Debug)]
struct RuntimeClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for RuntimeClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let http = self.http.clone();
        let (parts, body) = request.into_parts();
        let sent = self.runtime.spawn(async move {
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        });
        let (status, headers, body) = sent.await??;
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_to_the_endpoint() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318/").unwrap(),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert!(traces_url("collector:4318").is_err());
        assert!(traces_url("ftp://collector").is_err());
    }

    #[test]
    fn no_endpoint_means_no_tracer() {
        let settings = TelemetrySettings {
            otlp_endpoint: " ".into(),
            otlp_export_interval: Duration::from_secs(5),
        };
        let export = SpanExport::start(&settings).unwrap();
        assert!(export.tracer().is_none());
    }
}
