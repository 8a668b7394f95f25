import { describe, expect, test } from 'bun:test';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { JavaCompatiblePartitioner, murmur2 } from '../../src/adapters/kafka/partitioner';

const partitions = (n: number): PartitionMetadata[] => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }));

describe('the Java-compatible partitioner', () => {
  test('murmur2 gives the Java client hashes (Kafka UtilsTest vectors)', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  test('puts every keyed message on the partition kafkajs DefaultPartitioner picks', () => {
    const ours = JavaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    // Every key length mod 4, multi-byte UTF-8 (alone, and after ASCII the hash has begun to
    // copy), Buffer keys, keys longer than the copy's first buffer (256), and the service's ids.
    const keys: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'ünïcødé-学生', `${'a'.repeat(40)}é`, `tenant/${'s'.repeat(300)}`, 'k'.repeat(1000), `${'z'.repeat(500)}学`, Buffer.from([0xff, 0x80, 0x00, 0x7f, 0x01])];
    for (let i = 0; i < 2000; i++) keys.push(`tenant-${i % 7}/student-${i * 7919}`, `s${i}`);
    for (const n of [1, 6, 7, 64]) {
      const partitionMetadata = partitions(n);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
      }
    }
  });

  test('keeps an explicit partition, and spreads messages without a key over every partition', () => {
    const ours = JavaCompatiblePartitioner();
    const partitionMetadata = partitions(6);
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 4 } })).toBe(4);
    const seen = new Set(Array.from({ length: 12 }, () => ours({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } })));
    expect(seen.size).toBe(6);
  });
});
