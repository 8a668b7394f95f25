import { describe, expect, test } from 'bun:test';
import type { Message, Producer, ProducerRecord } from 'kafkajs';
import { MAX_SEND_MESSAGES, sendChunked, sizeOf } from '../../src/adapters/kafka/send-chunked';

/** A producer that keeps what it was sent, in order, as a topic would. */
function recordingProducer() {
  const sends: ProducerRecord[] = [];
  const producer = { send: async (record: ProducerRecord) => void sends.push(record) } as unknown as Producer;
  return { producer, sends };
}

const messages = (n: number, valueBytes: number): Message[] => Array.from({ length: n }, (_, i) => ({ key: `t/s${i % 7}`, value: `${i}`.padEnd(valueBytes, '.') }));

describe('sending a list of messages in parts', () => {
  test('many small messages go out in parts of at most MAX_SEND_MESSAGES, all of them, in order, acks from all replicas', async () => {
    const { producer, sends } = recordingProducer();
    const all = messages(2 * MAX_SEND_MESSAGES + 17, 10);
    await sendChunked(producer, 'updates', all);
    expect(sends.map((s) => s.messages.length)).toEqual([MAX_SEND_MESSAGES, MAX_SEND_MESSAGES, 17]);
    expect(sends.flatMap((s) => s.messages)).toEqual(all);
    expect(sends.every((s) => s.topic === 'updates' && s.acks === -1)).toBe(true);
  });

  test('large messages are split by size before the count is reached', async () => {
    const { producer, sends } = recordingProducer();
    const all = messages(40, 10_000);
    const maxBytes = 100_000;
    await sendChunked(producer, 'updates', all, maxBytes);
    expect(sends.length).toBeGreaterThan(1);
    for (const s of sends) expect(s.messages.reduce((n, m) => n + sizeOf(m), 0)).toBeLessThanOrEqual(maxBytes);
    expect(sends.flatMap((s) => s.messages)).toEqual(all);
  });

  test('parts stay under the cap in UTF-8 bytes, with characters of 2, 3 and 4 bytes', async () => {
    const { producer, sends } = recordingProducer();
    const wide = ['é', '€', '😀'].flatMap((c) => Array.from({ length: 30 }, (_, i) => ({ key: `t/s${i}${c}`, value: c.repeat(2_000 + i) })));
    const maxBytes = 50_000;
    await sendChunked(producer, 'updates', wide, maxBytes);
    expect(sends.length).toBeGreaterThan(1);
    for (const s of sends) expect(s.messages.reduce((n, m) => n + sizeOf(m), 0)).toBeLessThanOrEqual(maxBytes);
    expect(sends.flatMap((s) => s.messages)).toEqual(wide);
  });
});
