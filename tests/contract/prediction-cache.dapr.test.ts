import { DaprPredictionCache } from '../../src/adapters/dapr/prediction-cache.dapr';
import { FixedClock } from '../support/fixed-clock';
import { forEachDaprStore } from '../support/dapr-state';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_S, describePredictionCacheContract, NOW } from './prediction-cache.contract';

forEachDaprStore((kind, dapr) => {
  describePredictionCacheContract(`dapr state.${kind}`, () => {
    const clock = new FixedClock(NOW);
    const options = { clock, ttlSeconds: CACHE_TTL_S, pseudonymize: testPseudonymize };
    return { cache: new DaprPredictionCache(dapr().client(), options), peer: new DaprPredictionCache(dapr().client(), options), clock };
  });
});
