import { describe, expect, test } from 'bun:test';
import { Kafka, logLevel } from 'kafkajs';
import { requireService, uniqueId } from '../support/services';

describe('an idle kafkajs connection', () => {
  test('schedules no negative timers (no TimeoutNegativeWarning, no check every millisecond)', async () => {
    const kafka = new Kafka({ clientId: uniqueId('idle-timers'), brokers: requireService('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const negative: number[] = [];
    const setTimeoutAsIs = globalThis.setTimeout;
    // Counts what kafkajs asks for; the runtime would clamp a negative delay to 1 ms and warn.
    globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
      if (typeof ms === 'number' && ms < 0) negative.push(ms);
      return setTimeoutAsIs(fn, ms, ...args);
    }) as typeof setTimeout;
    try {
      await admin.connect();
      await admin.listTopics();
      await Bun.sleep(1000);
    } finally {
      globalThis.setTimeout = setTimeoutAsIs;
      await admin.disconnect();
    }
    expect(negative).toEqual([]);
  });
});
