import { Partitioners, type ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * The Java client's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) in 32-bit integer
 * arithmetic. kafkajs computes the same hash with a BigInt-backed Long for every multiply and xor,
 * which cost about 8 µs per message in the ingest consumer's profile; Math.imul gives the same bits.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[tail + 2]! << 16;
    if (rest >= 2) h ^= data[tail + 1]! << 8;
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs's DefaultPartitioner (the Java client's: a keyed message goes to murmur2(key) mod the
 * partition count, so other clients keyed the same way agree on partitions), with the hash above.
 * An explicit partition, and round-robin for a message without a key, stay kafkajs's own.
 */
export const JavaCompatiblePartitioner: ICustomPartitioner = () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (message.key === undefined || message.key === null) return kafkajs(args);
    return (murmurOfKey(message.key) & 0x7fffffff) % partitionMetadata.length;
  };
};

/** Where an ASCII key's bytes are copied to be hashed: reused, so a key costs no allocation. */
let scratch = new Uint8Array(256);

/**
 * murmur2 of the key's UTF-8 bytes. Every `mastery.updated` key is ASCII (ids have a closed
 * alphabet), and an ASCII string's UTF-8 bytes are its char codes: copying them into `scratch`
 * spares the `Buffer.from` per message (its allocation and its garbage), about a tenth of the main
 * thread in a profile of sends alone (docs/benchmarks.md, "Hot paths"). Any other string goes
 * through `Buffer.from`.
 */
function murmurOfKey(key: Buffer | string): number {
  if (typeof key !== 'string') return murmur2(key);
  const length = key.length;
  if (length > scratch.length) scratch = new Uint8Array(length * 2);
  for (let i = 0; i < length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return murmur2(Buffer.from(key));
    scratch[i] = c;
  }
  return murmur2(scratch, length);
}
