import { treaty } from '@elysiajs/eden';
import type { App } from './adapters/http/app';

/**
 * A typed client for TypeScript callers (Eden treaty): routes, bodies and responses are checked
 * at compile time against the server's own schemas.
 *
 *   const api = createMasteryClient('http://localhost:8005', token);
 *   const { data, error } = await api.api.v1.mastery.query.post({ student_id: 'student-1' });
 */
export function createMasteryClient(baseUrl: string, token?: string) {
  return treaty<App>(baseUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

export type { App };
