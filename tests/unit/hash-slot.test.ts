import { describe, expect, test } from 'bun:test';
import calculateSlot from 'cluster-key-slot';
import { hashSlot } from '../../src/adapters/redis/hash-slot';

/** Redis's keyHashSlot, written out plainly over the key's UTF-8 bytes, with a bit-by-bit CRC16. */
function reference(key: string): number {
  const b = [...Buffer.from(key)];
  const crc16 = (bytes: number[]) => {
    let crc = 0;
    for (const byte of bytes) {
      crc ^= byte << 8;
      for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
  };
  const s = b.indexOf(0x7b);
  if (s === -1) return crc16(b) & 0x3fff;
  const e = b.indexOf(0x7d, s + 1);
  if (e === -1 || e === s + 1) return crc16(b) & 0x3fff;
  return crc16(b.slice(s + 1, e)) & 0x3fff;
}

describe('hashSlot', () => {
  test("the cluster specification's examples and the hash-tag rules", () => {
    // The specification's check value: CRC16/XModem of "123456789" is 0x31C3.
    expect(hashSlot('123456789')).toBe(0x31c3 & 0x3fff);
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    expect(hashSlot('foo{{bar}}zap')).toBe(hashSlot('{bar'));
    expect(hashSlot('foo{bar}{zap}')).toBe(hashSlot('bar'));
    // An empty tag: the whole key is hashed (cluster-key-slot hashes '{bar' here instead).
    expect(hashSlot('foo{}{bar}')).toBe(reference('foo{}{bar}'));
    expect(hashSlot('foo{}{bar}')).not.toBe(hashSlot('{bar'));
    expect(hashSlot('me:{acme/p1}:topics')).toBe(hashSlot('me:{acme/p1}:history'));
  });

  test('agrees with the reference on random keys, tags, braces and non-ASCII characters, and with cluster-key-slot where no tag is empty', () => {
    const alphabet = [...'abcXYZ019:/._-{}{}é€😀'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const key = Array.from({ length: Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      expect(hashSlot(key)).toBe(reference(key));
      if (!key.includes('{}')) expect(hashSlot(key)).toBe(calculateSlot(key));
    }
  });
});
