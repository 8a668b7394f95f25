/**
 * The kafkajs internals tests/unit/kafka-produce-encoding.test.ts and kafka-fetch-decoding.test.ts
 * check the patch with (CommonJS modules without typings): only what those tests use.
 */
declare module 'kafkajs/src/protocol/encoder' {
  export default class Encoder {
    constructor(initialSize?: number);
    readonly buffer: Buffer;
    /** The whole backing buffer; `buffer` is its first size() bytes. */
    readonly buf: Buffer;
    size(): number;
    writeInt8(value: number): Encoder;
    writeInt16(value: number): Encoder;
    writeInt32(value: number): Encoder;
    writeString(value: string | null): Encoder;
    writeArray(values: Encoder[]): Encoder;
    writeEncoder(value: Encoder): Encoder;
    writeBuffer(value: Buffer): Encoder;
  }
}

declare module 'kafkajs/src/protocol/recordBatch/record/v0' {
  import type Encoder from 'kafkajs/src/protocol/encoder';
  import type Long from 'kafkajs/src/utils/long';
  export default function Record(record: { key?: string | Buffer | null; value: string | Buffer | null; headers?: Record<string, string>; offsetDelta: number; timestampDelta: number | Long }): Encoder;
}

declare module 'kafkajs/src/protocol/decoder' {
  export default class Decoder {
    constructor(buffer: Buffer);
    readVarInt(): number;
  }
}

declare module 'kafkajs/src/protocol/recordBatch/record/v0/decoder' {
  import type Decoder from 'kafkajs/src/protocol/decoder';
  /** A record's fields; offset and timestamp as decimal strings. */
  export default function decodeRecord(
    decoder: Decoder,
    batchContext: { firstOffset: string; firstTimestamp: string; magicByte: number; timestampType: number; maxTimestamp?: string },
  ): { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | undefined> };
}

declare module 'kafkajs/src/protocol/timestampTypes' {
  const TimestampTypes: { NO_TIMESTAMP: number; CREATE_TIME: number; LOG_APPEND_TIME: number };
  export default TimestampTypes;
}

declare module 'kafkajs/src/consumer/batch' {
  /** A fetch's messages of one partition; `messagesWithinOffset` leaves out those below the fetched offset. */
  export default class Batch {
    constructor(topic: string, fetchedOffset: string, partitionData: { partition: number; highWatermark: string; messages: { offset: string; isControlRecord: boolean }[]; abortedTransactions: unknown[] });
    readonly messagesWithinOffset: { offset: string }[];
  }
}

declare module 'kafkajs/src/protocol/recordBatch/v0' {
  import type Encoder from 'kafkajs/src/protocol/encoder';
  export function RecordBatch(batch: Record<string, unknown> & { records: Encoder[] }): Promise<Encoder>;
}

declare module 'kafkajs/src/protocol/requests/produce/v3/request' {
  import type Encoder from 'kafkajs/src/protocol/encoder';
  /** Patched: an encoder of the one pass left `headroom` bytes free at its start, and says so. */
  type Encoded = Encoder & { headroom?: number };
  const produceV3: ((request: Record<string, unknown>) => { apiKey: number; apiVersion: number; encode(headroom?: number): Promise<Encoded> }) & {
    /** Added by patches/kafkajs@2.2.4.patch: the request in one pass, or null when it takes the general path. */
    encodeInOnePass(request: Record<string, unknown>, headroom?: number): Encoded | null;
  };
  export default produceV3;
}

declare module 'kafkajs/src/protocol/message/compression' {
  export const Types: { None: number; GZIP: number; Snappy: number; LZ4: number; ZSTD: number };
}

declare module 'kafkajs/src/utils/long' {
  export default class Long {
    static fromInt(value: number): Long;
    static fromValue(value: string | number | Long): Long;
  }
}

declare module 'kafkajs/src/protocol/recordBatch/crc32C' {
  export default function crc32C(buffer: Buffer): number;
}

declare module 'kafkajs/src/producer/groupMessagesPerPartition' {
  export default function groupMessagesPerPartition<M>(args: { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: (args: { message: M }) => number }): Record<number, M[]>;
}

declare module 'kafkajs/src/protocol/request' {
  import type Encoder from 'kafkajs/src/protocol/encoder';
  /** A request framed for the socket: its size, header and payload. */
  export default function frameRequest(args: { correlationId: number; clientId: string | null; request: { apiKey: number; apiVersion: number; encode(headroom: number): Promise<Encoder> } }): Promise<{ buffer: Buffer }>;
}
