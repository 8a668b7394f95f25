import { afterEach, describe, expect, spyOn, test } from 'bun:test';
// kafkajs's own building blocks, which the patch leaves as they are, and the patched request.
import Encoder from 'kafkajs/src/protocol/encoder';
import Record from 'kafkajs/src/protocol/recordBatch/record/v0';
import { RecordBatch } from 'kafkajs/src/protocol/recordBatch/v0';
import produceV3 from 'kafkajs/src/protocol/requests/produce/v3/request';
import crc32C from 'kafkajs/src/protocol/recordBatch/crc32C';
import groupMessagesPerPartition from 'kafkajs/src/producer/groupMessagesPerPartition';
import { Types } from 'kafkajs/src/protocol/message/compression';
import Long from 'kafkajs/src/utils/long';
import frameRequest from 'kafkajs/src/protocol/request';

/**
 * patches/kafkajs@2.2.4.patch encodes a produce request in one pass when it can. Its bytes must be
 * the general path's: that path is rebuilt here from kafkajs's unpatched Record and RecordBatch,
 * exactly as produce/v3/request.js composed them before the patch. The patch also makes three
 * helpers of both paths faster, checked here on their own: CRC32C eight bytes at a time, the
 * grouping of a send's messages per partition in one pass, and the framing of every request
 * (size and header before the payload) in one buffer.
 */
type Message = { key?: string | Buffer | null; value: string | Buffer | null; headers?: Record<string, string>; timestamp?: number };
type TopicData = { topic: string; partitions: { partition: number; firstSequence?: number; messages: Message[] }[] }[];

async function generalPath(args: { acks: number; timeout: number; topicData: TopicData }): Promise<Buffer> {
  const topics = [];
  for (const { topic, partitions } of args.topicData) {
    const encoded = [];
    for (const { partition, firstSequence, messages } of partitions) {
      const now = Date.now();
      const records = messages.map((message, i) => Record({ ...message, offsetDelta: i, timestampDelta: (message.timestamp || now) - now }));
      const batch = await RecordBatch({ compression: Types.None, records, firstTimestamp: now, maxTimestamp: now, producerId: Long.fromInt(-1), producerEpoch: 0, firstSequence, transactional: false, lastOffsetDelta: records.length - 1 });
      encoded.push(new Encoder().writeInt32(partition).writeInt32(batch.size()).writeEncoder(batch));
    }
    topics.push(new Encoder().writeString(topic).writeArray(encoded));
  }
  return new Encoder().writeString(null).writeInt16(args.acks).writeInt32(args.timeout).writeArray(topics).buffer;
}

const encodeThroughRequest = async (args: Record<string, unknown>): Promise<Buffer> => (await produceV3(args).encode()).buffer;

/** Deterministic pseudo-random messages: keys and values of every kind and of sizes on both sides of each varint boundary. */
function messages(seed: number, count: number): Message[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  const sizes = [0, 1, 63, 64, 127, 128, 300, 8191, 8192, 20_000];
  const bytesOf = (): string | Buffer | null => {
    const kind = next() % 5;
    const size = sizes[next() % sizes.length]!;
    if (kind === 0) return null;
    if (kind === 1) return Buffer.alloc(size, next() % 256);
    if (kind === 2) return 'é€'.repeat(Math.ceil(size / 3)).slice(0, size);
    return JSON.stringify({ n: next(), pad: 'x'.repeat(size) });
  };
  return Array.from({ length: count }, () => ({ key: bytesOf(), value: bytesOf() }));
}

// Tests here pin Date.now (the batches' timestamps); it must not stay pinned for the files after.
afterEach(() => {
  (Date.now as unknown as { mockRestore?: () => void }).mockRestore?.();
});

describe('kafkajs produce request, one pass (patches/kafkajs@2.2.4.patch)', () => {
  test('the bytes are the general path\'s, over many partitions, topics, message counts and key and value kinds', async () => {
    spyOn(Date, 'now').mockReturnValue(1_795_687_714_561);
    for (const [seed, perPartition] of [[1, 1], [2, 3], [3, 64], [4, 65], [5, 500], [6, 130]] as const) {
      const topicData: TopicData = [
        { topic: 'mastery.updated', partitions: [0, 3, 5].map((partition, p) => ({ partition, firstSequence: 0, messages: messages(seed * 10 + p, perPartition) })) },
        { topic: 'tópico-ü', partitions: [{ partition: 1, messages: messages(seed * 10 + 9, perPartition) }] },
      ];
      const args = { acks: -1, timeout: 30_000, topicData };
      const expected = await generalPath(args);
      const onePass = produceV3.encodeInOnePass({ ...args, transactionalId: null, producerId: Long.fromInt(-1), producerEpoch: 0, compression: Types.None });
      expect(onePass?.buffer.equals(expected)).toBe(true);
      // And what the request sends is that.
      expect((await encodeThroughRequest(args)).equals(expected)).toBe(true);
    }
  });

  test('what the one pass does not cover goes the general way, unchanged: headers, timestamps, compression, transactions, idempotence', async () => {
    spyOn(Date, 'now').mockReturnValue(1_795_687_714_561);
    const base = { acks: -1, timeout: 30_000, transactionalId: null, producerId: Long.fromInt(-1), producerEpoch: 0, compression: Types.None };
    const plain = [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }];
    const uncovered: Record<string, unknown>[] = [
      { ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', headers: { tenant_id: 'a' } }] }] }] },
      { ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: 1_795_687_700_000 }] }] }] },
      { ...base, compression: Types.GZIP, topicData: plain },
      { ...base, transactionalId: 'tx', topicData: plain },
      { ...base, producerId: Long.fromInt(7), topicData: plain },
      { ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 3, messages: [{ key: 'k', value: 'v' }] }] }] },
    ];
    for (const args of uncovered) expect(produceV3.encodeInOnePass(args)).toBeNull();
    // The general path still serves them: a message with headers, as the dead letters have.
    const withHeaders = uncovered[0]!;
    const bytes = await encodeThroughRequest(withHeaders);
    expect(bytes.includes(Buffer.from('tenant_id'))).toBe(true);
  });
});

/** CRC32C bit by bit (reflected polynomial 0x82F63B78): slow and obviously right. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs helpers the patch speeds up', () => {
  test('CRC32C, eight bytes at a time: the standard check value, and a bitwise CRC over lengths around every multiple of 8', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    let seed = 7;
    for (let length = 0; length < 300; length++) {
      const bytes = Buffer.from(Array.from({ length }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256));
      expect(crc32C(bytes)).toBe(crc32cBitwise(bytes));
    }
  });

  test('a send\'s messages grouped per partition keep their order within each partition', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 37}`, value: String(i) }));
    const partitioner = ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 6;
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}], messages, partitioner });
    for (let p = 0; p < 6; p++) expect(grouped[p]).toEqual(messages.filter((m) => partitioner({ message: m }) === p));
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
  });

  test('a request is framed as kafkajs framed it: size, API key and version, correlation id, client id, payload', async () => {
    // kafkajs's framing before the patch, with its own Encoder.
    const framedBefore = (payload: Encoder, apiKey: number, apiVersion: number, correlationId: number, clientId: string | null) => {
      const header = new Encoder().writeInt16(apiKey).writeInt16(apiVersion).writeInt32(correlationId).writeString(clientId).writeEncoder(payload);
      return new Encoder().writeInt32(header.size()).writeEncoder(header).buffer;
    };
    for (const [payloadBytes, clientId] of [[0, 'mastery-engine'], [1, null], [300, 'é-client'], [70_000, 'x'.repeat(300)]] as const) {
      const payload = new Encoder();
      for (let i = 0; i < payloadBytes; i++) payload.writeInt8((i % 251) - 125);
      const request = { apiKey: 0, apiVersion: 3, encode: async () => payload };
      const framed = await frameRequest({ correlationId: 2 ** 31 - 1, clientId, request });
      expect(framed.buffer.equals(framedBefore(payload, 0, 3, 2 ** 31 - 1, clientId))).toBe(true);
    }
    await expect(frameRequest({ correlationId: 1, clientId: 'c', request: { apiKey: 0, apiVersion: 3, encode: async () => Buffer.alloc(4) as never } })).rejects.toThrow('Encoder');
  });

  test('a produce request encoded in one pass is framed in the room it left, byte for byte as the general path framed', async () => {
    spyOn(Date, 'now').mockReturnValue(1_795_687_714_561);
    for (const [seed, clientId] of [[11, 'mastery-engine'], [12, null], [13, 'é-client'], [14, 'x'.repeat(300)]] as const) {
      const topicData: TopicData = [{ topic: 'mastery.updated', partitions: [0, 4].map((partition, p) => ({ partition, messages: messages(seed * 10 + p, 40) })) }];
      const args = { acks: -1, timeout: 30_000, topicData };
      const header = new Encoder().writeInt16(0).writeInt16(3).writeInt32(77).writeString(clientId);
      const payload = await generalPath(args);
      const expected = new Encoder().writeInt32(header.size() + payload.length).writeEncoder(header).writeBuffer(payload).buffer;
      const request = produceV3(args);
      let served: { buf: Buffer; headroom?: number } | undefined;
      const framed = await frameRequest({ correlationId: 77, clientId, request: { ...request, encode: async (headroom) => (served = await request.encode(headroom)) } });
      expect(framed.buffer.equals(expected)).toBe(true);
      // The one pass served it, and the frame is the very buffer it wrote the records into: no copy.
      expect(served?.headroom).toBe(4 + header.size());
      expect(framed.buffer.buffer).toBe(served!.buf.buffer);
      expect(framed.buffer.byteOffset).toBe(served!.buf.byteOffset);
    }
  });
});
