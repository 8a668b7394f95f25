import { describe, expect, spyOn, test } from 'bun:test';
// kafkajs's own building blocks: the record encoder the patch leaves as it is, and the patched
// record decoder and consumer batch.
import Encoder from 'kafkajs/src/protocol/encoder';
import Decoder from 'kafkajs/src/protocol/decoder';
import Record from 'kafkajs/src/protocol/recordBatch/record/v0';
import decodeRecord from 'kafkajs/src/protocol/recordBatch/record/v0/decoder';
import TimestampTypes from 'kafkajs/src/protocol/timestampTypes';
import Batch from 'kafkajs/src/consumer/batch';
import Long from 'kafkajs/src/utils/long';

/**
 * patches/kafkajs@2.2.4.patch computes a fetched record's offset and timestamp (the batch's first
 * one plus the record's delta, carried as decimal strings) in Number arithmetic when that is
 * exact, and the consumer batch's filter of offsets below the fetched one likewise; otherwise
 * kafkajs's Long, as before. Checked here against BigInt arithmetic written out plainly (which,
 * like kafkajs's BigInt-backed Long, does not wrap at 64 bits).
 */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type TestRecord = { timestampDelta: bigint; offsetDelta: number; key?: string; headers?: Record<string, string> };
type BatchContext = { firstOffset: string; firstTimestamp: string; timestampType?: number; maxTimestamp?: string };

/** One record's bytes as the broker sends them in a batch (kafkajs's record encoder). */
const encode = (record: TestRecord): Buffer =>
  new Encoder().writeEncoder(Record({ offsetDelta: record.offsetDelta, timestampDelta: Long.fromValue(record.timestampDelta.toString()), key: record.key ?? 'k', value: 'v', headers: record.headers ?? {} })).buffer;

/** Those bytes decoded (the length prefix read, as the batch decoder does) in a batch starting at `firstOffset` and `firstTimestamp`. */
function decode(encoded: Buffer, batch: BatchContext) {
  const decoder = new Decoder(encoded);
  decoder.readVarInt();
  return decodeRecord(decoder, { magicByte: 2, timestampType: TimestampTypes.CREATE_TIME, ...batch });
}

const roundTrip = (record: TestRecord, batch: BatchContext) => decode(encode(record), batch);

describe('kafkajs record decoding (patched): offsets and timestamps', () => {
  test('equal BigInt sums for small and large deltas and bases, on both sides of 2^53, and negative ones', () => {
    const bases = ['0', '1', '-1', '1795700000000', '123456789012', String(MAX_SAFE - 5n), String(MAX_SAFE), String(MAX_SAFE + 10n), '9223372036854775000', '-9223372036854775000'];
    const deltas = [0n, 1n, -1n, 63n, -64n, 8191n, -8192n, 1_000_000n, -1_000_000n, 2n ** 48n - 1n, -(2n ** 48n), 2n ** 48n, 2n ** 49n, -(2n ** 49n) - 7n, 2n ** 62n, -(2n ** 62n)];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) deltas.push(BigInt(Math.floor((next() - 0.5) * 2 ** (1 + Math.floor(next() * 60)))));
    for (const base of bases) {
      for (const delta of deltas) {
        const offsetDelta = Number(delta % 2_000_000_000n);
        const decoded = roundTrip({ timestampDelta: delta, offsetDelta, key: `key-${delta}`, headers: { h: `${base}` } }, { firstOffset: base, firstTimestamp: base });
        expect(decoded.timestamp).toBe((BigInt(base) + delta).toString());
        expect(decoded.offset).toBe((BigInt(base) + BigInt(offsetDelta)).toString());
        // The rest of the record is read from the right place, whichever path the delta took.
        expect(decoded.key!.toString()).toBe(`key-${delta}`);
        expect(decoded.value!.toString()).toBe('v');
        expect(decoded.headers.h!.toString()).toBe(base);
      }
    }
  });

  test('a record of a batch with safe offsets and timestamps takes no Long, nor does the batch filter per message (the patch is in place)', () => {
    const encoded = encode({ timestampDelta: -12n, offsetDelta: 7 });
    const messages = ['1006', '1007', '1008'].map((offset) => ({ offset, isControlRecord: false }));
    const fromValue = spyOn(Long, 'fromValue');
    const fromInt = spyOn(Long, 'fromInt');
    try {
      const decoded = decode(encoded, { firstOffset: '1000', firstTimestamp: '1795700000000' });
      expect([decoded.offset, decoded.timestamp]).toEqual(['1007', '1795699999988']);
      expect(fromValue).not.toHaveBeenCalled();
      expect(fromInt).not.toHaveBeenCalled();
      const batch = new Batch('t', '1007', { partition: 0, highWatermark: '0', messages, abortedTransactions: [] });
      expect(batch.messagesWithinOffset.map((m: { offset: string }) => m.offset)).toEqual(['1007', '1008']);
      expect(fromValue).toHaveBeenCalledTimes(1); // the fetched offset, once per batch
    } finally {
      fromValue.mockRestore();
      fromInt.mockRestore();
    }
  });

  test('a log-append-time batch gives every record its max timestamp', () => {
    const decoded = roundTrip({ timestampDelta: 5n, offsetDelta: 3 }, { firstOffset: '40', firstTimestamp: '1795700000000', timestampType: TimestampTypes.LOG_APPEND_TIME, maxTimestamp: '1795700009999' });
    expect(decoded.timestamp).toBe('1795700009999');
    expect(decoded.offset).toBe('43');
  });
});

describe('kafkajs consumer batch (patched): messages below the fetched offset are left out', () => {
  test('as BigInt comparison says, for offsets on both sides of 2^53', () => {
    const around = (at: bigint) => [at - 2n, at - 1n, at, at + 1n, at + 2n];
    for (const fetched of [0n, 5n, MAX_SAFE - 1n, MAX_SAFE, MAX_SAFE + 1n, 2n ** 62n]) {
      const offsets = [...around(fetched), ...around(MAX_SAFE), 0n, 2n ** 63n - 1n].filter((o) => o >= 0n);
      const messages = offsets.map((o) => ({ offset: o.toString(), isControlRecord: false }));
      const batch = new Batch('t', fetched.toString(), { partition: 0, highWatermark: '0', messages, abortedTransactions: [] });
      expect(batch.messagesWithinOffset.map((m: { offset: string }) => m.offset)).toEqual(offsets.filter((o) => o >= fetched).map(String));
    }
  });
});
