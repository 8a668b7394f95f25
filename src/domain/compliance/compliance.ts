import type { AuditLog } from '../../ports/audit-log.port';
import type { BatchStore } from '../../ports/batch-store.port';
import type { CohortStore } from '../../ports/cohort-store.port';
import type { AnswerCache } from '../../ports/answer-cache.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import type { MasteryUpdates } from '../../ports/mastery-updates.port';
import type { CachedPrediction, PredictionCache } from '../../ports/prediction-cache.port';
import type { PredictionLog } from '../../ports/prediction-log.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { RecommendationRecord, RecommendationStore } from '../../ports/recommendation-store.port';
import type { AuditRecord } from './audit';
import type { Consent } from './consent';
import { queryMastery, type EngineDeps, type StudentMastery } from '../mastery/engine';
import type { DaySnapshot, TopicState } from '../mastery/topic-state';
import type { RememberedPrediction } from '../prediction/accuracy';

export interface ComplianceDeps extends EngineDeps {
  cohorts: CohortStore;
  recommendations: RecommendationStore;
  audit: AuditLog;
  pseudonymize: Pseudonymizer;
  predictionCache: PredictionCache;
  predictionLog: PredictionLog;
  /** This replica's answers kept in process (mastery histories, rendered mastery answers). */
  answerCaches: readonly AnswerCache<unknown>[];
  /** Batch recalculations keep each student's result and failure for BATCH_TTL_DAYS: erasure reaches them. */
  batches: BatchStore;
  /** Where erasures are announced to downstream readers (Kafka), when configured. */
  updates?: MasteryUpdates;
}

/** Bumped whenever the export's shape changes, so a reader can tell which schema applies. */
export const EXPORT_FORMAT_VERSION = '1.1';

export interface StudentExport {
  formatVersion: string;
  generatedAt: number;
  tenantId: string;
  studentId: string;
  mastery: StudentMastery;
  /** The raw state held per topic: what the scores are computed from. */
  state: Record<string, TopicState>;
  history: DaySnapshot[];
  /** 7-day predictions served about the student within the log's retention, with the actual once scored. */
  predictions: RememberedPrediction[];
  /** Predictions cached for reuse, within the cache's TTL: documents as they were served. */
  cachedPredictions: CachedPrediction<unknown>[];
  consent: Consent | undefined;
  cohorts: { cohortId: string; name: string }[];
  /** Recommendations served within their retention, newest first, with the feedback given. */
  recommendations: RecommendationRecord[];
  /** Audit entries whose target is this student (by pseudonym), oldest first, read a page at a time as they are consumed. */
  audit: AsyncIterable<AuditRecord[]>;
}

/** Audit entries read per page of an export: years of a student's entries never sit in memory at once. */
export const EXPORT_AUDIT_PAGE = 500;

async function* auditPages(log: AuditLog, query: { tenantId: string; target: string }): AsyncGenerator<AuditRecord[]> {
  for (let fromSeq = 0; ; ) {
    const page = await log.list({ ...query, fromSeq, limit: EXPORT_AUDIT_PAGE });
    if (page.length > 0) yield page;
    if (page.length < EXPORT_AUDIT_PAGE) return;
    fromSeq = page.at(-1)!.seq + 1;
  }
}

/** GDPR Art. 15 and 20: everything held about the student, in one machine-readable document. */
export async function exportStudent(deps: ComplianceDeps, ref: StudentRef): Promise<StudentExport> {
  const [mastery, state, history, consent, cohorts, recommendations] = await Promise.all([
    queryMastery(deps, ref),
    deps.store.listTopics(ref),
    deps.store.getHistory(ref),
    deps.store.getConsent(ref),
    deps.cohorts.list(ref.tenantId),
    deps.recommendations.history(ref, deps.clock.now()),
  ]);
  if (mastery.kind !== 'ok') throw new Error('querying all topics cannot name unknown topics');
  const [predictions, cachedPredictions] = await Promise.all([deps.predictionLog.listRemembered(ref), deps.predictionCache.listCached(ref)]);
  return {
    formatVersion: EXPORT_FORMAT_VERSION,
    generatedAt: deps.clock.now(),
    tenantId: ref.tenantId,
    studentId: ref.studentId,
    mastery: mastery.mastery,
    state: Object.fromEntries(state),
    history,
    predictions,
    cachedPredictions,
    consent,
    cohorts: cohorts.filter((c) => c.studentIds.includes(ref.studentId)).map((c) => ({ cohortId: c.cohortId, name: c.name })),
    recommendations,
    audit: auditPages(deps.audit, { tenantId: ref.tenantId, target: deps.pseudonymize(ref.tenantId, ref.studentId) }),
  };
}

/**
 * GDPR Art. 17: forgets the student everywhere this core reaches: state, history, idempotency
 * records and a consent grant (one atomic step in the store, which keeps only a pseudonymous
 * erasure time so late events cannot bring the data back, and a withdrawal if there was one),
 * recommendations served, their feedback and cache (one atomic step that refuses a racing
 * record), cohort rosters (one atomic step that also keeps the student off them for the erasure
 * retention), batch recalculations' results and error examples (counts stay: they name no one),
 * and downstream readers. Idempotent.
 */
export async function eraseStudent(deps: ComplianceDeps, ref: StudentRef): Promise<{ erasedAt: number }> {
  const erasedAt = deps.clock.now();
  await deps.store.eraseStudent(ref, erasedAt);
  await deps.recommendations.eraseStudent(ref, erasedAt);
  await deps.cohorts.removeStudent(ref.tenantId, ref.studentId, erasedAt);
  // Predictions about the student: each port refuses, for its TTL, a write of data read before now.
  await deps.predictionCache.forgetStudent(ref, erasedAt);
  await deps.predictionLog.forgetStudent(ref, erasedAt);
  // This replica's kept answers; another's cannot be reached again (see MemoryAnswerCache).
  for (const cache of deps.answerCaches) cache.forgetStudent(ref, erasedAt);
  // Results already counted go; the batch keeps the pseudonym, so a chunk counted later keeps nothing of the student.
  await deps.batches.forgetStudent(ref.tenantId, ref.studentId, erasedAt);
  await deps.updates?.publishErasure(ref);
  return { erasedAt };
}

export interface ConsentView {
  analytics: boolean;
  updatedAt: number | null;
  /** `recorded` when the student set it, `default` when the deployment's default applies. */
  source: 'recorded' | 'default';
}

/** What applies to a student: their recorded choice, or the deployment's default. */
export const consentView = (c: Consent | undefined, consentByDefault: boolean): ConsentView =>
  c ? { analytics: c.analytics, updatedAt: c.updatedAt, source: 'recorded' } : { analytics: consentByDefault, updatedAt: null, source: 'default' };

export async function getConsent(deps: ComplianceDeps, ref: StudentRef): Promise<ConsentView> {
  return consentView(await deps.store.getConsent(ref), deps.consentByDefault);
}

export async function setConsent(deps: ComplianceDeps, ref: StudentRef, analytics: boolean): Promise<ConsentView> {
  const consent: Consent = { analytics, updatedAt: deps.clock.now() };
  await deps.store.setConsent(ref, consent);
  return { analytics, updatedAt: consent.updatedAt, source: 'recorded' };
}
