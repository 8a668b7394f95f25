/**
 * Turns a student id into a stable pseudonym (a keyed hash) for places where the id must not
 * appear or must outlive the data: audit targets, erasure records, storage key names.
 */
export type Pseudonymizer = (tenantId: string, studentId: string) => string;
