import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import type { Role } from '../../domain/access/access';
import { ApiError } from './errors';

/** A token signed with the development secret, for the dashboard's development sign-in. */
export interface DevToken {
  role: Role;
  subject: string;
  token: string;
}

export interface DashboardDeps {
  /**
   * Set only when the process signs its own tokens with a random development secret (no
   * JWT_SECRET outside production); then loopback clients may fetch them. Unset, the route is 404.
   */
  devTokens?: readonly DevToken[];
}

const HERE = join(import.meta.dir, 'dashboard');
const resolveModule = createRequire(import.meta.url).resolve;

/**
 * Every file the dashboard serves, read once at start-up: the page, its script and styles, and
 * the chart library from the installed npm package. A fixed table, not a directory, so no path a
 * client sends can reach any other file.
 */
const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: join(HERE, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: join(HERE, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { file: resolveModule('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: resolveModule('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The teacher dashboard: a static page and script that call the API with the user's own bearer
 * token, so the API's rules (a teacher sees only the cohorts they teach) apply unchanged. The page
 * itself carries no data, so it needs no authentication.
 */
export const dashboardRoutes = (deps: DashboardDeps) => {
  const page = readFileSync(join(HERE, 'index.html'), 'utf8');
  const assets = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.file), type: a.type }]));
  return new Elysia({ name: 'dashboard-routes' })
    .get(
      '/dashboard',
      ({ set }) => {
        set.headers['content-type'] = 'text/html; charset=utf-8';
        set.headers['cache-control'] = 'no-cache';
        return page;
      },
      {
        // Documented by hand: a t.String response would be documented as text/plain.
        detail: {
          tags: ['dashboard'],
          summary: 'The teacher dashboard: cohort heatmap, at-risk students, a student’s history, prediction and recommendations',
          responses: { 200: { description: 'the page; its data comes from the API with the bearer token signed in with', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    )
    .get(
      '/dashboard/assets/:name',
      ({ params, set }) => {
        const asset = assets.get(params.name);
        if (!asset) throw new ApiError('not_found', 'no such resource');
        set.headers['content-type'] = asset.type;
        set.headers['cache-control'] = 'no-cache';
        return asset.body;
      },
      { detail: { hide: true } },
    )
    .get(
      '/dashboard/dev-tokens',
      ({ request, server, set }) => {
        const address = server?.requestIP(request)?.address;
        // Tokens go to this machine only: a development server often listens on every interface.
        if (!deps.devTokens || address === undefined || !LOOPBACK.has(address)) {
          throw new ApiError('not_found', 'development tokens are served only to loopback clients of a development start without JWT_SECRET');
        }
        set.headers['cache-control'] = 'no-store';
        return { tokens: deps.devTokens.filter((d) => d.role === 'teacher' || d.role === 'admin').map((d) => ({ role: d.role, subject: d.subject, token: d.token })) };
      },
      { detail: { hide: true } },
    );
};
