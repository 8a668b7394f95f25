/**
 * A student's consent to analytics: without it their events are counted but not processed, and
 * they are left out of cohort figures.
 */
export interface Consent {
  analytics: boolean;
  /** Epoch ms of the last change. */
  updatedAt: number;
}
