import { Elysia } from 'elysia';
import { healthRoutes, type HealthRoutesDeps } from './health.routes';

export type AppDeps = HealthRoutesDeps;

/** The HTTP driver: one Elysia app composed of one plugin per area. */
export function createApp(deps: AppDeps) {
  return new Elysia().use(healthRoutes(deps));
}

export type App = ReturnType<typeof createApp>;
