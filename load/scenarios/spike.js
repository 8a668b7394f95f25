// k6 scenario "spike": shape and thresholds in ../lib/scenario.js, traffic in ../lib/traffic.js.
// Run through the runner (starts the service): scripts/load.sh spike
import { optionsFor } from '../lib/scenario.js';
import { summaryFor } from '../lib/summary.js';
import { seed, userAction } from '../lib/traffic.js';

export const options = optionsFor('spike');
export const setup = seed;
export default userAction;
export const handleSummary = summaryFor('spike');
