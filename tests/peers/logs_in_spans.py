"""Logs written by the real OpenTelemetry Python SDK inside spans, for tests/logs.rs and e2e.rs.

Usage: python logs_in_spans.py OUT [json|proto]
json (the default): one OTLP JSON Lines file OUT, the way a Collector file exporter serving a
traces and a logs pipeline writes it: the spans (encode_spans → MessageToJson) on one line, the
log records (encode_logs → MessageToJson) on the next.
proto: the two protobuf messages as OTLP/HTTP bodies, OUT-spans.binpb and OUT-logs.binpb.
Prints, as JSON, what the SDK itself says it emitted (its in-memory exporters), for the test to
compare with what weft reads back.
"""

import json
import logging
import sys

from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

out = sys.argv[1]
resource = Resource.create({"service.name": "checkout"})
spans = InMemorySpanExporter()
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
tracer = tracer_provider.get_tracer("weft.tests")

logs = InMemoryLogRecordExporter()
logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
otel_logger = logger_provider.get_logger("weft.tests")
# Python's own logging, bridged as applications do it.
py_logger = logging.getLogger("checkout")
py_logger.propagate = False
py_logger.setLevel(logging.DEBUG)
py_logger.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=logger_provider))

with tracer.start_as_current_span("POST /checkout"):
    py_logger.info("checkout started", extra={"cart.items": 3})
    with tracer.start_as_current_span("charge card"):
        py_logger.warning("card needs 3-D Secure", extra={"card.brand": "visa", "retry": False})
        otel_logger.emit(
            severity_number=SeverityNumber.ERROR,
            severity_text="ERROR",
            body={"message": "card declined", "code": 51, "tags": ["fraud", "limit"]},
            attributes={"payment.provider": "acme", "amount": 12.5},
        )
    with tracer.start_as_current_span("send receipt"):
        py_logger.debug("receipt queued")
py_logger.error("no span around this one")

tracer_provider.shutdown()
logger_provider.shutdown()

finished_spans = spans.get_finished_spans()
finished_logs = logs.get_finished_logs()
messages = (encode_spans(finished_spans), encode_logs(finished_logs))
if (sys.argv[2:] or ["json"])[0] == "proto":
    for suffix, message in zip(("-spans.binpb", "-logs.binpb"), messages):
        with open(out + suffix, "wb") as f:
            f.write(message.SerializeToString())
else:
    with open(out, "w") as f:
        for message in messages:
            f.write(json.dumps(json.loads(json_format.MessageToJson(message))) + "\n")


def hex_or_none(value, digits):
    return format(value, f"0{digits}x") if value else None


expected = {
    "spans": {format(s.context.span_id, "016x"): s.name for s in finished_spans},
    "logs": [
        {
            "trace_id": hex_or_none(r.log_record.trace_id, 32),
            "span_id": hex_or_none(r.log_record.span_id, 16),
            "severity_number": r.log_record.severity_number.value,
            "severity_text": r.log_record.severity_text,
            "body": r.log_record.body,
            "attributes": dict(r.log_record.attributes or {}),
            # OTLP readers take the observed time when a record has no time of its own.
            "time_unix_nano": r.log_record.timestamp or r.log_record.observed_timestamp,
        }
        for r in finished_logs
    ],
}
print(json.dumps(expected))
