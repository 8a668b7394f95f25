/** CRC16-CCITT (XModem), the checksum Redis Cluster hashes keys with, one byte at a time. */
const CRC16 = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    table[i] = c & 0xffff;
  }
  return table;
})();

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/** Redis's keyHashSlot over `length` bytes that `at` reads: the tag between the first `{` and the next `}` when not empty, else the whole key. */
function slotOfBytes(at: (i: number) => number, length: number): number {
  let from = 0;
  let to = length;
  let open = 0;
  while (open < length && at(open) !== OPEN) open++;
  if (open < length) {
    let close = open + 1;
    while (close < length && at(close) !== CLOSE) close++;
    if (close < length && close > open + 1) {
      from = open + 1;
      to = close;
    }
  }
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) ^ CRC16[((crc >> 8) ^ at(i)) & 0xff]!) & 0xffff;
  return crc & 0x3fff;
}

/**
 * The hash slot of a key, as Redis Cluster computes it (keyHashSlot in its cluster.c). On the
 * string's characters when they are all ASCII, without the copy into a byte array that
 * cluster-key-slot makes of every string (its conversion showed as 15% of the process's CPU per
 * apply on a cluster); otherwise on the key's UTF-8 bytes. Unlike cluster-key-slot, an empty tag
 * (`a{}{b}`) hashes the whole key, as Redis does.
 */
export function hashSlot(key: string): number {
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 127) {
      const bytes = Buffer.from(key);
      return slotOfBytes((j) => bytes[j]!, bytes.length);
    }
  }
  return slotOfBytes((j) => key.charCodeAt(j), key.length);
}
