import { MemoryPredictionLog } from '../../src/adapters/memory/prediction-log.memory';
import { FixedClock } from '../support/fixed-clock';
import { testPseudonymize } from '../support/stores';
import { describePredictionLogContract, NOW, RETENTION_DAYS } from './prediction-log.contract';

// One instance is both handles: the fake has no second connection.
describePredictionLogContract('in-memory', () => {
  const clock = new FixedClock(NOW);
  const log = new MemoryPredictionLog({ clock, retentionDays: RETENTION_DAYS, pseudonymize: testPseudonymize });
  return { log, peer: log, clock };
});
