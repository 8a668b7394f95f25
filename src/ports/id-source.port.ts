/**
 * New identifiers, injected so the core draws no randomness. Promise: an id never repeats, not
 * even for the same student after an erasure, so a client holding an old id can never reach a
 * new record with it.
 */
export interface IdSource {
  next(): string;
}
