import { DaprRateLimiter } from '../../src/adapters/dapr/rate-limiter.dapr';
import { FixedClock } from '../support/fixed-clock';
import { forEachDaprStore } from '../support/dapr-state';
import { describeRateLimiterContract } from './rate-limiter.contract';

forEachDaprStore((kind, dapr) => {
  describeRateLimiterContract(`dapr state.${kind}`, () => {
    const clock = new FixedClock(Date.now());
    return { limiter: new DaprRateLimiter(dapr().client(), clock), peer: new DaprRateLimiter(dapr().client(), clock), clock };
  });
});
