/**
 * Turns the bytes of a Kafka message into the wire envelope `ingestEvent` validates. Two shapes
 * are accepted: the native envelope as is, and a CloudEvents 1.0 structured-mode JSON event (what
 * Dapr pub/sub delivers). Pure: no I/O, so every mapping rule is unit-tested without a broker.
 * Only the shape is handled here; field validation stays in the one ingest path.
 */

export type EnvelopeFormat = 'native' | 'cloudevents';

export type DecodeResult =
  | { ok: true; format: EnvelopeFormat; envelope: Record<string, unknown> }
  /** `reason` is a stable code for the dead-letter header; `message` says what to fix. */
  | { ok: false; reason: 'invalid_json' | 'invalid_envelope'; message: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The identity fields a CloudEvent carries in `data` or as extension attributes. */
const IDENTITY = [
  { field: 'student_id', extension: 'studentid' },
  { field: 'topic_id', extension: 'topicid' },
  { field: 'tenant_id', extension: 'tenantid' },
] as const;

/**
 * The `type` Dapr gives a CloudEvent it wraps around a payload published without its own type:
 * then `data` is our native envelope.
 */
const DAPR_WRAPPER_TYPE = 'com.dapr.event.sent';

const fail = (reason: 'invalid_json' | 'invalid_envelope', message: string): DecodeResult => ({ ok: false, reason, message });

export function decodeEventMessage(value: Buffer | null): DecodeResult {
  if (value === null || value.length === 0) return fail('invalid_json', 'the message has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return fail('invalid_json', 'the message value is not valid JSON');
  }
  if (!isObj(parsed)) return fail('invalid_envelope', 'an event must be a JSON object');
  return 'specversion' in parsed ? fromCloudEvent(parsed) : { ok: true, format: 'native', envelope: parsed };
}

/**
 * CloudEvents 1.0 → native: id → event_id, type → event_type, time → occurred_at, data → data;
 * student_id / topic_id / tenant_id from `data` or from the extensions studentid / topicid /
 * tenantid. The two places must agree when both are given: a silent choice could credit the
 * wrong student.
 */
export function fromCloudEvent(ce: Obj): DecodeResult {
  if (ce.specversion !== '1.0') return fail('invalid_envelope', `unsupported CloudEvents specversion ${JSON.stringify(ce.specversion)}; 1.0 is supported`);
  if (ce.data_base64 !== undefined) return fail('invalid_envelope', 'CloudEvents data_base64 is not supported: data must be JSON');
  const contentType = ce.datacontenttype;
  if (contentType !== undefined && (typeof contentType !== 'string' || !/^application\/([\w.+-]+\+)?json\b/i.test(contentType))) {
    return fail('invalid_envelope', `CloudEvents datacontenttype ${JSON.stringify(contentType)} is not JSON`);
  }
  if (ce.type === DAPR_WRAPPER_TYPE && isObj(ce.data) && 'event_type' in ce.data) {
    return { ok: true, format: 'cloudevents', envelope: ce.data };
  }
  const data: Obj = isObj(ce.data) ? { ...ce.data } : {};
  const envelope: Obj = { event_id: ce.id, event_type: ce.type, occurred_at: ce.time };
  for (const { field, extension } of IDENTITY) {
    const inData = data[field];
    const inExtension = ce[extension];
    if (inData !== undefined && inExtension !== undefined && inData !== inExtension) {
      return fail('invalid_envelope', `CloudEvents data.${field} and extension ${extension} disagree`);
    }
    const v = inData ?? inExtension;
    if (v !== undefined) envelope[field] = v;
    delete data[field];
  }
  // A missing or non-object data stays as it was, so validation reports it under `data`.
  envelope.data = isObj(ce.data) ? data : ce.data;
  return { ok: true, format: 'cloudevents', envelope };
}
