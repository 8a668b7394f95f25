/** Builders for wire-format learning events, with defaults a test overrides only where it matters. */
let seq = 0;

export interface WireEvent {
  event_id: string;
  event_type: string;
  student_id: string;
  topic_id: string;
  occurred_at: string;
  tenant_id?: string;
  data: Record<string, unknown>;
}

export function wireEvent(overrides: Partial<WireEvent> = {}): WireEvent {
  seq += 1;
  return {
    event_id: `evt-${seq}-${crypto.randomUUID().slice(0, 8)}`,
    event_type: 'quiz.completed',
    student_id: 'student-1',
    topic_id: 'python-basics',
    occurred_at: '2026-01-14T10:00:00Z',
    data: { quiz_id: 'q1', score: 0.8 },
    ...overrides,
  };
}
