import { DaprPredictionLog } from '../../src/adapters/dapr/prediction-log.dapr';
import { FixedClock } from '../support/fixed-clock';
import { forEachDaprStore } from '../support/dapr-state';
import { testPseudonymize } from '../support/stores';
import { describePredictionLogContract, NOW, RETENTION_DAYS } from './prediction-log.contract';

forEachDaprStore((kind, dapr) => {
  describePredictionLogContract(`dapr state.${kind}`, () => {
    const clock = new FixedClock(NOW);
    const options = { clock, retentionDays: RETENTION_DAYS, pseudonymize: testPseudonymize };
    return { log: new DaprPredictionLog(dapr().client(), options), peer: new DaprPredictionLog(dapr().client(), options), clock };
  });
});
