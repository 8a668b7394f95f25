import type { IdSource } from '../../ports/id-source.port';

/** Random UUIDs (122 random bits): a repeat is not a practical possibility. */
export const randomIds: IdSource = { next: () => crypto.randomUUID() };
