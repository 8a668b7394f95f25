import { describe, expect, test } from 'bun:test';
import { kafkaSecurity } from '../../src/adapters/kafka/kafka-ingest';
import { parseConfig } from '../../src/config/config';

const kafkaOf = (env: Record<string, string>) => {
  const r = parseConfig(env);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config.kafka;
};

describe('the Kafka client’s TLS and SASL settings', () => {
  test('TLS and SCRAM from the settings reach the kafkajs client options', () => {
    const options = kafkaSecurity(kafkaOf({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'mastery', KAFKA_SASL_PASSWORD: 'pw-value' }));
    expect(options).toEqual({ ssl: true, sasl: { mechanism: 'scram-sha-256', username: 'mastery', password: 'pw-value' } });
  });

  test('by default the client connects in plain text without SASL', () => {
    expect(kafkaSecurity(kafkaOf({}))).toEqual({ ssl: false });
  });
});
