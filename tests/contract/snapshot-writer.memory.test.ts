import { memoryStore } from '../support/stores';
import { describeSnapshotWriterContract } from './snapshot-writer.contract';

const store = memoryStore({ now: () => Date.now() });
describeSnapshotWriterContract('in-memory', () => store);
