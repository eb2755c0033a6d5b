"""Real span senders for tests/listen.rs: the OpenTelemetry Python SDK's exporters (Zipkin JSON,
OTLP/HTTP protobuf, OTLP/gRPC) and Datadog's ddtrace, each sending spans with parents and with
links to spans that other clients sent over other protocols.

Usage: send.py CONFIG_JSON. CONFIG_JSON has the receivers' URLs and the spans the JS peer sent:
  {"zipkin": URL, "otlp_http": URL, "otlp_grpc": "host:port", "js": {"spans": [...]}}
(DD_TRACE_AGENT_URL must be set by the caller, before ddtrace is imported.)

Prints {"results": {client: "success"|"failure"}, "spans": [...]} on stdout, where "spans" lists
every span sent by a client whose exporter reported success: trace_id (32 hex), span_id (16 hex),
parent_id, service, name, links [{trace_id, span_id}].
"""

import json
import sys

from opentelemetry import trace as otel
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags

config = json.loads(sys.argv[1])
results = {}
sent = []


class Checked(SpanExporter):
    """Forwards to the real exporter and remembers whether every export succeeded."""

    def __init__(self, name, inner):
        self.name, self.inner = name, inner
        results.setdefault(name, "success")

    def export(self, spans):
        result = self.inner.export(spans)
        if result != SpanExportResult.SUCCESS:
            results[self.name] = "failure"
        return result

    def shutdown(self):
        self.inner.shutdown()


def hex_ids(ctx):
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


def record(client, service, name, span, parent=None, links=()):
    trace_id, span_id = hex_ids(span.get_span_context())
    sent.append({
        "client": client, "trace_id": trace_id, "span_id": span_id,
        "parent_id": hex_ids(parent.get_span_context())[1] if parent else None,
        "service": service, "name": name,
        "links": [{"trace_id": t, "span_id": s} for t, s in links],
    })


def otel_tracer(client, service, exporter):
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(Checked(client, exporter)))
    return provider, provider.get_tracer("weft-peer")


def link_to(span):
    trace_id, span_id = span["trace_id"], span["span_id"]
    ctx = SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True, trace_flags=TraceFlags(1))
    return Link(ctx), (trace_id, span_id)


def otel_pair(client, service, exporter, root_name, child_name, kind, links_to):
    """A root span (with links to `links_to`) and one child, sent through `exporter`."""
    provider, tracer = otel_tracer(client, service, exporter)
    links = [link_to(s) for s in links_to]
    root = tracer.start_span(root_name, kind=kind, links=[l for l, _ in links])
    child = tracer.start_span(child_name, context=otel.set_span_in_context(root))
    child.end()
    root.end()
    provider.shutdown()
    record(client, service, root_name, root, links=[ids for _, ids in links])
    record(client, service, child_name, child, parent=root)
    return [s for s in sent if s["client"] == client]


js_root, js_child = config["js"]["spans"]

# Zipkin v2 JSON (the OTel Zipkin exporter sends no links: its spans are link targets).
zipkin = otel_pair("zipkin", "zipkin-inventory", ZipkinExporter(endpoint=config["zipkin"]),
                   "GET /inventory", "SELECT stock", SpanKind.SERVER, [])

# Datadog: the real tracer, over the trace-agent API (v0.5 msgpack by default). The root links to
# the JS producer (OTLP/HTTP JSON), the child to the Zipkin child.
from ddtrace.trace import Context, tracer as dd  # noqa: E402  (DD_TRACE_AGENT_URL is read at import)

with dd.trace("billing.charge", service="dd-billing") as dd_root:
    dd_root.link_span(Context(trace_id=int(js_child["trace_id"], 16), span_id=int(js_child["span_id"], 16)),
                      {"messaging.operation": "process"})
    with dd.trace("stripe.request", service="dd-billing") as dd_child:
        dd_child.link_span(Context(trace_id=int(zipkin[1]["trace_id"], 16), span_id=int(zipkin[1]["span_id"], 16)))
dd.flush()
dd.shutdown()
results["datadog"] = "success"
for span, parent, link in ((dd_root, None, js_child), (dd_child, dd_root, zipkin[1])):
    sent.append({
        "client": "datadog", "trace_id": f"{span.trace_id:032x}", "span_id": f"{span.span_id:016x}",
        "parent_id": f"{parent.span_id:016x}" if parent else None,
        "service": "dd-billing", "name": span.name,
        "links": [{"trace_id": link["trace_id"], "span_id": link["span_id"]}],
    })
dd_root_sent = sent[-2]

# OTLP/HTTP protobuf, gzip: a producer linking to the Datadog root.
http = otel_pair("otlp-http", "py-producer",
                 HttpExporter(endpoint=config["otlp_http"], compression=HttpCompression.Gzip),
                 "send message", "serialize", SpanKind.PRODUCER, [dd_root_sent])

# OTLP/gRPC, gzip: a consumer linking to the HTTP producer and to the JS server span.
from opentelemetry.exporter.otlp.proto.grpc.exporter import Compression as GrpcCompression  # noqa: E402

otel_pair("otlp-grpc", "py-consumer",
          GrpcExporter(endpoint=config["otlp_grpc"], insecure=True, compression=GrpcCompression.Gzip),
          "receive message", "handle message", SpanKind.CONSUMER, [http[0], js_root])

delivered = [s for s in sent if results[s["client"]] == "success"]
print(json.dumps({"results": results, "spans": delivered}))
