// Sends two spans (a server span and its producer child) through the real OpenTelemetry JS
// exporter, which speaks OTLP/HTTP with JSON bodies, to the URL in argv[2]. Prints what it sent
// as {"spans": [...]} on stdout, and exits non-zero if the exporter did not report success.
"use strict";
const api = require("@opentelemetry/api");
const { BasicTracerProvider, SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
const { resourceFromAttributes } = require("@opentelemetry/resources");
const { ExportResultCode } = require("@opentelemetry/core");

const url = process.argv[2];
const failures = [];
const inner = new OTLPTraceExporter({ url });
const checked = {
  export(spans, done) {
    inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) failures.push(String(result.error));
      done(result);
    });
  },
  shutdown: () => inner.shutdown(),
  forceFlush: () => inner.forceFlush(),
};
const service = "js-frontend";
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": service }),
  spanProcessors: [new SimpleSpanProcessor(checked)],
});
const tracer = provider.getTracer("weft-peer");

const root = tracer.startSpan("POST /checkout", { kind: api.SpanKind.SERVER });
const child = tracer.startSpan(
  "publish order",
  { kind: api.SpanKind.PRODUCER },
  api.trace.setSpan(api.context.active(), root),
);
child.end();
root.end();

const describe = (span, parent, name) => ({
  trace_id: span.spanContext().traceId,
  span_id: span.spanContext().spanId,
  parent_id: parent ? parent.spanContext().spanId : null,
  service,
  name,
  links: [],
});

provider.forceFlush().then(() => provider.shutdown()).then(() => {
  if (failures.length > 0) {
    console.error("the OTLP/HTTP JSON exporter failed: " + failures.join("; "));
    process.exit(1);
  }
  console.log(JSON.stringify({ spans: [describe(root, null, "POST /checkout"), describe(child, root, "publish order")] }));
});
